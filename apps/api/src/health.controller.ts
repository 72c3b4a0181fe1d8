// Liveness and readiness (Postgres and Redis), open to anyone.
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '#auth';
import { PrismaService } from '#persistence';
import { REDIS, type RedisClient } from './redis.provider.js';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  // Terminus (CommonJS) can load @nestjs/swagger (ESM-only) since Node 22's require(esm), and would
  // then describe the 503 with a body of its own: the document says what this API answers itself.
  @HealthCheck({ swaggerDocumentation: false })
  ready() {
    return this.health.check([
      async () => {
        const i = this.indicators.check('postgres');
        try {
          await withTimeout(this.prisma.$queryRaw`SELECT 1`, 2000);
          return i.up();
        } catch (e) {
          return i.down({ message: (e as Error).message.slice(0, 120) });
        }
      },
      async () => {
        const i = this.indicators.check('redis');
        try {
          await withTimeout(this.redis.ping(), 2000);
          return i.up();
        } catch (e) {
          return i.down({ message: (e as Error).message.slice(0, 120) });
        }
      },
    ]);
  }
}
