// The worker's Prometheus metrics: jobs by queue, name and outcome, with their durations.
// Labels are queue and job names and outcomes only: never job ids (they carry referral ids).
import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { Job } from 'bullmq';
import { METRIC_PREFIX, MetricsRegistry } from '#metrics';
import { isJobName } from '#queue';

/** completed: the step ran; skipped: nothing to do (guard clauses); failed: this attempt threw. */
export type JobOutcome = 'completed' | 'skipped' | 'failed';

@Injectable()
export class WorkerMetrics {
  readonly metrics = new MetricsRegistry('worker');
  private readonly jobs = new Counter({
    name: `${METRIC_PREFIX}worker_jobs_total`,
    help: 'Job attempts run by this worker, by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    registers: [this.metrics.registry],
  });
  private readonly duration = new Histogram({
    name: `${METRIC_PREFIX}worker_job_duration_seconds`,
    help: 'How long a job attempt ran, by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.metrics.registry],
  });
  private readonly exhausted = new Counter({
    name: `${METRIC_PREFIX}worker_jobs_exhausted_total`,
    help: 'Jobs that failed for good (retries used up, unrecoverable, or stalled too often): their referral is flagged needsAttention, or their import marked failed',
    labelNames: ['queue', 'name'] as const,
    registers: [this.metrics.registry],
  });

  /** One attempt's outcome and how long it took. */
  observe(job: Job, outcome: JobOutcome, ms: number): void {
    const labels = { queue: job.queueName, name: isJobName(job.name) ? job.name : 'unknown', outcome };
    this.jobs.inc(labels);
    this.duration.observe(labels, ms / 1000);
  }

  /** A job that will not be tried again. */
  failedForGood(job: Job): void {
    this.exhausted.inc({ queue: job.queueName, name: isJobName(job.name) ? job.name : 'unknown' });
  }
}
