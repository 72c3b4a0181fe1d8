// The API's Prometheus metrics. HTTP timing is observed per request (libs/metrics httpMetrics);
// the rest is read when Prometheus scrapes: referrals by status (one GROUP BY), outbox lag, and
// queue depth with the age of the oldest waiting job. Labels are statuses, queue and job-state
// names and route templates only: nothing about a patient or a referral.
import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { REFERRAL_STATUSES } from '#domain';
import { METRIC_PREFIX, MetricsRegistry, cached, withTimeout } from '#metrics';
import { PrismaService } from '#persistence';
import { outboxLag } from '#workflow';
import { MonitoredQueues } from './monitored-queues.js';

/** One scrape's answers are shared by the gauges that need them, and by scrapes within a second. */
const TTL_MS = 1_000;
/** A scrape answers even while Postgres or Redis does not: that collector's gauges are left out and it reports itself down. */
const TIMEOUT_MS = 2_000;
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

@Injectable()
export class ApiMetrics {
  readonly metrics = new MetricsRegistry('api');

  constructor(prisma: PrismaService, queues: MonitoredQueues) {
    const registers = [this.metrics.registry];
    /** A gauge filled at scrape time by `fill`; on failure it publishes no value (and its collector reports 0 below). */
    const scraped = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => Promise<void>): Gauge<L> => {
      const gauge: Gauge<L> = new Gauge<L>({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames,
        registers,
        async collect() {
          try {
            await fill(gauge);
          } catch {
            gauge.reset();
          }
        },
      });
      return gauge;
    };

    const referralCounts = cached(TTL_MS, () =>
      withTimeout(
        prisma.sql.query<{ status: string; n: number }>('SELECT status::text AS status, count(*)::int AS n FROM referral GROUP BY status').then((r) => r.rows),
        TIMEOUT_MS,
        'referral counts',
      ),
    );
    scraped('referrals', 'Referrals by status, every trust (counted in Postgres at scrape)', ['status'], async (g) => {
      const rows = await referralCounts();
      for (const s of REFERRAL_STATUSES) g.set({ status: s }, 0);
      for (const r of rows) g.set({ status: r.status }, Number(r.n));
    });

    const outbox = cached(TTL_MS, () => withTimeout(outboxLag(prisma.sql), TIMEOUT_MS, 'outbox lag'));
    scraped('outbox_undispatched_messages', 'Outbox rows committed but not yet enqueued in BullMQ', [], async (g) => g.set((await outbox()).count));
    scraped('outbox_oldest_undispatched_age_seconds', 'Age of the oldest outbox row not yet enqueued (0 when none): the relay lag', [], async (g) =>
      g.set((await outbox()).age),
    );

    const queueState = cached(TTL_MS, () =>
      withTimeout(
        Promise.all(
          queues.all.map(async (q) => {
            // Oldest first: one job from the far end of the waiting list.
            const [counts, oldest] = await Promise.all([q.getJobCounts(...JOB_STATES), q.getJobs(['waiting'], 0, 0, true)]);
            const job = oldest[0];
            const due = job ? job.timestamp + (job.opts.delay ?? 0) : null;
            return { queue: q.name, counts, oldestAge: due === null ? 0 : Math.max(0, (Date.now() - due) / 1000) };
          }),
        ),
        TIMEOUT_MS,
        'queue state',
      ),
    );
    scraped('queue_jobs', 'BullMQ jobs by queue and state (completed and failed: as many as are kept for inspection)', ['queue', 'state'], async (g) => {
      for (const q of await queueState()) for (const s of JOB_STATES) g.set({ queue: q.queue, state: s }, q.counts[s] ?? 0);
    });
    scraped(
      'queue_oldest_waiting_age_seconds',
      'Age of the oldest job waiting to run in each queue, from when it became due (0 when none wait)',
      ['queue'],
      async (g) => {
        for (const q of await queueState()) g.set({ queue: q.queue }, q.oldestAge);
      },
    );

    const sources = { referrals: referralCounts, outbox, queues: queueState } as const;
    const up: Gauge<'collector'> = new Gauge({
      name: `${METRIC_PREFIX}metrics_collector_up`,
      help: '1 if the source answered in this scrape (referrals: Postgres; outbox: Postgres; queues: Redis), else 0',
      labelNames: ['collector'] as const,
      registers,
      async collect() {
        await Promise.all(
          Object.entries(sources).map(async ([collector, load]) =>
            up.set(
              { collector },
              await load().then(
                () => 1,
                () => 0,
              ),
            ),
          ),
        );
      },
    });
  }
}
