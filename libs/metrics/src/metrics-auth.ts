// The /metrics credential: a static bearer token from METRICS_TOKEN, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export type MetricsAuthResult = 'ok' | 'missing' | 'invalid';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A checker for the Authorization header; with no token configured every request passes. */
export function metricsAuth(token: string | null): (authorization: string | undefined) => MetricsAuthResult {
  if (token === null) return () => 'ok';
  const expected = digest(token);
  return (authorization) => {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) return 'missing';
    return timingSafeEqual(digest(m[1]), expected) ? 'ok' : 'invalid';
  };
}
