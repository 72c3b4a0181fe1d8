// Nothing waits silently: a step that fails for good flags the referral for a person, who can
// retry it; a step lost with Redis is found by the reconciler and run again.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { UnrecoverableError } from 'bullmq';
import type { NotificationChannel, OutgoingMessage } from '#notifications';
import { Reconciler } from '../apps/worker/src/loops/reconciler.js';
import { bearer, drained, driveTo, getReferral, lastEventOf, openReferral, token, useEnv, useStack, waitForStatus, waitUntil } from './support/stack.js';

/** A channel standing in for the provider: it can be told to refuse messages for good. */
class SwitchableChannel implements NotificationChannel {
  failing = false;
  sent: string[] = [];
  async send(msg: OutgoingMessage) {
    if (this.failing) throw new UnrecoverableError('provider refused the message (400)');
    this.sent.push(msg.notificationId);
    return { status: 'delivered' as const };
  }
}

describe('a step that fails for good', () => {
  const channel = new SwitchableChannel();
  const { s, c } = useStack({ notificationChannel: channel });

  it('flags needsAttention with a timeline event, lists it, and a trust admin retries it', async () => {
    channel.failing = true;
    const { id, patient } = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    const flagged = await waitUntil(async () => {
      const r = await getReferral(s, c.clerkRLQ, id);
      return r.needsAttention ? r : null;
    }, 'the referral to be flagged');
    expect(flagged.status).toBe('AWAITING_PATIENT_CONSENT');
    expect(lastEventOf(flagged, 'needs_attention')).toMatchObject({
      type: 'needs_attention',
      detail: { jobName: 'notification.send', reason: expect.stringMatching(/provider refused/) },
    });
    const list = await s.http.get('/v1/referrals?needsAttention=true&limit=200').set(bearer(c.clerkRLQ));
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(id);

    // Only a trust admin may retry, and only what has failed.
    expect((await s.http.post(`/v1/referrals/${id}/retry`).set(bearer(c.clerkRLQ))).status).toBe(403);
    channel.failing = false;
    const admin = await token({ role: 'trust_admin', ods: 'RLQ', sub: 'admin-1' });
    const retry = await s.http.post(`/v1/referrals/${id}/retry`).set(bearer(admin));
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ needsAttention: false, retried: 1 });
    await drained(s);
    const notes = (await s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(patient))).body.items;
    expect(notes).toEqual([expect.objectContaining({ event: 'offer', status: 'delivered' })]);
    expect(channel.sent.filter((n) => n === notes[0].id)).toHaveLength(1);

    const again = await s.http.post(`/v1/referrals/${id}/retry`).set(bearer(admin));
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/Nothing to retry/);
  });
});

describe('a step lost with Redis', () => {
  // The api leaves its commits' jobs to the relay here, and no worker runs until a test starts one:
  // a row these tests mark dispatched has no job in Redis, as when Redis has lost it.
  useEnv({ OUTBOX_DIRECT_ENQUEUE: 'false' });
  const { s, c } = useStack({ worker: false });

  /** The referrals' unfinished steps were enqueued five minutes ago, then Redis lost them. */
  const loseSteps = (ids: string[]) =>
    s.prisma
      .$executeRaw`UPDATE outbox_message SET dispatched_at = now() - interval '5 minutes' WHERE referral_id = ANY(${ids}::uuid[]) AND completed_at IS NULL`;
  const notificationsQueue = () => s.queues.find((q) => q.name === 'notifications')!;
  /** `n` steps waiting on purpose (an SMS held until morning): their jobs are in Redis, delayed for an hour. Job ids start with `prefix`. */
  async function holdSteps(prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const jobId = `${prefix}-${randomUUID()}`;
      await notificationsQueue().add('notification.send', { referralId: randomUUID(), notificationId: randomUUID() }, { jobId, delay: 3_600_000 });
      await s.prisma.$executeRaw`INSERT INTO outbox_message (queue, job_name, job_id, payload, dispatched_at)
        VALUES ('notifications', 'notification.send', ${jobId}, '{}'::jsonb, now() - interval '5 minutes')`;
    }
  }
  /** Removes what holdSteps(prefix) made, from the outbox and from Redis. */
  async function releaseHeldSteps(prefix: string): Promise<void> {
    await s.prisma.$executeRaw`DELETE FROM outbox_message WHERE job_id LIKE ${`${prefix}-%`}`;
    for (const job of await notificationsQueue().getJobs(['delayed'])) if (job.id?.startsWith(`${prefix}-`)) await job.remove();
  }

  it('is found by the reconciler and run again, once', async () => {
    // The API commits the referral and its outbox row; the row was enqueued, then Redis lost it.
    const { id } = await openReferral(s, c);
    await loseSteps([id]);
    const worker = await s.startWorker();
    expect((await getReferral(s, c.clinRLQ, id)).status).toBe('IDENTIFIED');

    const report = await worker.get(Reconciler).reconcileOnce();
    expect(report.redriven).toBeGreaterThanOrEqual(1);
    const r = await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    expect(r.timeline.filter((e: { type: string }) => e.type === 'screening_passed')).toHaveLength(1);
    await waitUntil(async () => (await s.prisma.outboxMessage.findFirst({ where: { referralId: id } }))?.completedAt, 'the step to be recorded as completed');

    // A second pass finds nothing more to do for it.
    await worker.get(Reconciler).reconcileOnce();
    const rows = await s.prisma.outboxMessage.findMany({ where: { referralId: id } });
    expect(rows.every((row) => row.completedAt && row.dispatchedAt)).toBe(true);
  });

  it('re-drives a backlog of lost steps in one run of passes, a batch at a time, where one pass would take a batch', async () => {
    await s.worker?.close();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await openReferral(s, c)).id);
    // Enqueued, then lost with Redis: five screening steps, more than one batch of two.
    await loseSteps(ids);
    const worker = await s.startWorker();
    const reconciler = worker.get(Reconciler);
    reconciler.batch = 2;
    try {
      const report = await reconciler.reconcile(60_000);
      // Passes of 2, 2 and 1: every lost step in one run, where a single pass re-drives two.
      expect(report).toMatchObject({ checked: 5, redriven: 5 });
      for (const id of ids) await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    } finally {
      reconciler.batch = 500;
    }
  });

  it('stops a run of passes at a full batch of steps that are only slow, so the steady state reads one batch per interval', async () => {
    await s.worker?.close();
    // Five steps waiting on purpose: nothing to fix.
    await holdSteps('slow', 5);
    const worker = await s.startWorker();
    const reconciler = worker.get(Reconciler);
    reconciler.batch = 2;
    try {
      expect(await reconciler.reconcile(60_000)).toEqual({ checked: 2, redriven: 0, completed: 0, flagged: 0 });
    } finally {
      reconciler.batch = 500;
      await releaseHeldSteps('slow');
    }
  });

  it('pages past steps that are fine but long unfinished (an SMS held until morning), so a lost step behind them is found', async () => {
    await s.worker?.close();
    // Three steps waiting on purpose.
    await holdSteps('held', 3);
    // Behind them, a step Redis lost.
    const { id } = await openReferral(s, c);
    await loseSteps([id]);
    const worker = await s.startWorker();
    const reconciler = worker.get(Reconciler);
    reconciler.batch = 2;
    try {
      const passes: Array<{ redriven: number }> = [];
      for (let i = 0; i < 3 && !passes.some((p) => p.redriven > 0); i++) passes.push(await reconciler.reconcileOnce());
      expect(passes[0].redriven).toBe(0);
      expect(passes.reduce((n, p) => n + p.redriven, 0)).toBe(1);
      await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    } finally {
      reconciler.batch = 500;
      await releaseHeldSteps('held');
    }
  });
});
