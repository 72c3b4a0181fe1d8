// Binds a job of the catalogue to the use-case method that runs it, on the method itself: the
// worker's router discovers every binding at boot and stops the worker when a job has no method,
// or two (apps/worker/src/jobs/job-router.ts). A bound method takes exactly its job's payload.
import { SetMetadata } from '@nestjs/common';
import type { JobName, JobPayloads } from './job-catalogue.js';

/** What running a job came to: done, or skipped with the reason (gone, moved on, already done). */
export type JobOutcome = { readonly outcome: 'done' | 'skipped'; readonly reason?: string };

export const ON_JOB = 'crosstrust:on-job';

export interface JobBinding {
  readonly name: JobName;
  /** run: the job's work; failed-for-good: what a person sees once it has failed for good (default: its referral flagged). */
  readonly role: 'run' | 'failed-for-good';
}

type RunMethod<N extends JobName> = (payload: JobPayloads[N]) => Promise<JobOutcome>;
type FailedMethod<N extends JobName> = (payload: JobPayloads[N], jobId: string, cause: Error) => Promise<JobOutcome>;

/** This method runs job `name`. */
export function OnJob<N extends JobName>(name: N) {
  return <M extends RunMethod<N>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>) => {
    SetMetadata<string, JobBinding>(ON_JOB, { name, role: 'run' })(target, key, descriptor);
  };
}

/** This method says what a person sees when job `name` has failed for good (retries used up, unrecoverable, or its worker killed past the stall limit). */
export function OnJobFailedForGood<N extends JobName>(name: N) {
  return <M extends FailedMethod<N>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>) => {
    SetMetadata<string, JobBinding>(ON_JOB, { name, role: 'failed-for-good' })(target, key, descriptor);
  };
}
