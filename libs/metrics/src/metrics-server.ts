// A small HTTP server for a process with no other (the worker): GET /metrics and GET /health/live.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './registry.js';
import { metricsAuth } from './metrics-auth.js';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { metrics: MetricsRegistry; port: number; host: string; token: string | null }): Promise<MetricsServer> {
  const auth = metricsAuth(opts.token);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, body: unknown, headers?: Record<string, string>) =>
      send(status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { statusCode: 405, message: 'GET only' }, { Allow: 'GET, HEAD' });
    if (path === '/health/live') return json(200, { status: 'ok' });
    if (path !== '/metrics') return json(404, { statusCode: 404, message: 'Not found: GET /metrics or /health/live' });
    const verdict = auth(req.headers.authorization);
    if (verdict !== 'ok')
      return json(401, { statusCode: 401, message: 'A metrics token is required (Authorization: Bearer <METRICS_TOKEN>)' }, { 'WWW-Authenticate': 'Bearer' });
    opts.metrics.render().then(
      (text) => send(200, opts.metrics.contentType, text),
      () => json(500, { statusCode: 500, message: 'metrics could not be collected' }),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
