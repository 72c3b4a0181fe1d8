// Routes each job to the one use-case method bound to its name (@OnJob in libs/queue/src/on-job.ts),
// found on every provider at boot; a job with no method, or two, stops the worker at boot.
import { Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DeferJobError, JOB_NAMES, JOBS, ON_JOB, isJobName, type JobBinding, type JobName, type JobOutcome } from '#queue';
import { inJobSpan } from '#telemetry';
import { NeedsAttention, OutboxCompletions, type StepOutcome } from '#workflow';
import { WorkerMetrics } from '../metrics/worker-metrics.js';

type Bound = (payload: unknown, jobId?: string, cause?: Error) => Promise<JobOutcome>;

/** Every @OnJob and @OnJobFailedForGood method of the application's providers, checked against the catalogue. */
export function discoverJobBindings(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): { run: Map<JobName, Bound>; failedForGood: Map<JobName, Bound> } {
  const run = new Map<JobName, Bound>();
  const failedForGood = new Map<JobName, Bound>();
  const owners = new Map<string, string>();
  const problems: string[] = [];
  const seen = new Set<object>();
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
    seen.add(instance);
    const proto = Object.getPrototypeOf(instance) as object;
    for (const method of scanner.getAllMethodNames(proto)) {
      const fn = instance[method];
      if (typeof fn !== 'function') continue;
      const binding = reflector.get<JobBinding | undefined>(ON_JOB, fn);
      if (!binding) continue;
      const where = `${instance.constructor.name}.${method}`;
      const key = `${binding.role} ${binding.name}`;
      if (!isJobName(binding.name)) problems.push(`${where} is bound to unknown job ${String(binding.name)}`);
      else if (owners.has(key)) problems.push(`job ${binding.name} is bound twice (${owners.get(key)} and ${where})`);
      else (binding.role === 'run' ? run : failedForGood).set(binding.name, (fn as Bound).bind(instance));
      owners.set(key, where);
    }
  }
  for (const name of JOB_NAMES) if (!run.has(name)) problems.push(`job ${name} has no @OnJob method`);
  if (problems.length) throw new Error(`Job catalogue and @OnJob methods disagree: ${problems.join('; ')}`);
  return { run, failedForGood };
}

@Injectable()
export class JobRouter implements OnModuleInit {
  private readonly logger = new Logger('JobRouter');
  private bindings?: ReturnType<typeof discoverJobBindings>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly completions: OutboxCompletions,
    private readonly needsAttention: NeedsAttention,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {}

  /** At boot: a job without a method, or with two, stops the worker here. */
  onModuleInit(): void {
    this.bound();
  }

  private bound() {
    this.bindings ??= discoverJobBindings(this.discovery, this.scanner, this.reflector);
    return this.bindings;
  }

  /** Runs the job in its span, a child of the change that wrote its outbox row (tracing on only). */
  run(job: Job, token?: string): Promise<StepOutcome> {
    return inJobSpan(
      job,
      () => this.runJob(job, token),
      (out) => ({ 'crosstrust.job.outcome': out.outcome }),
    );
  }

  private async runJob(job: Job, token?: string): Promise<StepOutcome> {
    if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job ${job.name}`);
    const started = Date.now();
    let out: StepOutcome;
    try {
      out = await this.bound().run.get(job.name)!(job.data);
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
    this.logger.log(
      { job: job.name, jobId: job.id, attempt: job.attemptsMade + 1, outcome: out.outcome, reason: out.reason, ms: Date.now() - started },
      'job finished',
    );
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
    const failedForGood = this.bound().failedForGood.get(job.name);
    if (failedForGood) return (await failedForGood(job.data, job.id ?? '', err)).outcome === 'done';
    const referralId = (job.data as { referralId?: string }).referralId;
    if (!referralId) return false;
    return (await this.needsAttention.flag(referralId, job.name, job.id ?? '', `${err.name}: ${err.message}`)).outcome === 'done';
  }

  queueOf(name: JobName) {
    return JOBS[name].queue;
  }
}
