// One stage change as one transaction: new status (version-checked), a timeline event,
// patient notifications and outbox rows for every job the change starts.
import { transition, type ReferralAction, type ReferralStatus } from '#domain';
import type { Prisma } from '#prisma-client';
import type { Tx } from '#persistence';
import type { Actor } from '#auth';
import { JOBS, outboxJob, type OutboxJob } from '#queue';
import { preferredChannel, type NotificationEvent } from '#notifications';
import { ConcurrentChangeError, TransitionConflictError } from './workflow-errors.js';

export interface ReferralRef {
  readonly id: string;
  readonly status: ReferralStatus;
  readonly version: number;
  readonly patient: { readonly email: string | null; readonly phone: string | null };
}

export interface TransitionSpec {
  readonly action: ReferralAction;
  readonly actor: Actor;
  /** Timeline event type; defaults to the action. */
  readonly type?: string;
  readonly detail?: Record<string, unknown>;
  /** Other referral fields written with the status. */
  readonly data?: Omit<Prisma.ReferralUpdateManyMutationInput, 'status' | 'version'>;
  /** Jobs to start, keyed by the new event id so a replayed change cannot enqueue twice. */
  readonly jobs?: (eventId: string) => OutboxJob[];
  /** What the patient is told (with ids the message needs, such as a booking id). */
  readonly notify?: ReadonlyArray<NotificationEvent | { event: NotificationEvent; detail: Record<string, string> }>;
}

export interface TransitionOutcome {
  readonly from: ReferralStatus;
  readonly to: ReferralStatus;
  readonly eventId: string;
  readonly version: number;
}

export async function applyTransition(tx: Tx, ref: ReferralRef, spec: TransitionSpec): Promise<TransitionOutcome> {
  const t = transition(ref.status, spec.action);
  if (!t.allowed) throw new TransitionConflictError(t.reason, ref.status, t.allowedFrom);

  const updated = await tx.referral.updateMany({
    where: { id: ref.id, version: ref.version },
    data: { ...spec.data, status: t.to, version: { increment: 1 } },
  });
  if (updated.count === 0) {
    const now = await tx.referral.findUnique({ where: { id: ref.id }, select: { status: true } });
    throw new ConcurrentChangeError((now?.status as ReferralStatus | undefined) ?? null);
  }

  const event = await tx.timelineEvent.create({
    data: {
      referralId: ref.id,
      type: spec.type ?? spec.action,
      fromStatus: ref.status,
      toStatus: t.to,
      actorSub: spec.actor.sub,
      actorRole: spec.actor.role,
      actorOds: spec.actor.ods,
      detail: (spec.detail ?? undefined) as Prisma.InputJsonValue | undefined,
    },
    select: { id: true },
  });
  const eventId = event.id.toString();

  const jobs: OutboxJob[] = [...(spec.jobs?.(eventId) ?? [])];
  for (const n of spec.notify ?? []) {
    const { event, detail } = typeof n === 'string' ? { event: n, detail: undefined } : n;
    jobs.push(await createNotification(tx, ref, event, eventId, detail));
  }
  await writeOutbox(tx, ref.id, jobs);
  return { from: ref.status, to: t.to, eventId, version: ref.version + 1 };
}

/** Records a notification to send (once: its key is unique) and returns the job that sends it. */
export async function createNotification(tx: Tx, ref: ReferralRef, event: NotificationEvent, stepKey: string, detail?: Record<string, string>): Promise<OutboxJob> {
  const n = await tx.notification.create({
    data: {
      referralId: ref.id,
      event,
      key: `${ref.id}.${event}.${stepKey}`,
      channel: preferredChannel(ref.patient),
      status: 'created',
      detail,
    },
    select: { id: true },
  });
  return outboxJob('notification.send', { referralId: ref.id, notificationId: n.id }, n.id);
}

export async function writeOutbox(tx: Tx, referralId: string | null, jobs: readonly OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx.outboxMessage.createMany({
    data: jobs.map((j) => ({
      referralId,
      queue: jobQueue(j),
      jobName: j.name,
      jobId: j.jobId,
      payload: j.payload as unknown as Prisma.InputJsonValue,
      delayMs: j.delayMs ?? 0,
    })),
    // A replay of the same step writes the same job id: keep the first.
    skipDuplicates: true,
  });
}

/** Appends an event that does not change the status (a booking, a dispatch, a flag). */
export async function appendEvent(
  tx: Tx,
  referralId: string,
  status: ReferralStatus,
  type: string,
  actor: Actor,
  detail?: Record<string, unknown>,
): Promise<string> {
  const e = await tx.timelineEvent.create({
    data: {
      referralId,
      type,
      fromStatus: status,
      toStatus: status,
      actorSub: actor.sub,
      actorRole: actor.role,
      actorOds: actor.ods,
      detail: (detail ?? undefined) as Prisma.InputJsonValue | undefined,
    },
    select: { id: true },
  });
  return e.id.toString();
}

function jobQueue(j: OutboxJob): string {
  return JOBS[j.name].queue;
}
