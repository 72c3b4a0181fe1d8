// Environment configuration: one schema, validated at boot, with a message naming each bad variable.

export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly databaseUrl: string;
  readonly dbPoolSize: number;
  readonly redisUrl: string;
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
  if (!/^\{[^{}]+\}/.test(queuePrefix)) problems.push('QUEUE_PREFIX must start with a {hash tag} so Redis Cluster keeps a queue on one slot');

  const config: AppConfig = {
    nodeEnv,
    port: int('PORT', 3000, 0, 65535),
    databaseUrl: url('DATABASE_URL', ['postgresql:', 'postgres:']),
    dbPoolSize: int('DB_POOL_SIZE', 10, 1, 500),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    queuePrefix,
    screeningThresholdWeeks: int('SCREENING_THRESHOLD_WEEKS', 52, 0, 520),
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    authMode,
    authDevKeyFile: str('AUTH_DEV_KEY_FILE', '.data/dev-issuer.json'),
    authJwksUrl: jwks,
    authIssuer: str('AUTH_ISSUER', DEV_ISSUER),
    authAudience: str('AUTH_AUDIENCE', DEV_AUDIENCE),
    outboxPollMs: int('OUTBOX_POLL_MS', 200, 10, 60_000),
    workerConcurrency: int('WORKER_CONCURRENCY', 10, 1, 500),
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimit: str('BODY_LIMIT', '100kb'),
    reconcileIntervalMs: int('RECONCILE_INTERVAL_MS', 15_000, 100, 3_600_000),
    reconcileGraceMs: int('RECONCILE_GRACE_MS', 60_000, 100, 86_400_000),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
