// The queue dashboard (bull-board) at /admin/queues: read-only, for trust admins (`queues.admin`).
//
// It is a Fastify plugin with routes of its own (@bull-board/fastify), not Nest routes, so the
// global guard does not see it: a hook on every path under it checks the same bearer JWT (TokenVerifier, PERMISSIONS['queues.admin']). A browser
// reaches it through something that adds the Authorization header (the operators' access proxy,
// or a header extension); no cookie session, so no CSRF surface. Read-only twice over: every
// queue is added with bull-board's readOnlyMode, and any method but GET/HEAD is refused (405)
// before bull-board sees it. Job data are ids only (libs/queue); refused attempts and each
// opening of the dashboard go into the audit trail.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { ControllerHandlerReturnType } from '@bull-board/api/dist/types.js';
import { FastifyAdapter } from '@bull-board/fastify';
import { AuditService, PERMISSIONS, TokenError, TokenVerifier, type Role } from '#auth';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { pathOf, under } from '../http/address-rate-limit.js';
import { errorBody } from '../http/http-errors.filter.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const PERMISSION = 'queues.admin' as const;

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 405: 'Method Not Allowed' };
const refuse = (res: FastifyReply, status: 401 | 403 | 405, message: string) => {
  if (status === 401) void res.header('WWW-Authenticate', 'Bearer');
  if (status === 405) void res.header('Allow', 'GET, HEAD');
  return res.status(status).send({ statusCode: status, error: REASONS[status], message });
};

/**
 * The guard in front of the dashboard, a Fastify onRequest hook on every request (so on every
 * path and method under the dashboard, routed or not): the API's bearer JWT, a role holding
 * `queues.admin`, GET only. Answering ends the request; returning nothing lets it on.
 */
export function dashboardGuard(verifier: TokenVerifier, audit: AuditService) {
  const allowed: readonly Role[] = PERMISSIONS[PERMISSION];
  return async (req: FastifyRequest, res: FastifyReply): Promise<FastifyReply | undefined> => {
    const path = pathOf(req);
    if (!under(path, QUEUE_DASHBOARD_PATH)) return;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return refuse(res, 401, 'A bearer token is required (Authorization: Bearer <token>)');
    let claims;
    try {
      claims = await verifier.verifyFor(req, m[1]);
    } catch (e) {
      if (e instanceof TokenError) return refuse(res, 401, e.message);
      throw e;
    }
    const role = allowed.find((r) => claims.roles.includes(r));
    const requestId = req.id;
    if (!role) {
      await audit
        .record({ caller: { sub: claims.sub, role: claims.roles[0], ods: claims.ods }, action: PERMISSION, referralId: null, requestId, outcome: 403 })
        .catch(() => undefined);
      return refuse(res, 403, `Your role (${claims.roles.join(', ')}) may not do this: it needs ${allowed.join(' or ')}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'The queue dashboard is read-only');
    // The page itself, not each of its polls: who opened the dashboard, and when.
    const within = path.slice(QUEUE_DASHBOARD_PATH.length);
    if (within === '/' || within === '')
      await audit.record({ caller: { sub: claims.sub, role, ods: claims.ods }, action: PERMISSION, referralId: null, requestId, outcome: 200 });
  };
}

const logger = new Logger('QueueDashboard');

/**
 * bull-board's error handler for both dashboards (this one and the console's). What fails under a read-only dashboard
 * is Redis, away or too slow: an answer that says so (bull-board's types allow no 503), and a warning with why (job data are ids only: its message names no patient).
 */
export function dashboardError(error: Error): ControllerHandlerReturnType {
  logger.warn(`The queue dashboard could not read the queues: ${error.name}: ${error.message}`);
  return { status: 500, body: errorBody(500, 'The queue dashboard cannot read the queues just now: try again in a minute') };
}

/** The bull-board Fastify plugin for the catalogue's queues, read-only; register it under QUEUE_DASHBOARD_PATH. */
export function queueDashboard(queues: readonly Queue[]): FastifyPluginCallback {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'crosstrust queues' } },
  });
  // bull-board's own handler would answer with the error's message (and, in development, its stack): answer like the API's error filter instead.
  serverAdapter.setErrorHandler(dashboardError);
  return serverAdapter.registerPlugin();
}
