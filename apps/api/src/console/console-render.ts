// A console page for the person signed in, with the layout's context (headers, CSRF token, the
// person and their navigation: page-context.ts) and a status; and the redirect after a form.
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import type { IdentityProvider } from './identity-provider.js';
import { layoutContext } from './page-context.js';
import { renderPage } from './views.js';

export function renderForSession(
  req: ConsoleRequest,
  res: ConsoleResponse,
  idp: IdentityProvider,
  template: string,
  context: Record<string, unknown>,
  status = 200,
): string {
  res.status(status);
  // The identity provider's origin: the header's sign-out form leads there.
  return renderPage(template, { ...context, ...layoutContext(req, res, idp.issuerOrigin()) });
}

/** Post-redirect-get: 303 to `location`. */
export function seeOther(res: ConsoleResponse, location: string): string {
  res.status(303);
  res.header('location', location);
  res.header('cache-control', 'no-store');
  return '';
}
