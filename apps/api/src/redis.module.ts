// The API's own Redis client (readiness, rate limits, the console's "who has this referral open"),
// one connection shared by every module that needs it.
import { Module } from '@nestjs/common';
import { ConfigModule } from '#config';
import { REDIS, redisProviders } from './redis.provider.js';

@Module({ imports: [ConfigModule], providers: [...redisProviders], exports: [REDIS] })
export class RedisModule {}
