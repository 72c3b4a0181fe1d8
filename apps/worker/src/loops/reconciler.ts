// Finds steps that were enqueued but never ran (Redis flushed or restarted, a worker killed)
// and re-drives them through the outbox. One worker process leads at a time: the one holding
// a Postgres advisory lock on its own connection (released by Postgres if that process dies).
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { PeriodicTask, ProducerQueues } from '#queue';
import { NeedsAttention, OutboxCompletions, pruneFinished, redrive, unfinishedSteps } from '#workflow';
import { JobRouter } from '../jobs/job-router.js';

/** Arbitrary, fixed: the advisory lock key of the reconciler ("crosstrust reconciler"). */
const LOCK_KEY = 7_351_902_204;
const BATCH = 500;

export interface ReconcileReport {
  readonly checked: number;
  readonly redriven: number;
  readonly completed: number;
  readonly flagged: number;
}

@Injectable()
export class Reconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Reconciler');
  private lockClient: pg.Client | null = null;
  private leader = false;
  /** Steps looked at per pass (tests lower it). */
  batch = BATCH;
  /** The outbox id the last pass stopped at (0: from the start). */
  private cursor = 0n;
  private readonly periodic: PeriodicTask<void>;

  constructor(
    private readonly prisma: PrismaService,
    private readonly completions: OutboxCompletions,
    private readonly needsAttention: NeedsAttention,
    private readonly queues: ProducerQueues,
    private readonly router: JobRouter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.periodic = new PeriodicTask({
      run: () => this.tick(),
      intervalMs: config.worker.reconcileIntervalMs,
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'reconciler pass failed; will try again'),
    });
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  private async tick(): Promise<void> {
    try {
      if (!(await this.lead())) return;
      const r = await this.reconcile(this.config.worker.reconcileIntervalMs / 2);
      if (r.redriven || r.completed || r.flagged) this.logger.warn({ ...r }, 'reconciler re-drove lost steps');
      await this.housekeeping();
    } catch (e) {
      this.logger.warn({ error: (e as Error).message.slice(0, 200) }, 'reconciler pass failed; will try again');
      await this.dropLock();
    }
  }

  /** Holds (or takes) leadership: a session advisory lock on a dedicated connection. */
  private async lead(): Promise<boolean> {
    if (this.leader && this.lockClient) return true;
    await this.dropLock();
    const c = new pg.Client({ connectionString: this.config.database.url, connectionTimeoutMillis: 5_000 });
    c.on('error', () => {
      this.leader = false;
    });
    await c.connect();
    const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    if (rows[0]?.ok) {
      this.lockClient = c;
      this.leader = true;
      this.logger.log('this worker now runs the reconciler');
      return true;
    }
    await c.end();
    return false;
  }

  private async dropLock(): Promise<void> {
    this.leader = false;
    const c = this.lockClient;
    this.lockClient = null;
    if (c) await c.end().catch(() => {});
  }

  /**
   * Passes, one after another, while each reads a full batch and finds lost steps in it (a
   * backlog after Redis lost its data is re-driven at the speed of the passes, not one batch per
   * interval), for at most `budgetMs`. A full batch of steps that are only slow (nothing to fix)
   * ends it: the next tick goes on from there, so the steady state costs one batch per interval.
   */
  async reconcile(budgetMs: number): Promise<ReconcileReport> {
    const until = Date.now() + budgetMs;
    const total = { checked: 0, redriven: 0, completed: 0, flagged: 0 };
    for (;;) {
      const r = await this.reconcileOnce();
      total.checked += r.checked;
      total.redriven += r.redriven;
      total.completed += r.completed;
      total.flagged += r.flagged;
      const fixed = r.redriven + r.completed + r.flagged;
      // At shutdown the run ends after the pass in hand.
      if (r.checked < this.batch || fixed === 0 || this.periodic.stopping || Date.now() >= until) return total;
    }
  }

  /**
   * One pass over steps dispatched longer ago than the grace period and not finished:
   * job gone -> enqueue again; job finished but not recorded -> record it; job failed for
   * good but not flagged -> flag the referral, or (a job with no referral, an import) what its
   * handler does when it fails for good.
   */
  async reconcileOnce(): Promise<ReconcileReport> {
    // Page on from where the last pass stopped: steps that are fine but not finished for a long
    // while (an SMS held for quiet hours, a job in a long retry back-off) must not fill every
    // pass's batch and hide lost steps behind them. Back to the start once a pass reads the end.
    const after = this.cursor;
    const rows = await unfinishedSteps(this.prisma.sql, after, this.config.worker.reconcileGraceMs, this.batch);
    this.cursor = rows.length === this.batch ? rows[rows.length - 1].id : 0n;
    let redriven = 0;
    let completed = 0;
    let flagged = 0;
    for (const r of rows) {
      const queue = this.queues.get(r.queue);
      if (!queue) continue;
      const job = await queue.getJob(r.job_id);
      if (!job) {
        // Lost with Redis, or removed: back to the outbox for the relay to enqueue again.
        await redrive(this.prisma.sql, r.id);
        redriven++;
        continue;
      }
      const state = await job.getState();
      if (state === 'completed') {
        await this.completions.markCompleted(r.job_id);
        completed++;
      } else if (state === 'failed' && job.attemptsMade >= (job.opts.attempts ?? 1) && r.referral_id) {
        await this.needsAttention.flag(r.referral_id, r.job_name, r.job_id, job.failedReason ?? 'failed');
        flagged++;
      } else if (state === 'failed' && !r.referral_id) {
        // Failed for good (a job in BullMQ's failed set has no retry left) while no worker heard: it died first.
        if (await this.router.failedForGood(job, new Error(job.failedReason || 'failed'))) flagged++;
      }
    }
    return { checked: rows.length, redriven, completed, flagged };
  }

  /** Expired idempotency keys (24 h) and long-finished outbox rows (7 days) go. */
  private async housekeeping(): Promise<void> {
    await this.prisma.sql.query(`DELETE FROM idempotency_record WHERE created_at < now() - interval '24 hours'`);
    await pruneFinished(this.prisma.sql);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
    await this.dropLock();
  }
}
