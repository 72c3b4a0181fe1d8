// The Prisma client over the pg driver adapter, connected for the life of the Nest app.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '#prisma-client';
import { APP_CONFIG, type AppConfig } from '#config';
import { inTransaction, PreparingClient, type SqlRunner } from './sql.js';

const DATE_OID = 1082;
const parseDay = (s: string) => new Date(`${s}T00:00:00Z`);

@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  /** The pool Prisma's adapter uses, for plain SQL on the hot paths (see sql.ts). */
  readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.database.url,
      Client: PreparingClient,
      max: config.database.poolSize,
      // Fail fast while Postgres is down rather than queueing requests for ever.
      connectionTimeoutMillis: 5_000,
      // Keep idle connections a minute (pg's default is 10 s): with load that comes and goes, a
      // new connection costs a backend start, authentication and preparing every statement again.
      idleTimeoutMillis: 60_000,
      // For plain SQL (Prisma's adapter passes its own parsers with every query): a `date` is a
      // day, read as UTC midnight as Prisma reads it, whatever the process's time zone.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === DATE_OID ? parseDay : (pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown)) as typeof pg.types.getTypeParser,
      },
    });
    // A connection Postgres ends (restart, failover) must not crash the process: pg emits
    // 'error' on a checked-out client between queries, where nothing else listens.
    pool.on('connect', (client) =>
      client.on('error', (e) => PrismaService.logger.warn({ code: (e as { code?: string }).code, error: e.message.slice(0, 200) }, 'database connection lost')),
    );
    pool.on('error', () => {});
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.pool = pool;
  }

  /** Plain SQL outside a transaction. */
  get sql(): SqlRunner {
    return this.pool;
  }

  /** Plain SQL in one transaction (see inTransaction). */
  sqlTransaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) => fn(client as SqlRunner));
  }

  private static readonly logger = new Logger('PrismaService');

  /**
   * Last of all: workers and the outbox relay stop in beforeApplicationShutdown, so nothing
   * queries after this (a query after $disconnect would quietly open a new pool).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    // The adapter disposes the pool only if Prisma itself ever connected: a process that ran plain
    // SQL alone would otherwise keep its idle connections (and its event loop) alive.
    if (!this.pool.ending) await this.pool.end();
  }
}

export type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];
