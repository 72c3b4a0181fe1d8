// What operators reach on the API besides the versioned routes: GET /metrics (Prometheus, with
// METRICS_TOKEN) and the queue dashboard at /admin/queues (trust admins). Both are plain Express
// handlers mounted before Nest's router, so scrapes and dashboard polls are neither held to the
// per-caller rate limit nor audited as referral reads (without a valid token they count against the
// per-address limit, apps/api/src/http/address-rate-limit.ts); see docs/security.md "Metrics and the queue dashboard".
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#config';
import { AuditService, TokenVerifier } from '#auth';
import { httpMetrics, metricsAuth } from '#metrics';
import { ApiMetrics } from './api-metrics.js';
import { MonitoredQueues } from './monitored-queues.js';
import { QUEUE_DASHBOARD_PATH, dashboardGuard, queueDashboard } from './queue-dashboard.js';

export const METRICS_PATH = '/metrics';

/** Call first after helmet: the HTTP histogram times every request, those refused before Nest's router too. */
export function mountHttpMetrics(app: NestExpressApplication): void {
  app.use(httpMetrics(app.get(ApiMetrics).metrics, { mounts: [QUEUE_DASHBOARD_PATH] }));
}

/** Call before the body parsers and Nest's router. */
export function mountOperatorRoutes(app: NestExpressApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const { metrics } = app.get(ApiMetrics);

  // Without METRICS_TOKEN there is no /metrics here (it falls through to Nest's 404).
  if (config.metrics.token !== null) {
    const auth = metricsAuth(config.metrics.token);
    app
      .getHttpAdapter()
      .getInstance()
      .get(METRICS_PATH, (req: Request, res: Response) => {
        res.setHeader('Cache-Control', 'no-store');
        if (auth(req.headers.authorization) !== 'ok') {
          res.setHeader('WWW-Authenticate', 'Bearer');
          return res
            .status(401)
            .json({ statusCode: 401, error: 'Unauthorized', message: 'A metrics token is required (Authorization: Bearer <METRICS_TOKEN>)' });
        }
        metrics.render().then(
          (text) => res.type(metrics.contentType).send(text),
          () => res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'metrics could not be collected' }),
        );
      });
  }

  app.use(QUEUE_DASHBOARD_PATH, dashboardGuard(app.get(TokenVerifier), app.get(AuditService)), queueDashboard(app.get(MonitoredQueues).all));
  // Express's own error page would show a stack trace: answer like the API's error filter instead.
  app.use(QUEUE_DASHBOARD_PATH, (_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'The queue dashboard failed' });
  });
}
