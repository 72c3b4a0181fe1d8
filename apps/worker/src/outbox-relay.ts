// Moves committed outbox rows into BullMQ, in order, with their deterministic job ids.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { QUEUE_NAMES, isJobName, jobOptions, producerConnection, type QueueName } from '#queue';

const BATCH = 200;

interface Row {
  id: bigint;
  queue: string;
  job_name: string;
  job_id: string;
  payload: unknown;
  delay_ms: number;
}

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private readonly queues = new Map<QueueName, Queue>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection: producerConnection(this.config.redisUrl), prefix: this.config.queuePrefix });
      q.on('error', () => {}); // reported by relayOnce failures; Redis outages are expected
      this.queues.set(name, q);
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = null));
    }, ms);
  }

  private async tick(): Promise<void> {
    let moved = 0;
    try {
      moved = await this.relayOnce();
    } catch (e) {
      this.logger.warn({ error: (e as Error).message.slice(0, 200) }, 'outbox relay could not move jobs; will retry');
    }
    this.schedule(moved === BATCH ? 0 : this.config.outboxPollMs);
  }

  /** One batch: lock pending rows (other relays skip them), enqueue, mark dispatched, commit. */
  async relayOnce(): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Row[]>`
        SELECT id, queue, job_name, job_id, payload, delay_ms FROM outbox_message
        WHERE dispatched_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      await Promise.all(
        rows.map((r) => {
          const queue = this.queues.get(r.queue as QueueName);
          if (!queue || !isJobName(r.job_name)) throw new Error(`outbox row ${r.id} names an unknown queue or job`);
          return queue.add(r.job_name, r.payload, jobOptions(r.job_name, r.job_id, r.delay_ms));
        }),
      );
      await tx.$executeRaw`UPDATE outbox_message SET dispatched_at = now() WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`;
      return rows.length;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
