// Every queue and job of crosstrust in one place: names, payloads (ids only) and retry policies.
import type { JobsOptions } from 'bullmq';

export const QUEUE_NAMES = ['workflow', 'dispatch', 'notifications'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Payloads carry ids only: patient data stays in Postgres, never in Redis. */
export interface JobPayloads {
  /** Eligibility screening of a newly identified referral. */
  'referral.screen': { referralId: string };
  /** Refreshes offers against current capacity once a clinician finds transfer suitable, and tells the patient. */
  'referral.make-offers': { referralId: string };
  /** Sends the inter-provider transfer data set to the receiving trust. */
  'transfer.dispatch': { referralId: string };
  /** Sends the discharge summary to the patient's GP practice. */
  'discharge.dispatch': { referralId: string };
  /** Sends the receiving trust's acceptance or rejection to the origin (and, on acceptance, the remove-from-list notice). */
  'decision.dispatch': { referralId: string };
  /** Sends one patient notification. */
  'notification.send': { referralId: string; notificationId: string };
  /** Validates and applies one uploaded waiting-list CSV, in batches (the rows wait in Postgres). */
  'waiting-list.import': { importId: string };
  /** Sends one staff team's worklist email (table staff_notification; no patient data). */
  'staff-notification.send': { staffNotificationId: string };
  /** Computes every insights chart's figures into insight_figures, asked for by a trust admin (the timer refreshes without a job). No ids: nothing of a patient. */
  'insights.refresh': { reason: 'asked' };
  /** Sends one patient-initiated mutual aid invitation (table pidmas_invitation; no referral yet). */
  'pidmas-invitation.send': { invitationId: string };
}
export type JobName = keyof JobPayloads;

/*
 * Retry policies. Exponential backoff: attempt n waits delay * 2^(n-1).
 * A job that exhausts them flags its referral needsAttention for a person to look at.
 */
/** 8 attempts, 1 s base: retries over about 2 minutes (1+2+4+...+64 s = 127 s). */
export const RETRY_INTERNAL_STEP = { attempts: 8, backoff: { type: 'exponential', delay: 1_000 } } as const;
/** 10 attempts, 2 s base: retries over about 17 minutes (2 s x (2^9 - 1) = 1,022 s), riding out a partner's short outage. */
export const RETRY_EXTERNAL_DISPATCH = { attempts: 10, backoff: { type: 'exponential', delay: 2_000 } } as const;
/** 10 attempts, 5 s base: retries over about 43 minutes (5 s x 511 = 2,555 s), for the notification provider. */
export const RETRY_NOTIFICATION = { attempts: 10, backoff: { type: 'exponential', delay: 5_000 } } as const;
/**
 * 5 attempts, 5 s base: retries over about 2.5 minutes (5 s x 15 = 75 s, plus the runs), for a
 * database that went away mid-import. Each batch commits with its progress, so a retry resumes;
 * after the last attempt the handler marks the import failed (there is no referral to flag).
 */
export const RETRY_IMPORT = { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } } as const;

export interface JobDefinition {
  readonly queue: QueueName;
  readonly retry: { readonly attempts: number; readonly backoff: { readonly type: string; readonly delay: number } };
}

export const JOBS: Readonly<Record<JobName, JobDefinition>> = {
  'referral.screen': { queue: 'workflow', retry: RETRY_INTERNAL_STEP },
  'referral.make-offers': { queue: 'workflow', retry: RETRY_INTERNAL_STEP },
  'transfer.dispatch': { queue: 'dispatch', retry: RETRY_EXTERNAL_DISPATCH },
  'discharge.dispatch': { queue: 'dispatch', retry: RETRY_EXTERNAL_DISPATCH },
  'decision.dispatch': { queue: 'dispatch', retry: RETRY_EXTERNAL_DISPATCH },
  'notification.send': { queue: 'notifications', retry: RETRY_NOTIFICATION },
  'waiting-list.import': { queue: 'workflow', retry: RETRY_IMPORT },
  'staff-notification.send': { queue: 'notifications', retry: RETRY_NOTIFICATION },
  'insights.refresh': { queue: 'workflow', retry: RETRY_INTERNAL_STEP },
  'pidmas-invitation.send': { queue: 'notifications', retry: RETRY_NOTIFICATION },
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** A job to enqueue, as written to the outbox. */
export interface OutboxJob<N extends JobName = JobName> {
  readonly name: N;
  readonly payload: JobPayloads[N];
  /** The business key that makes a repeat enqueue a no-op (BullMQ ids may not contain ':'). */
  readonly jobId: string;
  readonly delayMs?: number;
}

/** Builds an outbox job with its deterministic id: `<job name>.<referral>.<step key>`. */
export function outboxJob<N extends JobName>(name: N, payload: JobPayloads[N], stepKey: string, delayMs = 0): OutboxJob<N> {
  const referralId = (payload as { referralId: string }).referralId;
  const jobId = `${name}.${referralId}.${stepKey}`.replace(/:/g, '_');
  return { name, payload, jobId, delayMs };
}

/** BullMQ options for a job: its retry policy, kept-for-inspection limits, the deterministic id. */
export function jobOptions(name: JobName, jobId: string, delayMs = 0): JobsOptions {
  const def = JOBS[name];
  return {
    jobId,
    delay: delayMs > 0 ? delayMs : undefined,
    attempts: def.retry.attempts,
    backoff: { ...def.retry.backoff },
    removeOnComplete: { age: 24 * 3600, count: 50_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * Worker options read once at start-up (the processor decorators need them at import time).
 * JOB_LOCK_MS: how long a job stays locked to the worker running it; a worker killed mid-job
 * has its job picked up again once the lock lapses (BullMQ's stalled-job check runs as often).
 */
export function workerTuning(env: Record<string, string | undefined> = process.env): {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
} {
  const lock = Number(env.JOB_LOCK_MS ?? 30_000);
  const lockDuration = Number.isInteger(lock) && lock >= 1_000 ? lock : 30_000;
  return { lockDuration, stalledInterval: lockDuration, maxStalledCount: 3 };
}
