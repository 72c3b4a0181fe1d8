// The contract between a job name of the catalogue and the one handler that runs it.
import type { JobName, JobPayloads } from '#queue';
import type { StepOutcome } from '#workflow';

export interface JobHandler<N extends JobName = JobName> {
  readonly jobName: N;
  handle(payload: JobPayloads[N]): Promise<StepOutcome>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');
