// Moves committed outbox rows into BullMQ, in order, with their deterministic job ids: the rows no
// process enqueued straight after its commit (OUTBOX_DIRECT_ENQUEUE off, a process without producer
// queues, Redis away at the time: libs/workflow/src/outbox/outbox-direct.ts). Woken by Postgres
// (LISTEN outbox_message; a trigger NOTIFYs when undispatched rows are inserted, delivered at
// commit), and polling as well in case a notification is missed while the listening connection is down.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { addToQueues, claimOutbox, markDispatched, releaseClaims } from '#workflow';
import { ProducerQueues } from '#queue';

const BATCH = 200;
/**
 * How long a relay's claim on a batch lasts. Enqueueing a batch takes milliseconds; if the relay
 * dies mid-batch (a killed worker), another takes the rows after this. Two relays enqueueing the
 * same rows is harmless (deterministic job ids), so short is better than safe-looking.
 */
const CLAIM_SECONDS = 5;
/** The channel the outbox trigger notifies (prisma/migrations/*_outbox_notify). */
const CHANNEL = 'outbox_message';
/** How long to wait before listening again after the connection is lost. */
const RELISTEN_MS = 1_000;

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** A notification came while a batch was running: run again at once when it ends. */
  private again = false;
  private listener: pg.Client | null = null;
  private relisten: NodeJS.Timeout | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: ProducerQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
    void this.listen();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => (this.running = null));
    }, ms);
  }

  /** Jobs were committed: move them now (or as soon as the batch in hand is done). */
  private wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** A dedicated connection that LISTENs; when it is lost the poll carries on and we listen again. */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.config.database.url, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const retry = () => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (!this.stopped && !this.relisten) {
        this.relisten = setTimeout(() => {
          this.relisten = null;
          void this.listen();
        }, RELISTEN_MS);
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.stopped) return void (await client.end().catch(() => undefined));
      this.listener = client;
      // Rows committed while we were not listening are not lost: look now.
      this.wake();
    } catch {
      retry();
    }
  }

  private async tick(): Promise<void> {
    let moved = 0;
    try {
      // A hung call must not stop the relay for good: give up on it and try again.
      moved = await Promise.race([
        this.relayOnce(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('relay batch took over 20 s')), 20_000).unref()),
      ]);
    } catch (e) {
      this.logger.warn({ error: (e as Error).message.slice(0, 200) }, 'outbox relay could not move jobs; will retry');
    }
    const again = this.again;
    this.again = false;
    this.schedule(moved === BATCH || again ? 0 : this.config.worker.outboxPollMs);
  }

  /**
   * One batch. Rows are claimed with a short lease (no transaction is held open while Redis
   * is called), enqueued with their deterministic ids, then marked dispatched. A relay that dies
   * mid-batch leaves its claim to expire and another relay enqueues the rows again: the job ids
   * make that a no-op in BullMQ, and the handlers are idempotent besides.
   */
  async relayOnce(): Promise<number> {
    const rows = await claimOutbox(this.prisma.sql, CLAIM_SECONDS, BATCH);
    if (rows.length === 0) return 0;
    const { sent, failed, error } = await addToQueues(this.queues, rows);
    await markDispatched(this.prisma.sql, sent);
    if (failed.length) {
      await releaseClaims(this.prisma.sql, failed);
      throw new Error(`${failed.length} of ${rows.length} jobs not enqueued: ${String((error as { message?: string } | undefined)?.message ?? error)}`);
    }
    return rows.length;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.relisten) clearTimeout(this.relisten);
    const listener = this.listener;
    this.listener = null;
    listener?.removeAllListeners('end');
    await listener?.end().catch(() => undefined);
    await this.running;
  }
}
