// The Prisma client over the pg driver adapter, connected for the life of the Nest app.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '#prisma-client';
import { APP_CONFIG, type AppConfig } from '#config';

@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.databaseUrl,
        max: config.dbPoolSize,
        // Fail fast while Postgres is down rather than queueing requests for ever.
        connectionTimeoutMillis: 5_000,
      }),
    });
  }

  /**
   * Last of all: workers and the outbox relay stop in beforeApplicationShutdown, so nothing
   * queries after this (a query after $disconnect would quietly open a new pool).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}

export type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];
