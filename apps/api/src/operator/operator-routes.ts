// What operators reach on the API besides the versioned routes: GET /metrics (Prometheus, with
// METRICS_TOKEN) and the queue dashboard at /admin/queues (trust admins). Both are plain Fastify
// routes beside Nest's, so scrapes and dashboard polls are neither held to the per-caller rate
// limit nor audited as referral reads (without a valid token they count against the per-address
// limit, apps/api/src/http/address-rate-limit.ts); see docs/security.md "Metrics and the queue dashboard".
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_CONFIG, type AppConfig } from '#config';
import { AuditService, TokenVerifier } from '#auth';
import { httpMetrics, metricsAuth } from '#metrics';
import { errorBody } from '../http/http-errors.filter.js';
import { ApiMetrics } from './api-metrics.js';
import { MonitoredQueues } from './monitored-queues.js';
import { CONSOLE_QUEUES_PATH } from '../console/queue-dashboard.js';
import { QUEUE_DASHBOARD_PATH, dashboardGuard, queueDashboard } from './queue-dashboard.js';

export const METRICS_PATH = '/metrics';

/** Add first after helmet: the HTTP histogram times every request, those refused by the hooks after it too. */
export function mountHttpMetrics(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', httpMetrics(app.get(ApiMetrics).metrics, { mounts: [QUEUE_DASHBOARD_PATH, CONSOLE_QUEUES_PATH] }));
}

/** Add before the body-reading hooks; the routes are Fastify's own, beside Nest's. */
export function mountOperatorRoutes(app: NestFastifyApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const { metrics } = app.get(ApiMetrics);
  const fastify = app.getHttpAdapter().getInstance();

  // Without METRICS_TOKEN there is no /metrics here (it falls through to Nest's 404).
  if (config.metrics.token !== null) {
    const auth = metricsAuth(config.metrics.token);
    fastify.get(METRICS_PATH, async (req, reply) => {
      void reply.header('Cache-Control', 'no-store');
      if (auth(req.headers.authorization) !== 'ok') {
        return reply
          .header('WWW-Authenticate', 'Bearer')
          .status(401)
          .send({ statusCode: 401, error: 'Unauthorized', message: 'A metrics token is required (Authorization: Bearer <METRICS_TOKEN>)' });
      }
      try {
        const text = await metrics.render();
        return reply.type(metrics.contentType).send(text);
      } catch {
        return reply.status(500).send(errorBody(500, 'metrics could not be collected'));
      }
    });
  }

  fastify.addHook('onRequest', dashboardGuard(app.get(TokenVerifier), app.get(AuditService)));
  void fastify.register(queueDashboard(app.get(MonitoredQueues).all), { prefix: QUEUE_DASHBOARD_PATH });
}
