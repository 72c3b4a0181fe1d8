// The queue dashboard (bull-board) for trust admins at /console/queues, under the console's session
// instead of a bearer token: bull-board mounted a second time, read-only as at /admin/queues
// (readOnlyMode, and GET only), with the session checked in front of every path under it.
//
// Who may in, and what each refusal looks like, is decided without the HTTP platform
// (consoleQueueAccess); mounting it is the one platform-specific part (mountConsoleQueues, Express).
// No session: to sign in, and back here. Another role: a plain 403 page. The page itself (not each
// of its polls) is in the audit trail, and only it moves the session's idle clock on: a dashboard
// left open polling does not keep a session alive.
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/dist/types.js';
import { ExpressAdapter } from '@bull-board/express';
import { AuditService, PERMISSIONS, type Role } from '#auth';
import { MonitoredQueues } from '../operator/monitored-queues.js';
import { ROLE_NAMES } from './console-access.js';
import { securityHeaders } from './console-headers.js';
import { ConsoleSessions, SESSION_COOKIE, cookieValue } from './console-session.js';
import { renderPage } from './views.js';

export const CONSOLE_QUEUES_PATH = '/console/queues';
const PERMISSION = 'queues.admin' as const;

/**
 * bull-board's page loads its script and styles from here and calls its API here; no inline script
 * (its one inline <script> is JSON data), no fonts from Google (blocked, so nothing leaves for them).
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'", // its page sets <base href> to the dashboard's path
  "object-src 'none'",
].join('; ');

export interface DashboardRequest {
  readonly method: string;
  /** The path under CONSOLE_QUEUES_PATH: '/' (or '') for the page, '/api/...' and '/static/...' for the rest. */
  readonly path: string;
  readonly cookie: string | undefined;
  readonly requestId: string | null;
}

export type DashboardDecision =
  | { readonly pass: true; readonly headers: Record<string, string> }
  | { readonly pass: false; readonly status: number; readonly headers: Record<string, string>; readonly body: string };

/** A console page in plain words (error.njk) with its headers, for a refusal outside Nest's filter. */
function refusalPage(
  status: number,
  title: string,
  message: string,
  who: { name: string; trustName: string; role: Role; csrf: string } | null,
): DashboardDecision {
  const headers: Record<string, string> = {};
  const cspNonce = securityHeaders({ status: () => undefined, header: (name, value) => (headers[name] = String(value)) }, null);
  const body = renderPage('error.njk', {
    title,
    message,
    cspNonce,
    csrf: who?.csrf,
    signedIn: Boolean(who),
    user: who ? { name: who.name, roleName: ROLE_NAMES[who.role], trustName: who.trustName } : null,
  });
  return { pass: false, status, headers, body };
}

/** Decides each request under the dashboard from the console's session cookie. */
export function consoleQueueAccess(sessions: ConsoleSessions, audit: AuditService) {
  const allowed: readonly Role[] = PERMISSIONS[PERMISSION];
  return async (r: DashboardRequest): Promise<DashboardDecision> => {
    const opened = await sessions.open(cookieValue(r.cookie, SESSION_COOKIE));
    if (!opened) {
      const location = `/console/sign-in?returnTo=${encodeURIComponent(CONSOLE_QUEUES_PATH)}`;
      return { pass: false, status: 303, headers: { location, 'cache-control': 'no-store' }, body: '' };
    }
    const { session } = opened;
    const role = allowed.find((x) => session.roles.includes(x));
    const caller = { sub: session.sub, role: role ?? session.roles[0], ods: session.ods };
    const who = { name: session.name, trustName: session.trustName, role: caller.role ?? 'booking_clerk', csrf: session.csrf };
    if (!role) {
      await audit.record({ caller, action: PERMISSION, referralId: null, requestId: r.requestId, outcome: 403 }).catch(() => undefined);
      return refusalPage(403, 'You cannot use this page', `The queue dashboard is for ${allowed.map((x) => `${ROLE_NAMES[x]}s`).join(' and ')}.`, who);
    }
    if (r.method !== 'GET' && r.method !== 'HEAD') {
      const refused = refusalPage(405, 'The queue dashboard is read-only', 'Nothing can be changed from it. To retry a failed step, open the referral.', who);
      return { ...refused, headers: { ...refused.headers, allow: 'GET, HEAD' } };
    }
    const headers: Record<string, string> = { 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-store' };
    if (r.path === '/' || r.path === '') {
      await audit.record({ caller, action: PERMISSION, referralId: null, requestId: r.requestId, outcome: 200 });
      if (opened.touch) headers['set-cookie'] = await sessions.sessionCookie(session, true);
    }
    return { pass: true, headers };
  };
}

/** bull-board for the catalogue's queues, read-only, served by `serverAdapter` (any platform's) at CONSOLE_QUEUES_PATH. */
function readOnlyBoard(queues: readonly Queue[], serverAdapter: IServerAdapter & { setBasePath(path: string): unknown }): void {
  serverAdapter.setBasePath(CONSOLE_QUEUES_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'crosstrust queues', hideDocsLink: true, miscLinks: [{ text: 'Staff console', url: '/console' }] } },
  });
  // bull-board's own handler would answer with the error's message (and, in development, its stack).
  serverAdapter.setErrorHandler(() => ({ status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'The queue dashboard failed' } }));
}

/**
 * Mounts the dashboard on Express, before Nest's router: the only platform-specific code here.
 * To port to Fastify (a few minutes, as apps/api/src/operator/operator-routes.ts does for
 * /admin/queues): make the adapter `@bull-board/fastify`'s FastifyAdapter, register its
 * `registerPlugin()` with `{ prefix: CONSOLE_QUEUES_PATH }`, and put `access` in an onRequest hook
 * for paths under CONSOLE_QUEUES_PATH that sets `d.headers` on the reply and, when `!d.pass`,
 * answers `reply.code(d.status).type('text/html; charset=utf-8').send(d.body)`.
 */
export function mountConsoleQueues(app: NestExpressApplication): void {
  const access = consoleQueueAccess(app.get(ConsoleSessions), app.get(AuditService));
  const serverAdapter = new ExpressAdapter();
  readOnlyBoard(app.get(MonitoredQueues).all, serverAdapter);
  const guard = (req: Request, res: Response, next: NextFunction) => {
    const requestId = typeof (req as { id?: unknown }).id === 'string' ? (req as unknown as { id: string }).id : null;
    access({ method: req.method, path: req.path, cookie: req.headers.cookie, requestId }).then((d) => {
      for (const [name, value] of Object.entries(d.headers)) res.setHeader(name, value);
      if (d.pass) return next();
      res.status(d.status).send(d.body);
    }, next);
  };
  app.use(CONSOLE_QUEUES_PATH, guard, serverAdapter.getRouter() as (req: Request, res: Response, next: NextFunction) => void);
  // Express's own error page would show a stack trace.
  app.use(CONSOLE_QUEUES_PATH, (_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).type('text/plain').send('Sorry, there is a problem with the service. Try again later.');
  });
}
