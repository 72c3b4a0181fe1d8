// The Prisma client over the pg driver adapter, connected for the life of the Nest app.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '#prisma-client';
import { APP_CONFIG, type AppConfig } from '#config';

@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.dbPoolSize,
      // Fail fast while Postgres is down rather than queueing requests for ever.
      connectionTimeoutMillis: 5_000,
    });
    // A connection Postgres ends (restart, failover) must not crash the process: pg emits
    // 'error' on a checked-out client between queries, where nothing else listens.
    pool.on('connect', (client) => client.on('error', (e) => PrismaService.logger.warn({ code: (e as { code?: string }).code, error: e.message.slice(0, 200) }, 'database connection lost')));
    pool.on('error', () => {});
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  }

  private static readonly logger = new Logger('PrismaService');

  /**
   * Last of all: workers and the outbox relay stop in beforeApplicationShutdown, so nothing
   * queries after this (a query after $disconnect would quietly open a new pool).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

export type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];
