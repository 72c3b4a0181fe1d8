// The queue dashboard (bull-board) at /admin/queues: read-only, for trust admins (`queues.admin`).
//
// It is an Express sub-app, not a Nest route, so the global guard does not see it: this file
// checks the same bearer JWT itself (TokenVerifier, PERMISSIONS['queues.admin']). A browser
// reaches it through something that adds the Authorization header (the operators' access proxy,
// or a header extension); no cookie session, so no CSRF surface. Read-only twice over: every
// queue is added with bull-board's readOnlyMode, and any method but GET/HEAD is refused (405)
// before bull-board sees it. Job data are ids only (libs/queue); refused attempts and each
// opening of the dashboard go into the audit trail.
import type { NextFunction, Request, Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AuditService, PERMISSIONS, TokenError, TokenVerifier, type Role } from '#auth';
import type { Queue } from 'bullmq';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const PERMISSION = 'queues.admin' as const;

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 405: 'Method Not Allowed' };
const refuse = (res: Response, status: 401 | 403 | 405, message: string) => {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (status === 405) res.setHeader('Allow', 'GET, HEAD');
  res.status(status).json({ statusCode: status, error: REASONS[status], message });
};

/** The guard in front of the dashboard: the API's bearer JWT, a role holding `queues.admin`, GET only. */
export function dashboardGuard(verifier: TokenVerifier, audit: AuditService) {
  const allowed: readonly Role[] = PERMISSIONS[PERMISSION];
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
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
      const requestId = typeof (req as { id?: unknown }).id === 'string' ? (req as unknown as { id: string }).id : null;
      if (!role) {
        await audit
          .record({ caller: { sub: claims.sub, role: claims.roles[0], ods: claims.ods }, action: PERMISSION, referralId: null, requestId, outcome: 403 })
          .catch(() => undefined);
        return refuse(res, 403, `Your role (${claims.roles.join(', ')}) may not do this: it needs ${allowed.join(' or ')}`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'The queue dashboard is read-only');
      // The page itself, not each of its polls: who opened the dashboard, and when.
      if (req.path === '/' || req.path === '')
        await audit.record({ caller: { sub: claims.sub, role, ods: claims.ods }, action: PERMISSION, referralId: null, requestId, outcome: 200 });
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** The bull-board Express app for the catalogue's queues, read-only. */
export function queueDashboard(queues: readonly Queue[]) {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'crosstrust queues' } },
  });
  return serverAdapter.getRouter() as (req: Request, res: Response, next: NextFunction) => void;
}
