// A console page for the person signed in: the security headers (CSP with this response's nonce),
// their name, role and trust in the header, and the session's CSRF token for the page's forms.
import { ROLE_NAMES } from './console-access.js';
import { securityHeaders } from './console-headers.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import type { IdentityProvider } from './identity-provider.js';
import { renderPage } from './views.js';

export function renderForSession(
  req: ConsoleRequest,
  res: ConsoleResponse,
  idp: IdentityProvider,
  template: string,
  context: Record<string, unknown>,
  status = 200,
): string {
  const session = req.consoleSession!;
  // The identity provider's origin: the header's sign-out form leads there.
  const cspNonce = securityHeaders(res, idp.issuerOrigin());
  res.status(status);
  return renderPage(template, {
    ...context,
    cspNonce,
    csrf: session.csrf,
    user: { name: session.name, roleName: ROLE_NAMES[req.caller!.role], trustName: session.trustName, ods: session.ods },
  });
}

/** Post-redirect-get: 303 to `location`. */
export function seeOther(res: ConsoleResponse, location: string): string {
  res.status(303);
  res.header('location', location);
  res.header('cache-control', 'no-store');
  return '';
}
