// The queue dashboard (bull-board) for trust admins at /console/queues, under the console's session
// instead of a bearer token: bull-board mounted a second time, read-only as at /admin/queues
// (readOnlyMode, and GET only), with the session checked in front of every path under it.
//
// Who may in, and what each refusal looks like, is decided without the HTTP platform
// (consoleQueueAccess); mounting it is the one platform-specific part (mountConsoleQueues, Fastify).
// No session: to sign in, and back here. Another role: a plain 403 page. The page itself (not each
// of its polls) is in the audit trail, and only it moves the session's idle clock on: a dashboard
// left open polling does not keep a session alive.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/dist/types.js';
import { FastifyAdapter } from '@bull-board/fastify';
import { AuditService, PERMISSIONS, type Role } from '#auth';
import { MonitoredQueues } from '../operator/monitored-queues.js';
import { dashboardError } from '../operator/queue-dashboard.js';
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
  serverAdapter.setErrorHandler(dashboardError);
}

/**
 * Mounts the dashboard on Fastify beside Nest's routes (as /admin/queues is, operator-routes.ts):
 * bull-board's Fastify plugin under CONSOLE_QUEUES_PATH, and the session check in an onRequest
 * hook for every path under it. The only platform-specific code here.
 */
export function mountConsoleQueues(app: NestFastifyApplication): void {
  const access = consoleQueueAccess(app.get(ConsoleSessions), app.get(AuditService));
  const serverAdapter = new FastifyAdapter();
  readOnlyBoard(app.get(MonitoredQueues).all, serverAdapter);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path !== CONSOLE_QUEUES_PATH && !path.startsWith(`${CONSOLE_QUEUES_PATH}/`)) return;
    const d = await access({
      method: request.method,
      path: path.slice(CONSOLE_QUEUES_PATH.length) || '/',
      cookie: request.headers.cookie,
      requestId: typeof request.id === 'string' ? request.id : null,
    });
    for (const [name, value] of Object.entries(d.headers)) void reply.header(name, value);
    if (!d.pass) return reply.code(d.status).type('text/html; charset=utf-8').send(d.body);
  });
  void fastify.register(serverAdapter.registerPlugin(), { prefix: CONSOLE_QUEUES_PATH });
}
