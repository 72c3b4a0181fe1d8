// Metrics: Prometheus registries (prom-client), HTTP timing by route template, the /metrics
// token check and a small metrics/health server. Labels only: never ids or patient data.
export * from './registry.js';
export * from './http-metrics.js';
export * from './metrics-auth.js';
export * from './metrics-server.js';
export * from './cached.js';
