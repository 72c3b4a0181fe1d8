// HTTP request duration by method, route TEMPLATE and status. The raw URL is never a label: paths
// carry referral ids. Requests that matched no route (or only a wildcard route) are labelled "unmatched".
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Histogram } from 'prom-client';
import { METRIC_PREFIX, type MetricsRegistry } from './registry.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpMetricsOptions {
  /** Path prefixes served by plugins with routes of their own (labelled with the prefix itself, e.g. the queue dashboard). */
  readonly mounts?: readonly string[];
}

/** A Fastify onRequest hook timing every request; add it before any other hook, so refusals by hooks are timed too. */
export function httpMetrics(metrics: MetricsRegistry, opts: HttpMetricsOptions = {}) {
  const histogram = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests: duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const mounts = opts.mounts ?? [];
  return (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const end = histogram.startTimer();
    // Routing ignores case: so does the mount.
    const path = req.url.split('?')[0].toLowerCase();
    const mount = mounts.find((m) => path === m || path.startsWith(`${m}/`));
    let recorded = false;
    // On the Node response, not Fastify's onResponse hook: a request whose client went away is timed too.
    const record = () => {
      if (recorded) return;
      recorded = true;
      const routed = req.is404 ? undefined : req.routeOptions.url;
      const template = routed !== undefined && !routed.includes('*') ? routed : null;
      end({
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: mount ?? template ?? UNMATCHED_ROUTE,
        status: String(reply.raw.statusCode),
      });
    };
    reply.raw.once('finish', record);
    reply.raw.once('close', record);
    done();
  };
}
