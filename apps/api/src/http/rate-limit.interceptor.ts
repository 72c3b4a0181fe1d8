// Per-caller rate limit (RATE_LIMIT_PER_MINUTE), counted in Redis so every API process shares it.
// Over the limit: 429 with Retry-After. If Redis is away, requests are let through (logged).
import { HttpException, Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { from, switchMap } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '#config';
import type { Caller } from '#auth';
import { REDIS, type RedisClient } from '../redis.provider.js';
import { errorBody } from './http-errors.filter.js';

@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger('RateLimit');

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<{ caller?: Caller }>();
    const res = ctx.switchToHttp().getResponse<FastifyReply>();
    if (!req.caller) return next.handle();
    return from(this.check(req.caller.sub, res)).pipe(switchMap(() => next.handle()));
  }

  private async check(sub: string, res: FastifyReply): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    const key = `${this.config.redis.queuePrefix}:ratelimit:${sub}:${window}`;
    let count: number;
    try {
      const [[, n]] = (await this.redis.multi().incr(key).expire(key, 61).exec()) as [[unknown, number]];
      count = n;
    } catch (e) {
      this.logger.warn({ error: (e as Error).message.slice(0, 120) }, 'rate limit not checked: Redis unavailable');
      return;
    }
    const limit = this.config.http.rateLimitPerMinute;
    void res.header('RateLimit-Limit', String(limit));
    void res.header('RateLimit-Remaining', String(Math.max(0, limit - count)));
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
      void res.header('Retry-After', String(retryAfter));
      throw new HttpException(errorBody(429, `Too many requests: at most ${limit} a minute per caller; try again in ${retryAfter} s`), 429);
    }
  }
}
