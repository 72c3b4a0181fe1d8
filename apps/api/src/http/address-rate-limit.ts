// Per-address rate limit (PUBLIC_RATE_LIMIT_PER_MINUTE) for traffic no token vouches for: requests
// without a valid bearer token, the patients' offer pages, Notify callbacks without the callback
// token, scrapes without the metrics token. Health checks and the offer pages' static assets are not
// counted. Requests with a valid token are neither counted nor refused here (the per-caller limit,
// RateLimitInterceptor, is theirs), so one trust's staff behind one NAT address are not held up by a
// guesser beside them.
//
// A Fastify onRequest hook, before the body is read and Nest's guards run: the global auth guard
// answers 401 before any interceptor runs, and a refused request should cost nothing more. Counted in Redis
// like the per-caller limit, so every API process shares it; if Redis is away, requests go through.
import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '#config';
import type { TokenVerifier } from '#auth';
import { metricsAuth } from '#metrics';
import type { RedisClient } from '../redis.provider.js';
import { notifyCallbackAuth } from '../notify-callback.controller.js';
import { METRICS_PATH } from '../operator/operator-routes.js';
import { addressBucket, clientAddress, trustedProxyList } from './client-address.js';
import { errorBody } from './http-errors.filter.js';

/** Never counted: load balancers' health checks, and files with no lookup behind them. */
const NOT_COUNTED = ['/health', '/offer/assets', '/console/assets'];
/** The staff console: a signed-in person's session cookie vouches for them as a bearer token does. */
const CONSOLE_AREA = '/console';
/** Public pages: every request counts, whatever token it carries (a token opens nothing there). */
const PUBLIC_PAGES = ['/offer', '/opt-in'];
/** Notify's delivery receipts: vouched for by the callback token alone (a user's JWT opens nothing there). */
const NOTIFY_CALLBACK_AREA = '/v1/notify';

/** Routing ignores case (bootstrap.ts), so /OFFER/... reaches the offer pages: compare as it does. */
export const under = (path: string, prefix: string) => {
  const p = path.toLowerCase();
  return p === prefix || p.startsWith(`${prefix}/`);
};

/** A request's path, without its query string. */
export const pathOf = (req: FastifyRequest) => req.url.split('?')[0];

export function addressRateLimit(deps: {
  config: AppConfig;
  redis: RedisClient;
  verifier: TokenVerifier;
  /** Whether the request carries a live console session (ConsoleSessions.openFor). */
  consoleSession?: (req: FastifyRequest) => Promise<boolean>;
}) {
  const { config, redis, verifier, consoleSession } = deps;
  const logger = new Logger('AddressRateLimit');
  const trusted = trustedProxyList(config.http.trustedProxies);
  const isNotify = notifyCallbackAuth(config.notify.callbackToken);
  const prometheus = config.metrics.token === null ? null : metricsAuth(config.metrics.token);
  const limit = config.http.publicRateLimitPerMinute;

  /** Whether the request carries a credential that makes it someone's, not an address's. */
  async function vouchedFor(req: FastifyRequest, path: string): Promise<boolean> {
    if (PUBLIC_PAGES.some((p) => under(path, p))) return false;
    if (under(path, NOTIFY_CALLBACK_AREA)) return isNotify(req.headers.authorization);
    // Prometheus scrapes every API process from one address, and the count is shared: its token vouches for it.
    if (under(path, METRICS_PATH) && prometheus?.(req.headers.authorization) === 'ok') return true;
    // Staff behind one NAT address work all day in the console: their sessions are theirs, not the address's.
    if (consoleSession && under(path, CONSOLE_AREA) && (await consoleSession(req))) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    return verifier.verifyFor(req, m[1]).then(
      () => true,
      () => false,
    );
  }

  /** Counts the request against its address; the number so far this minute, or null when Redis did not answer. */
  async function count(bucket: string, window: number): Promise<number | null> {
    const key = `${config.redis.queuePrefix}:ratelimit-address:${bucket}:${window}`;
    try {
      const [[, n]] = (await redis.multi().incr(key).expire(key, 61).exec()) as [[unknown, number]];
      return n;
    } catch (e) {
      logger.warn({ error: (e as Error).message.slice(0, 120) }, 'per-address rate limit not checked: Redis unavailable');
      return null;
    }
  }

  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const path = pathOf(req);
    if (NOT_COUNTED.some((p) => under(path, p))) return;
    if (await vouchedFor(req, path)) return;
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    const n = await count(addressBucket(clientAddress(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'], trusted)), window);
    if (n === null) return;
    void reply.header('RateLimit-Limit', String(limit));
    void reply.header('RateLimit-Remaining', String(Math.max(0, limit - n)));
    if (n <= limit) return;
    // Once per address and minute; never the address itself (a patient's) or the path (an offer link).
    if (n === limit + 1) logger.warn({ limit }, 'per-address rate limit reached');
    const retryAfter = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
    // Answered here: returning the reply ends the request before the body is read or the guard runs.
    return reply
      .code(429)
      .header('Retry-After', String(retryAfter))
      .send(errorBody(429, `Too many requests from your address without a valid token: at most ${limit} a minute; try again in ${retryAfter} s`));
  };
}
