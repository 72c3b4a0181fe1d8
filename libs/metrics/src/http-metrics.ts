// HTTP request duration by method, route TEMPLATE and status. The raw URL is never a label: paths
// carry referral ids. Requests that matched no route (or only a catch-all, such as the one Nest
// answers 404 from, `{/*splat}`) are labelled "unmatched".
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram } from 'prom-client';
import { METRIC_PREFIX, type MetricsRegistry } from './registry.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED_ROUTE = 'unmatched';

/** What an Express request carries once routed: the matched route's path template. */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; originalUrl?: string };

export interface HttpMetricsOptions {
  /** Path prefixes served by mounted sub-apps (labelled with the prefix itself, e.g. the queue dashboard). */
  readonly mounts?: readonly string[];
}

/** Express middleware timing every request; register it before anything else. */
export function httpMetrics(metrics: MetricsRegistry, opts: HttpMetricsOptions = {}) {
  const histogram = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests: duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const mounts = opts.mounts ?? [];
  return (req: RoutedRequest, res: ServerResponse, next: () => void) => {
    const end = histogram.startTimer();
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
    const mount = mounts.find((m) => path === m || path.startsWith(`${m}/`));
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const routed = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : null;
      const template = routed !== null && !routed.includes('*') ? routed : null;
      end({
        method: METHODS.has(req.method ?? '') ? req.method! : 'OTHER',
        route: mount ?? template ?? UNMATCHED_ROUTE,
        status: String(res.statusCode),
      });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
