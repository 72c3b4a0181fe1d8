// The contract between a job name of the catalogue and the one handler that runs it.
import type { JobName, JobPayloads } from '#queue';
import type { StepOutcome } from '#workflow';

export interface JobHandler<N extends JobName = JobName> {
  readonly jobName: N;
  handle(payload: JobPayloads[N]): Promise<StepOutcome>;
  /**
   * The job failed for good (retries used up, unrecoverable, or its worker killed past BullMQ's
   * stall limit). Without this, the job's referral is flagged needsAttention; a job with no
   * referral says here what a person will see instead.
   */
  failedForGood?(payload: JobPayloads[N], jobId: string, cause: Error): Promise<StepOutcome>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');
