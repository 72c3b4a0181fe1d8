// The outbox's short hop (OUTBOX_DIRECT_ENQUEUE=true): the process that commits a change enqueues the
// change's jobs itself, straight after the commit, with the row written already dispatched; what it
// cannot enqueue goes back to the relay at once.
import { describe, expect, it } from '@jest/globals';
import { ProducerQueues } from '#queue';
import { openReferral, useEnv, useStack, waitForStatus, waitUntil } from './support/stack.js';

interface Row {
  job_id: string;
  job_name: string;
  dispatched_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
}

describe('jobs enqueued by the process that commits', () => {
  // The relay's poll is a minute away and no worker runs until the test starts one: only the api
  // itself can have put the job on its queue.
  useEnv({ OUTBOX_DIRECT_ENQUEUE: 'true', OUTBOX_POLL_MS: '60000' });
  const { s, c } = useStack({ worker: false });
  const rowsOf = async (id: string) =>
    (
      await s.prisma.sql.query<Row>(
        'SELECT job_id, job_name, dispatched_at, created_at, completed_at FROM outbox_message WHERE referral_id = $1::uuid ORDER BY id',
        [id],
      )
    ).rows;

  it('are on their queue when the command answers, and the steps run from there once a worker starts', async () => {
    const { id } = await openReferral(s, c);
    const [screen] = await rowsOf(id);
    expect(screen).toMatchObject({ job_name: 'referral.screen', completed_at: null });
    // Written dispatched, in the command's own transaction (now() is the transaction's time).
    expect(screen.dispatched_at?.getTime()).toBe(screen.created_at.getTime());
    const job = await s.queues.find((q) => q.name === 'workflow')!.getJob(screen.job_id);
    expect(job?.name).toBe('referral.screen');
    expect(job?.data).toEqual({ referralId: id });

    await s.startWorker();
    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    await waitUntil(async () => (await rowsOf(id)).every((r) => r.completed_at), 'the screening step to be recorded as completed');
  });
});

describe('jobs the committing process cannot enqueue', () => {
  useEnv({ OUTBOX_DIRECT_ENQUEUE: 'true', OUTBOX_POLL_MS: '60000' });
  const { s, c } = useStack({ worker: false });

  it('go back to the relay at once, which moves them', async () => {
    // The api's own connection to the workflow queue is gone (as when Redis is away from it alone).
    await s.api.get(ProducerQueues).get('workflow')!.close();
    const { id } = await openReferral(s, c);
    const undispatched = async () =>
      (await s.prisma.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_message WHERE referral_id = $1::uuid AND dispatched_at IS NULL', [id]))
        .rows[0].n;
    expect(await undispatched()).toBe(1);

    // A worker's relay looks at boot, then listens: it moves the row, and the step runs once.
    await s.startWorker();
    const r = await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    expect(r.timeline.filter((e: { type: string }) => e.type === 'screening_passed')).toHaveLength(1);
    expect(await undispatched()).toBe(0);
  });
});
