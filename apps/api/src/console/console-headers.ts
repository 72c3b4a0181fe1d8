// The console's response headers: HTML, never cached, and a Content-Security-Policy without
// 'unsafe-inline' (nhsuk-frontend's one inline script runs with this response's nonce only).
import { randomBytes } from 'node:crypto';
import type { ConsoleResponse } from './console-request.js';

/** Sets the headers and returns the nonce for the page's template. `formTarget`: an origin forms may lead to (the identity provider, for sign-out). */
export function securityHeaders(res: ConsoleResponse, formTarget: string | null): string {
  const nonce = randomBytes(16).toString('base64');
  res.header('content-type', 'text/html; charset=utf-8');
  res.header('cache-control', 'no-store');
  res.header(
    'content-security-policy',
    [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}'`,
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      `form-action 'self'${formTarget ? ` ${formTarget}` : ''}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ].join('; '),
  );
  return nonce;
}
