// Routes each job to the one handler of its name; a missing or doubled handler stops the worker at boot.
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DeferJobError, JOB_NAMES, JOBS, isJobName, type JobName } from '#queue';
import { NeedsAttention, OutboxCompletions, type StepOutcome } from '#workflow';
import { JOB_HANDLERS, type JobHandler } from './handlers/job-handler.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';

@Injectable()
export class JobRouter {
  private readonly logger = new Logger('JobRouter');
  private readonly byName = new Map<JobName, JobHandler>();

  constructor(
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    private readonly completions: OutboxCompletions,
    private readonly needsAttention: NeedsAttention,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {
    const problems: string[] = [];
    for (const h of handlers) {
      if (this.byName.has(h.jobName)) problems.push(`job ${h.jobName} has two handlers`);
      this.byName.set(h.jobName, h);
    }
    for (const name of JOB_NAMES) if (!this.byName.has(name)) problems.push(`job ${name} has no handler`);
    for (const name of this.byName.keys()) if (!isJobName(name)) problems.push(`handler for unknown job ${name}`);
    if (problems.length) throw new Error(`Job catalogue and handlers disagree: ${problems.join('; ')}`);
  }

  async run(job: Job, token?: string): Promise<StepOutcome> {
    if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job ${job.name}`);
    const started = Date.now();
    let out: StepOutcome;
    try {
      out = await this.byName.get(job.name)!.handle(job.data as never);
      // The step has run (or had nothing to do): the reconciler need not look for it again.
      if (job.id) await this.completions.markCompleted(job.id);
    } catch (e) {
      // A job held for later (an SMS in quiet hours) goes back to the delayed set; it costs no attempt.
      if (e instanceof DeferJobError && token) {
        await job.moveToDelayed(e.until, token);
        this.logger.log({ job: job.name, jobId: job.id, until: new Date(e.until).toISOString(), reason: e.why }, 'job held');
        throw new DelayedError();
      }
      this.metrics?.observe(job, 'failed', Date.now() - started);
      throw e;
    }
    this.metrics?.observe(job, out.outcome === 'skipped' ? 'skipped' : 'completed', Date.now() - started);
    // Ids and outcomes only: never patient data.
    this.logger.log({ job: job.name, jobId: job.id, attempt: job.attemptsMade + 1, outcome: out.outcome, reason: out.reason, ms: Date.now() - started }, 'job finished');
    return out;
  }

  /**
   * On a job's last failure, a person must see it: its referral on a worklist, or what its
   * handler makes of it (an import marked failed). A job its worker died in more often than
   * BullMQ's stall limit fails as unrecoverable in the next worker to take it, and comes here too.
   */
  async failed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= attempts;
    this.logger.warn({ job: job.name, jobId: job.id, attempt: job.attemptsMade, final, error: err.message.slice(0, 200) }, 'job failed');
    if (!final) return;
    this.metrics?.failedForGood(job);
    await this.failedForGood(job, err);
  }

  /** What a job failed for good leaves for a person (also the reconciler's, for a failure no worker saw through). True when something was done. */
  async failedForGood(job: Job, err: Error): Promise<boolean> {
    if (!isJobName(job.name)) return false;
    const handler = this.byName.get(job.name)!;
    if (handler.failedForGood) return (await handler.failedForGood(job.data as never, job.id ?? '', err)).outcome === 'done';
    const referralId = (job.data as { referralId?: string }).referralId;
    if (!referralId) return false;
    return (await this.needsAttention.flag(referralId, job.name, job.id ?? '', `${err.name}: ${err.message}`)).outcome === 'done';
  }

  queueOf(name: JobName) {
    return JOBS[name].queue;
  }
}
