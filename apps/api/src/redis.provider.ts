// A Redis client for the API's own needs (readiness); it fails fast while Redis is away.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '#config';
import { producerConnection } from '#queue';

export const REDIS = Symbol('REDIS');
export type RedisClient = Redis;

@Injectable()
export class RedisLifecycle implements OnModuleDestroy {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export const redisProviders = [
  {
    provide: REDIS,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => {
      const r = new Redis({ ...(producerConnection(config.redisUrl) as RedisOptions), lazyConnect: false });
      r.on('error', () => {}); // readiness reports it; do not crash or spam logs
      return r;
    },
  },
  RedisLifecycle,
];
