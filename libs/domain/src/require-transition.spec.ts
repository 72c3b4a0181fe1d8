// requireTransition: the transition table's answer as a command asks it, or its refusal as the
// error every edge maps by code (TRANSITION_REFUSED), always with the reason in words.
import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { TransitionConflictError, WorkflowError } from './errors.js';
import { REFERRAL_ACTIONS, TRANSITIONS, allowedPairs, requireTransition, transition } from './referral-state-machine.js';
import { REFERRAL_STATUSES, STATUS_DESCRIPTIONS, type ReferralStatus } from './referral-status.js';

const allowed = new Set(allowedPairs().map((p) => `${p.action}@${p.from}`));
const refused = REFERRAL_STATUSES.flatMap((status) =>
  REFERRAL_ACTIONS.filter((a) => !allowed.has(`${a}@${status}`)).map((action) => [status, action] as const),
);

/** What requireTransition threw, or a failure when it threw nothing. */
function refusal(status: ReferralStatus, action: (typeof REFERRAL_ACTIONS)[number]): TransitionConflictError {
  try {
    requireTransition(status, action);
  } catch (e) {
    if (e instanceof TransitionConflictError) return e;
    throw e;
  }
  throw new Error(`${action} from ${status} was not refused`);
}

describe('requireTransition', () => {
  test.each(allowedPairs().map((p) => [p.action, p.from, p.to] as const))('%s from %s answers with the move to %s', (action, from, to) => {
    expect(requireTransition(from, action)).toEqual({ from, to });
  });

  test.each(refused)('from %s, %s is refused as TRANSITION_REFUSED with the reason in words', (status, action) => {
    const e = refusal(status, action);
    expect(e).toBeInstanceOf(WorkflowError);
    expect(e.code).toBe('TRANSITION_REFUSED');
    // The reason: what was asked, where the referral is (in words), and where it would have to be.
    expect(e.message).toContain(`Cannot ${TRANSITIONS[action].label}`);
    expect(e.message).toContain(`the referral is ${status} (${STATUS_DESCRIPTIONS[status]})`);
    for (const from of TRANSITIONS[action].from) expect(e.message).toContain(from);
    expect(e.details).toEqual({ currentStatus: status, allowedFrom: TRANSITIONS[action].from });
    expect(e.currentStatus).toBe(status);
  });

  it('refuses exactly what transition() refuses, with the same reason (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERRAL_STATUSES), fc.constantFrom(...REFERRAL_ACTIONS), (status, action) => {
        const t = transition(status, action);
        if (t.allowed) expect(requireTransition(status, action)).toEqual({ from: t.from, to: t.to });
        else expect(refusal(status, action).message).toBe(t.reason);
      }),
    );
  });

  it('no refusal is without a reason', () => {
    expect(refused.length).toBeGreaterThan(0);
    for (const [status, action] of refused) expect(refusal(status, action).message.trim().length).toBeGreaterThan(40);
  });
});
