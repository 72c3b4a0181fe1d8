// Environment configuration: one schema, validated at boot, with a message naming each bad variable.

export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly databaseUrl: string;
  readonly dbPoolSize: number;
  readonly redisUrl: string;
  /** Redis Cluster seed nodes (REDIS_CLUSTER_NODES); null: one Redis at REDIS_URL. */
  readonly redisClusterNodes: readonly { readonly host: string; readonly port: number }[] | null;
  readonly queuePrefix: string;
  readonly screeningThresholdWeeks: number;
  readonly rateLimitPerMinute: number;
  readonly authMode: 'dev' | 'oidc';
  readonly authDevKeyFile: string;
  readonly authJwksUrl: string | null;
  readonly authIssuer: string;
  readonly authAudience: string;
  readonly outboxPollMs: number;
  readonly workerConcurrency: number;
  readonly logLevel: string;
  readonly bodyLimit: string;
  /** How often the reconciler looks for steps enqueued but never run. */
  readonly reconcileIntervalMs: number;
  /** How long a dispatched step may go unfinished before the reconciler checks on its job. */
  readonly reconcileGraceMs: number;
  /** Bearer token Prometheus sends to /metrics (api and worker); null: the api serves no /metrics. */
  readonly metricsToken: string | null;
  /** The worker's metrics and health port; null: no server. 0: any free port (tests). */
  readonly metricsPort: number | null;
  /** The address the worker's metrics server listens on. */
  readonly metricsHost: string;
  /** Largest waiting-list CSV upload, in bytes (WAITING_LIST_MAX_BYTES); larger: 413. */
  readonly waitingListMaxBytes: number;
  /** Rows a waiting-list import applies per transaction (WAITING_LIST_BATCH_ROWS). */
  readonly waitingListBatchRows: number;
}

export const DEV_ISSUER = 'crosstrust-local-dev';
export const DEV_AUDIENCE = 'crosstrust';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** REDIS_CLUSTER_NODES: `host:port,host:port` (IPv6 as `[::1]:7000`); empty or unset: no cluster. */
function clusterNodes(raw: string | undefined, problems: string[]): { host: string; port: number }[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const nodes: { host: string; port: number }[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push(`REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "${item}")`);
      continue;
    }
    nodes.push({ host: (m[1] ?? m[2])!, port });
  }
  return nodes.length ? nodes : null;
}

function hostPort(n: { host: string; port: number }): string {
  return n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string => {
    const v = env[name];
    if (v === undefined || v === '') {
      if (fallback === undefined) problems.push(`${name} is required`);
      return fallback ?? '';
    }
    return v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, protocols: string[]): string => {
    const v = str(name);
    if (v) {
      try {
        const u = new URL(v);
        if (!protocols.includes(u.protocol)) problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      } catch {
        problems.push(`${name} is not a valid URL`);
      }
    }
    return v;
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const authMode = oneOf('AUTH_MODE', ['dev', 'oidc'] as const, nodeEnv === 'production' ? 'oidc' : 'dev');
  if (nodeEnv === 'production' && authMode === 'dev') problems.push('AUTH_MODE=dev is refused when NODE_ENV=production');
  const jwks = env.AUTH_JWKS_URL || null;
  if (authMode === 'oidc') {
    if (!jwks) problems.push('AUTH_JWKS_URL is required when AUTH_MODE=oidc');
    if (!env.AUTH_ISSUER) problems.push('AUTH_ISSUER is required when AUTH_MODE=oidc');
    if (!env.AUTH_AUDIENCE) problems.push('AUTH_AUDIENCE is required when AUTH_MODE=oidc');
  }
  const queuePrefix = str('QUEUE_PREFIX', '{crosstrust}');
  const redisClusterNodes = clusterNodes(env.REDIS_CLUSTER_NODES, problems);
  if (!/^\{[^{}]+\}/.test(queuePrefix)) {
    problems.push(
      redisClusterNodes
        ? `QUEUE_PREFIX must start with a {hash tag} when REDIS_CLUSTER_NODES is set: every key of a queue must hash to one cluster slot (got "${queuePrefix}", e.g. "{crosstrust}")`
        : 'QUEUE_PREFIX must start with a {hash tag} so Redis Cluster keeps a queue on one slot',
    );
  }

  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken))) problems.push('METRICS_TOKEN must be at least 16 characters with no spaces');
  const metricsPort = env.METRICS_PORT === undefined || env.METRICS_PORT === '' ? null : int('METRICS_PORT', 0, 0, 65535);
  if (nodeEnv === 'production' && metricsPort !== null && metricsToken === null) problems.push('METRICS_TOKEN is required with METRICS_PORT when NODE_ENV=production');

  const config: AppConfig = {
    nodeEnv,
    port: int('PORT', 3000, 0, 65535),
    databaseUrl: url('DATABASE_URL', ['postgresql:', 'postgres:']),
    dbPoolSize: int('DB_POOL_SIZE', 10, 1, 500),
    // With REDIS_CLUSTER_NODES, REDIS_URL is optional: only its credentials and TLS (rediss:) apply, to every node.
    redisUrl: redisClusterNodes && !env.REDIS_URL ? `redis://${hostPort(redisClusterNodes[0]!)}` : url('REDIS_URL', ['redis:', 'rediss:']),
    redisClusterNodes,
    queuePrefix,
    screeningThresholdWeeks: int('SCREENING_THRESHOLD_WEEKS', 52, 0, 520),
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    authMode,
    authDevKeyFile: str('AUTH_DEV_KEY_FILE', '.data/dev-issuer.json'),
    authJwksUrl: jwks,
    authIssuer: str('AUTH_ISSUER', DEV_ISSUER),
    authAudience: str('AUTH_AUDIENCE', DEV_AUDIENCE),
    outboxPollMs: int('OUTBOX_POLL_MS', 1000, 10, 60_000),
    workerConcurrency: int('WORKER_CONCURRENCY', 10, 1, 500),
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimit: str('BODY_LIMIT', '100kb'),
    reconcileIntervalMs: int('RECONCILE_INTERVAL_MS', 15_000, 100, 3_600_000),
    reconcileGraceMs: int('RECONCILE_GRACE_MS', 60_000, 100, 86_400_000),
    metricsToken,
    metricsPort,
    metricsHost: str('METRICS_HOST', '0.0.0.0'),
    waitingListMaxBytes: int('WAITING_LIST_MAX_BYTES', 500 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    waitingListBatchRows: int('WAITING_LIST_BATCH_ROWS', 5_000, 1, 50_000),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
