// The outbox's short hop (issue 20): the process that commits a change enqueues the change's jobs
// in BullMQ itself, straight after the commit, instead of the relay being woken (LISTEN/NOTIFY),
// claiming the rows and marking them dispatched. The rows are still written in the change's own
// transaction, already marked dispatched, so the guarantee is the outbox's as before:
// - jobs that cannot be enqueued (Redis away) are handed back to the relay at once (undispatched);
// - a process that dies between its commit and the enqueue leaves rows marked dispatched whose jobs
//   BullMQ never saw: the reconciler finds those after RECONCILE_GRACE_MS and re-drives them.
// Deterministic job ids make any second enqueue a no-op, and every handler is idempotent besides.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { GroupWriter, PrismaService, type SqlRunner } from '#persistence';
import { isJobName, jobOptions, ProducerQueues, type JobName } from '#queue';
import { jobTraceOptions } from '#telemetry';
import { enqueueDirectly, type OutboxRow } from './outbox.js';

/** How long an enqueue after a commit may take before its rows go back to the relay. */
const ENQUEUE_TIMEOUT_MS = 2_000;

export interface EnqueueResult {
  readonly sent: bigint[];
  readonly failed: bigint[];
  /** The first failure's reason, when any. */
  readonly error?: unknown;
}

/**
 * Adds `rows` to their queues with their deterministic job ids and trace context: one addBulk per
 * queue (one Redis round trip each), in id order. Never throws: what failed is in `failed`.
 */
export async function addToQueues(queues: { get(name: string): Queue | undefined }, rows: readonly OutboxRow[]): Promise<EnqueueResult> {
  const byQueue = new Map<string, OutboxRow[]>();
  for (const r of [...rows].sort((a, b) => (a.id < b.id ? -1 : 1))) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
  const sent: bigint[] = [];
  const failed: bigint[] = [];
  let error: unknown;
  await Promise.all(
    [...byQueue].map(async ([name, batch]) => {
      try {
        const queue = queues.get(name);
        const unknown = batch.find((r) => !isJobName(r.job_name));
        if (!queue || unknown) throw new Error(`outbox row ${(unknown ?? batch[0]).id} names an unknown queue or job`);
        await queue.addBulk(
          // Each job carries its own row's trace context: one batch may hold rows of many requests.
          batch.map((r) => ({
            name: r.job_name,
            data: r.payload,
            opts: { ...jobOptions(r.job_name as JobName, r.job_id, r.delay_ms), ...jobTraceOptions(r) },
          })),
        );
        sent.push(...batch.map((r) => r.id));
      } catch (e) {
        error ??= e;
        failed.push(...batch.map((r) => r.id));
      }
    }),
  );
  return { sent, failed, error };
}

/** Rows written dispatched whose jobs could not be enqueued: back to the relay, unless finished meanwhile. */
export async function handBack(db: SqlRunner, ids: readonly bigint[]): Promise<void> {
  if (ids.length)
    await db.query('UPDATE outbox_message SET dispatched_at = NULL, claimed_until = NULL WHERE id = ANY($1::bigint[]) AND completed_at IS NULL', [
      ids.map(String),
    ]);
}

/** Enqueues, straight after each commit of this process, the jobs the commit wrote (OUTBOX_DIRECT_ENQUEUE). */
@Injectable()
export class OutboxDirect implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxDirect');
  private stop: (() => void) | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: ProducerQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.worker.outboxDirectEnqueue) this.stop = enqueueDirectly((rows) => this.enqueue(rows));
  }

  /**
   * Commits that end while an enqueue is in flight go together in the next (one addBulk per queue
   * for all of them, as the relay batches), so a busy process makes one Redis round trip per group
   * of commits rather than per commit; a quiet one enqueues at once.
   */
  private readonly writer = new GroupWriter<OutboxRow>((rows) => this.enqueueGroup(rows));

  /** Never throws: the change has committed, and what could not be enqueued is the relay's or the reconciler's. */
  async enqueue(rows: readonly OutboxRow[]): Promise<void> {
    await Promise.all(rows.map((r) => this.writer.add(r)));
  }

  private async enqueueGroup(rows: readonly OutboxRow[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<EnqueueResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ sent: [], failed: rows.map((r) => r.id), error: new Error(`enqueue took over ${ENQUEUE_TIMEOUT_MS} ms`) }),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    const { failed, error } = await Promise.race([addToQueues(this.queues, rows), timedOut]).finally(() => clearTimeout(timer));
    if (failed.length === 0) return;
    const reason = String((error as { message?: string } | undefined)?.message ?? error).slice(0, 200);
    try {
      await handBack(this.prisma.sql, failed);
      this.logger.warn({ jobs: failed.length, error: reason }, 'jobs not enqueued after their commit; the outbox relay will enqueue them');
    } catch (e) {
      this.logger.warn(
        { jobs: failed.length, error: reason, handBack: (e as Error).message.slice(0, 200) },
        'jobs not enqueued after their commit nor handed to the relay; the reconciler will re-drive them',
      );
    }
  }

  /** Before the producer queues close (onApplicationShutdown): later commits leave their jobs to the relay. */
  beforeApplicationShutdown(): void {
    this.stop?.();
    this.stop = null;
  }
}
