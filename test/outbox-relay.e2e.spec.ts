// The outbox relay is woken by Postgres (LISTEN/NOTIFY) when jobs are committed, so a step's
// follow-up job does not wait for the relay's poll; and it listens again when that connection drops.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { openReferral, useEnv, useStack, waitUntil } from './support/stack.js';

const POLL_MS = '60000'; // the longest allowed: within it only a notification moves a job
// The relay's own path: the api does not enqueue its commits' jobs itself here (OUTBOX_DIRECT_ENQUEUE).
useEnv({ OUTBOX_POLL_MS: POLL_MS, OUTBOX_DIRECT_ENQUEUE: 'false' });
const { s, c } = useStack();

beforeAll(async () => {
  // The relay has run its first pass at boot and is now waiting out the long poll.
  await waitUntil(async () => (await listenerPids()).length === 1, 'the relay to LISTEN');
});

async function listenerPids(): Promise<number[]> {
  const rows = await s.prisma.$queryRaw<Array<{ pid: number }>>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN outbox_message'`;
  return rows.map((r) => r.pid);
}

/** Seconds between the screening job's commit and the relay putting it on its queue. */
async function screeningDispatchDelay(referralId: string): Promise<number> {
  const row = await waitUntil(
    async () => {
      const rows = await s.prisma.$queryRaw<Array<{ delay: number }>>`
      SELECT extract(epoch FROM dispatched_at - created_at)::float8 AS delay FROM outbox_message
      WHERE referral_id = ${referralId}::uuid AND job_name = 'referral.screen' AND dispatched_at IS NOT NULL`;
      return rows[0];
    },
    'the screening job to be dispatched',
    30,
  );
  return row.delay;
}

describe('outbox relay woken by LISTEN/NOTIFY', () => {
  it('moves a committed job at once, though its next poll is a minute away', async () => {
    const { id } = await openReferral(s, c);
    expect(await screeningDispatchDelay(id)).toBeLessThan(5);
  });

  it('listens again when its connection is dropped, and moves jobs committed meanwhile', async () => {
    const [pid] = await listenerPids();
    await s.prisma.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    await waitUntil(async () => !(await listenerPids()).includes(pid), 'the old listener to go');
    const { id } = await openReferral(s, c);
    await waitUntil(async () => (await listenerPids()).length === 1, 'the relay to LISTEN again');
    expect(await screeningDispatchDelay(id)).toBeLessThan(10);
  });
});
