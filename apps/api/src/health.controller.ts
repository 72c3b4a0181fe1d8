// Liveness and readiness (Postgres and Redis), open to anyone.
import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '#auth';
import { PrismaService } from '#persistence';
import { REDIS, type RedisClient } from './redis.provider.js';
import { errorBody } from './http/http-errors.filter.js';
import { LiveView, ReadyView } from './dto/responses/health.responses.js';

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
  @ApiOperation({ summary: 'Liveness: the process answers (checks nothing else)' })
  @ApiOkResponse({ type: LiveView })
  live(): LiveView {
    return { status: 'ok' };
  }

  @Get('ready')
  // Terminus (CommonJS) can load @nestjs/swagger (ESM-only) since Node 22's require(esm), and would
  // then describe the 503 with a body of its own: the document says what this API answers itself.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: Postgres and Redis answer within 2 s each (503 with the common error body when not)' })
  @ApiOkResponse({ type: ReadyView })
  async ready(): Promise<HealthCheckResult> {
    return this.health
      .check([
        async () => {
          const i = this.indicators.check('postgres');
          try {
            await withTimeout(this.prisma.sql.query('SELECT 1'), 2000);
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
      ])
      .catch((e: unknown) => {
        // Terminus answers 503 with its own body ({status, info, error, details}); every failure of
        // this API has the common one, with what each dependency said as its details.
        if (!(e instanceof ServiceUnavailableException)) throw e;
        const result = e.getResponse() as Partial<HealthCheckResult>;
        const down = Object.keys(result.error ?? {});
        throw new ServiceUnavailableException(errorBody(503, `Not ready: ${down.join(' and ') || 'a dependency'} did not answer`, result.details ?? {}));
      });
  }
}
