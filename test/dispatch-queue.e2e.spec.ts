// Queueing MESH dispatches (issue 20 made the insert its own replay check): one of each kind per
// referral, and a message that goes with another (the remove-from-list notice with the receiver's
// decision) is queued only by the call that queued the first, in the same statement.
import { describe, expect, it } from '@jest/globals';
import { queueDispatch, queueDispatchWith, type QueueDispatch } from '../libs/workflow/src/mesh/dispatches.js';
import { openReferral, useStack } from './support/stack.js';

const { s, c } = useStack();

const message = (referralId: string, kind: QueueDispatch['kind'], n: number): QueueDispatch => ({
  referralId,
  kind,
  senderOds: 'RJC',
  recipientOds: 'RLQ',
  payload: { n },
});

async function kindsOf(referralId: string): Promise<Array<{ kind: string; n: number }>> {
  const { rows } = await s.prisma.sql.query<{ kind: string; n: number }>(
    `SELECT kind, (payload->>'n')::int AS n FROM dispatch WHERE referral_id = $1::uuid ORDER BY kind`,
    [referralId],
  );
  return rows;
}

describe('queueing dispatches', () => {
  it('queues one of each kind per referral; a follower only with a first this call queued', async () => {
    const { id } = await openReferral(s, c);
    // A first queued here brings its follower, in one statement.
    expect(await s.prisma.sqlTransaction((tx) => queueDispatchWith(tx, message(id, 'RECEIVER_DECISION', 1), [message(id, 'REMOVE_FROM_LIST', 1)]))).toBe(true);
    expect(await kindsOf(id)).toEqual([
      { kind: 'RECEIVER_DECISION', n: 1 },
      { kind: 'REMOVE_FROM_LIST', n: 1 },
    ]);
    // A replay queues nothing: neither the first again nor its follower.
    expect(await s.prisma.sqlTransaction((tx) => queueDispatchWith(tx, message(id, 'RECEIVER_DECISION', 2), [message(id, 'REMOVE_FROM_LIST', 2)]))).toBe(false);
    expect(await kindsOf(id)).toEqual([
      { kind: 'RECEIVER_DECISION', n: 1 },
      { kind: 'REMOVE_FROM_LIST', n: 1 },
    ]);
    // A follower whose first was queued before is not queued either, even where its own kind is missing.
    const other = await openReferral(s, c);
    expect(await s.prisma.sqlTransaction((tx) => queueDispatch(tx, message(other.id, 'RECEIVER_DECISION', 1)))).toBe(true);
    expect(
      await s.prisma.sqlTransaction((tx) => queueDispatchWith(tx, message(other.id, 'RECEIVER_DECISION', 2), [message(other.id, 'REMOVE_FROM_LIST', 2)])),
    ).toBe(false);
    expect(await kindsOf(other.id)).toEqual([{ kind: 'RECEIVER_DECISION', n: 1 }]);
  });
});
