import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import {
  FOLLOW_UP_ACTIONS,
  REFERRAL_ACTIONS,
  TRANSITIONS,
  allowedPairs,
  originListOutcome,
  reopenRefusal,
  transition,
  type ReferralAction,
} from './referral-state-machine.js';
import {
  FINAL_STATUSES,
  FOLLOW_UP_PHASE,
  FOLLOW_UP_STATUSES,
  PATHWAY_STATUSES,
  RECEIVER_OWNS,
  REFERRAL_STATUSES,
  STATUS_DESCRIPTIONS,
  REOPENABLE_STATUSES,
  isFinal,
  isReferralStatus,
  type ReferralStatus,
} from './referral-status.js';

const PRE_TREATMENT: readonly ReferralStatus[] = [
  'IDENTIFIED',
  'AWAITING_CLINICAL_REVIEW',
  'AWAITING_PATIENT_CONSENT',
  'AWAITING_RECEIVER_ACCEPTANCE',
  'AWAITING_BOOKING',
  'BOOKED',
];

/** The expected table, written out independently of TRANSITIONS so a change to it is caught. */
const EXPECTED_TABLE: ReadonlyArray<[ReferralAction, ReferralStatus, ReferralStatus]> = [
  ['screening_passed', 'IDENTIFIED', 'AWAITING_CLINICAL_REVIEW'],
  ['screening_failed', 'IDENTIFIED', 'NOT_ELIGIBLE'],
  ['clinical_review_suitable', 'AWAITING_CLINICAL_REVIEW', 'AWAITING_PATIENT_CONSENT'],
  ['clinical_review_not_suitable', 'AWAITING_CLINICAL_REVIEW', 'NOT_SUITABLE'],
  ['consent_accepted', 'AWAITING_PATIENT_CONSENT', 'AWAITING_RECEIVER_ACCEPTANCE'],
  ['consent_declined', 'AWAITING_PATIENT_CONSENT', 'DECLINED'],
  ['receiver_accepted', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING'],
  ['receiver_rejected', 'AWAITING_RECEIVER_ACCEPTANCE', 'REJECTED_BY_RECEIVER'],
  ['reoffered', 'REJECTED_BY_RECEIVER', 'AWAITING_PATIENT_CONSENT'],
  ['closed_to_origin', 'REJECTED_BY_RECEIVER', 'CANCELLED'],
  ['reopened', 'DECLINED', 'AWAITING_PATIENT_CONSENT'],
  ['reopened', 'CANCELLED', 'AWAITING_PATIENT_CONSENT'],
  ['pre_op_assessment_booked', 'AWAITING_BOOKING', 'AWAITING_BOOKING'],
  ['pre_op_assessment_booked', 'BOOKED', 'BOOKED'],
  ['procedure_booked', 'AWAITING_BOOKING', 'BOOKED'],
  ['pre_op_assessment_cancelled', 'AWAITING_BOOKING', 'AWAITING_BOOKING'],
  ['pre_op_assessment_cancelled', 'BOOKED', 'BOOKED'],
  ['procedure_cancelled', 'BOOKED', 'AWAITING_BOOKING'],
  ['treatment_recorded', 'BOOKED', 'TREATED'],
  ['discharged', 'TREATED', 'DISCHARGED'],
  ...PRE_TREATMENT.map((s): [ReferralAction, ReferralStatus, ReferralStatus] => ['withdrawn', s, 'WITHDRAWN']),
  ...PRE_TREATMENT.map((s): [ReferralAction, ReferralStatus, ReferralStatus] => ['cancelled', s, 'CANCELLED']),
  // The pathway after treatment (issue 18, PW).
  ['follow_up_kept', 'TREATED', 'FOLLOW_UP'],
  ['follow_up_handed_back', 'TREATED', 'AWAITING_ORIGIN_ACCEPTANCE'],
  ['virtual_ward_admitted', 'TREATED', 'VIRTUAL_WARD'],
  ['handback_accepted', 'AWAITING_ORIGIN_ACCEPTANCE', 'ORIGIN_FOLLOW_UP'],
  ['handback_refused', 'AWAITING_ORIGIN_ACCEPTANCE', 'FOLLOW_UP'],
  ['follow_up_discharged', 'FOLLOW_UP', 'DISCHARGED'],
  ['follow_up_discharged', 'ORIGIN_FOLLOW_UP', 'DISCHARGED'],
  ['follow_up_discharged', 'VIRTUAL_WARD', 'DISCHARGED'],
  // Booking as it really goes (issue 18, booking)
  ['appointment_rescheduled', 'AWAITING_BOOKING', 'AWAITING_BOOKING'],
  ['appointment_rescheduled', 'BOOKED', 'BOOKED'],
  ['pre_op_assessment_not_attended', 'AWAITING_BOOKING', 'AWAITING_BOOKING'],
  ['pre_op_assessment_not_attended', 'BOOKED', 'BOOKED'],
  ['procedure_not_attended', 'BOOKED', 'AWAITING_BOOKING'],
  ['returned_to_referrer_after_dna', 'AWAITING_BOOKING', 'CANCELLED'],
  ['returned_to_referrer_after_dna', 'BOOKED', 'CANCELLED'],
];

const key = (action: ReferralAction, from: ReferralStatus) => `${action}@${from}`;
const allowedKeys = new Set(allowedPairs().map((p) => key(p.action, p.from)));

const forbiddenPairs: Array<[ReferralStatus, ReferralAction]> = REFERRAL_STATUSES.flatMap((status) =>
  REFERRAL_ACTIONS.filter((action) => !allowedKeys.has(key(action, status))).map((action): [ReferralStatus, ReferralAction] => [status, action]),
);

describe('transition table', () => {
  it('TRANSITIONS has a rule for every action and nothing else', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...REFERRAL_ACTIONS].sort());
    for (const action of REFERRAL_ACTIONS) {
      expect(TRANSITIONS[action].from.length).toBeGreaterThan(0);
      expect(TRANSITIONS[action].label.length).toBeGreaterThan(0);
    }
  });

  it('allowedPairs() is exactly the expected table', () => {
    const actual = allowedPairs()
      .map((p) => `${p.action}:${p.from}->${p.to}`)
      .sort();
    const expected = EXPECTED_TABLE.map(([a, f, t]) => `${a}:${f}->${t}`).sort();
    expect(actual).toEqual(expected);
    expect(new Set(actual).size).toBe(actual.length);
  });

  test.each(allowedPairs().map((p) => [p.action, p.from, p.to] as const))('%s from %s leads to %s', (action, from, to) => {
    const result = transition(from, action);
    expect(result).toEqual({ allowed: true, from, to });
  });

  it('the allowed and refused pairs together cover the full cross product', () => {
    expect(allowedPairs().length).toBe(EXPECTED_TABLE.length);
    expect(allowedPairs().length + forbiddenPairs.length).toBe(REFERRAL_STATUSES.length * REFERRAL_ACTIONS.length);
    expect(forbiddenPairs.length).toBe(18 * 29 - 47);
  });

  test.each(forbiddenPairs)('from %s, %s is refused with a reason naming the status', (status, action) => {
    const result = transition(status, action);
    expect(result.allowed).toBe(false);
    if (result.allowed) throw new Error('unreachable');
    expect(result.from).toBe(status);
    expect(result.reason).toContain(`the referral is ${status}`);
    expect(result.reason).toContain(STATUS_DESCRIPTIONS[status]);
    expect(result.reason).toContain(TRANSITIONS[action].label);
    expect(result.allowedFrom).toEqual(TRANSITIONS[action].from);
    expect(result.allowedFrom).not.toContain(status);
    for (const from of TRANSITIONS[action].from) expect(result.reason).toContain(from);
  });

  it('refuses every not-allowed (status, action) pair of the cross product (counted)', () => {
    let refused = 0;
    for (const status of REFERRAL_STATUSES) {
      for (const action of REFERRAL_ACTIONS) {
        const result = transition(status, action);
        const expectedAllowed = EXPECTED_TABLE.some(([a, f]) => a === action && f === status);
        expect(result.allowed).toBe(expectedAllowed);
        if (!result.allowed) {
          refused++;
          expect(result.reason).toMatch(new RegExp(`the referral is ${status} \\(`));
        }
      }
    }
    expect(refused).toBe(REFERRAL_STATUSES.length * REFERRAL_ACTIONS.length - EXPECTED_TABLE.length);
  });

  it('a single allowed status is named on its own, several as "one of"', () => {
    const single = transition('DISCHARGED', 'treatment_recorded');
    expect(single.allowed).toBe(false);
    if (!single.allowed) {
      expect(single.reason).toBe(
        `Cannot record treatment: the referral is DISCHARGED (${STATUS_DESCRIPTIONS.DISCHARGED}). This is only possible while it is BOOKED.`,
      );
    }
    const several = transition('TREATED', 'withdrawn');
    expect(several.allowed).toBe(false);
    if (!several.allowed) {
      expect(several.reason).toContain(`one of ${PRE_TREATMENT.join(', ')}`);
    }
  });

  // A final status allows nothing, save the referring trust's re-open of a declined or cancelled one (issue 18, RO).
  test.each([...FINAL_STATUSES])('final status %s allows no action at all, save a re-open where it is re-openable', (status) => {
    const reopenable = (REOPENABLE_STATUSES as readonly ReferralStatus[]).includes(status);
    const allowed = REFERRAL_ACTIONS.filter((a) => transition(status, a).allowed);
    expect(allowed).toEqual(reopenable ? ['reopened'] : []);
    expect(allowedPairs().filter((p) => p.from === status)).toEqual(reopenable ? [{ action: 'reopened', from: status, to: 'AWAITING_PATIENT_CONSENT' }] : []);
  });

  it('re-openable statuses are final exits, re-opened only by `reopened`, into the offer stage (the same as a re-offer after a rejection)', () => {
    expect([...REOPENABLE_STATUSES].sort()).toEqual(['CANCELLED', 'DECLINED']);
    for (const s of REOPENABLE_STATUSES) expect(isFinal(s)).toBe(true);
    expect(TRANSITIONS.reopened.to).toBe(TRANSITIONS.reoffered.to);
    for (const s of REFERRAL_STATUSES) expect(transition(s, 'reopened').allowed).toBe((REOPENABLE_STATUSES as readonly ReferralStatus[]).includes(s));
  });

  it('every non-final status allows at least one action', () => {
    for (const s of REFERRAL_STATUSES.filter((x) => !isFinal(x))) {
      expect(REFERRAL_ACTIONS.some((a) => transition(s, a).allowed)).toBe(true);
    }
  });

  it('withdrawn and cancelled are allowed exactly in the pre-treatment statuses', () => {
    for (const action of ['withdrawn', 'cancelled'] as const) {
      const allowedIn = REFERRAL_STATUSES.filter((s) => transition(s, action).allowed);
      expect([...allowedIn].sort()).toEqual([...PRE_TREATMENT].sort());
    }
  });

  it('property: withdrawn/cancelled allowed iff the status is before treatment', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERRAL_STATUSES), fc.constantFrom('withdrawn' as const, 'cancelled' as const), (status, action) => {
        const result = transition(status, action);
        expect(result.allowed).toBe(PRE_TREATMENT.includes(status));
        if (result.allowed) expect(result.to).toBe(action === 'withdrawn' ? 'WITHDRAWN' : 'CANCELLED');
      }),
    );
  });

  it('property: random action sequences from IDENTIFIED stay valid, leave a final status only by a re-open, reach TREATED only via BOOKED', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...REFERRAL_ACTIONS), { maxLength: 60 }), (actions) => {
        let status: ReferralStatus = 'IDENTIFIED';
        let finalReached: ReferralStatus | null = null;
        for (const action of actions) {
          const result = transition(status, action);
          expect(result.from).toBe(status);
          if (!result.allowed) {
            expect(result.reason).toContain(status);
            continue;
          }
          // Nothing is allowed once final, save the re-open of a declined or cancelled referral into the offer stage.
          if (finalReached !== null) {
            expect(action).toBe('reopened');
            expect(REOPENABLE_STATUSES).toContain(finalReached);
            expect(result.to).toBe('AWAITING_PATIENT_CONSENT');
            finalReached = null;
          }
          expect(REFERRAL_STATUSES).toContain(result.to);
          if (result.to === 'TREATED' && status !== 'TREATED') {
            expect(status).toBe('BOOKED');
            expect(action).toBe('treatment_recorded');
          }
          if (result.to === 'DISCHARGED')
            expect(status === 'TREATED' ? action : FOLLOW_UP_STATUSES.includes(status as never) && action).toBe(
              status === 'TREATED' ? 'discharged' : 'follow_up_discharged',
            );
          // Follow-up comes only after treatment: its statuses are reached from TREATED or from one another.
          if (FOLLOW_UP_STATUSES.includes(result.to as never)) expect(FOLLOW_UP_PHASE).toContain(status);
          status = result.to;
          if (isFinal(status)) finalReached = status;
        }
        if (finalReached) expect(status).toBe(finalReached);
        expect(isReferralStatus(status)).toBe(true);
      }),
    );
  });

  it('the happy path walks through every pathway status in order', () => {
    const happy: ReferralAction[] = [
      'screening_passed',
      'clinical_review_suitable',
      'consent_accepted',
      'receiver_accepted',
      'procedure_booked',
      'treatment_recorded',
      'discharged',
    ];
    let status: ReferralStatus = 'IDENTIFIED';
    const seen: ReferralStatus[] = [status];
    for (const action of happy) {
      const r = transition(status, action);
      expect(r.allowed).toBe(true);
      if (r.allowed) status = r.to;
      seen.push(status);
    }
    expect(seen).toEqual([...PATHWAY_STATUSES]);
  });
});

describe('the pathway after treatment (issue 18, PW)', () => {
  it('property: a follow-up status is reached only after treatment, leaves only to another follow-up status or DISCHARGED, and never starts the RTT clock again', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERRAL_STATUSES), fc.constantFrom(...REFERRAL_ACTIONS), (status, action) => {
        const r = transition(status, action);
        if (!r.allowed) return;
        if (FOLLOW_UP_STATUSES.includes(r.to as never) && r.to !== status) expect(FOLLOW_UP_PHASE).toContain(status);
        if (FOLLOW_UP_STATUSES.includes(status as never)) expect([...FOLLOW_UP_STATUSES, 'DISCHARGED']).toContain(r.to);
        // After treatment nothing goes back before it: no exit, no booking, no review.
        if (FOLLOW_UP_PHASE.includes(status)) expect(PRE_TREATMENT).not.toContain(r.to);
      }),
    );
  });

  test.each([
    ['keep', 'FOLLOW_UP'],
    ['hand_back', 'AWAITING_ORIGIN_ACCEPTANCE'],
    ['virtual_ward', 'VIRTUAL_WARD'],
  ] as const)('the %s plan starts from TREATED in %s, and every plan ends in DISCHARGED', (plan, to) => {
    expect(transition('TREATED', FOLLOW_UP_ACTIONS[plan])).toEqual({ allowed: true, from: 'TREATED', to });
    const end = plan === 'hand_back' ? transition('ORIGIN_FOLLOW_UP', 'follow_up_discharged') : transition(to, 'follow_up_discharged');
    expect(end).toMatchObject({ allowed: true, to: 'DISCHARGED' });
  });

  it('the receiving trust accepted the transfer of care before any follow-up: it stays a party to every follow-up status', () => {
    expect(FOLLOW_UP_STATUSES.filter((s) => RECEIVER_OWNS.has(s))).toEqual([...FOLLOW_UP_STATUSES]);
  });
});

describe('booking as it really goes (issue 18)', () => {
  const BOOKING_ACTIONS = ['appointment_rescheduled', 'pre_op_assessment_not_attended', 'procedure_not_attended', 'returned_to_referrer_after_dna'] as const;

  it('property: a reschedule or a missed appointment is possible only in the booking stage, and leaves it only back to booking or closed to the referrer', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REFERRAL_STATUSES), fc.constantFrom(...BOOKING_ACTIONS), (status, action) => {
        const result = transition(status, action);
        expect(result.allowed).toBe(status === 'BOOKED' || (status === 'AWAITING_BOOKING' && action !== 'procedure_not_attended'));
        if (!result.allowed) return;
        if (action === 'appointment_rescheduled' || action === 'pre_op_assessment_not_attended') expect(result.to).toBe(status);
        if (action === 'procedure_not_attended') expect(result.to).toBe('AWAITING_BOOKING');
        if (action === 'returned_to_referrer_after_dna') {
          expect(result.to).toBe('CANCELLED');
          expect(originListOutcome(status, result.to)).toMatch(/^returned to the origin trust waiting list/);
        }
      }),
    );
  });

  it('property: any run of reschedules and missed appointments from BOOKED ends booked, waiting to be booked again, or returned', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BOOKING_ACTIONS, 'procedure_booked' as const), { maxLength: 30 }), (actions) => {
        let status: ReferralStatus = 'BOOKED';
        for (const action of actions) {
          const r = transition(status, action);
          if (r.allowed) status = r.to;
        }
        expect(['BOOKED', 'AWAITING_BOOKING', 'CANCELLED']).toContain(status);
      }),
    );
  });
});

describe('originListOutcome', () => {
  const KEPT = 'kept on the origin trust waiting list unchanged; weeks waited keep counting';
  const RETURNED = 'returned to the origin trust waiting list at the same RTT clock start; weeks waited keep counting';

  it('discharge completes the pathway', () => {
    expect(originListOutcome('TREATED', 'DISCHARGED')).toBe('pathway complete: treated at the receiving trust and discharged to the GP');
  });

  test.each([
    ['IDENTIFIED', 'NOT_ELIGIBLE'],
    ['IDENTIFIED', 'WITHDRAWN'],
    ['AWAITING_CLINICAL_REVIEW', 'NOT_SUITABLE'],
    ['AWAITING_CLINICAL_REVIEW', 'CANCELLED'],
    ['AWAITING_PATIENT_CONSENT', 'DECLINED'],
    ['AWAITING_RECEIVER_ACCEPTANCE', 'REJECTED_BY_RECEIVER'],
    ['AWAITING_RECEIVER_ACCEPTANCE', 'WITHDRAWN'],
  ] as Array<[ReferralStatus, ReferralStatus]>)('before the transfer of care: exit from %s to %s keeps the place', (from, exit) => {
    expect(originListOutcome(from, exit)).toBe(KEPT);
  });

  test.each([
    ['AWAITING_BOOKING', 'WITHDRAWN'],
    ['AWAITING_BOOKING', 'CANCELLED'],
    ['BOOKED', 'WITHDRAWN'],
    ['BOOKED', 'CANCELLED'],
  ] as Array<[ReferralStatus, ReferralStatus]>)('after the transfer of care: exit from %s to %s returns to the origin list', (from, exit) => {
    expect(originListOutcome(from, exit)).toBe(RETURNED);
  });

  it('every allowed exit transition has an outcome saying the place is never lost', () => {
    const exits = allowedPairs().filter((p) => isFinal(p.to));
    // A rejection is no longer an exit but the referring trust's decision; its close (closed_to_origin) is (issue 18, RO).
    expect(exits.length).toBe(22);
    for (const p of exits) {
      const outcome = originListOutcome(p.from, p.to);
      if (p.to === 'DISCHARGED') expect(outcome).toMatch(/^pathway complete/);
      else if (RECEIVER_OWNS.has(p.from)) expect(outcome).toBe(RETURNED);
      else expect(outcome).toBe(KEPT);
      if (p.to !== 'DISCHARGED') expect(outcome).toContain('weeks waited keep counting');
    }
  });
});

describe('re-opening a closed referral (issue 18, RO)', () => {
  const now = new Date('2027-03-01T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

  it('is allowed within the window after a decline or a cancellation, to the last millisecond', () => {
    expect(reopenRefusal({ type: 'consent_declined', at: daysAgo(1) }, 90, now)).toBeNull();
    expect(reopenRefusal({ type: 'returned_to_referrer_after_dna', at: daysAgo(90) }, 90, now)).toBeNull();
  });

  it('is refused past the window, naming the day it closed and the window', () => {
    expect(reopenRefusal({ type: 'cancelled', at: new Date(daysAgo(90).getTime() - 1) }, 90, now)).toMatch(
      /closed on 2026-12-01, and a closed referral may be offered again only within 90 days of its close/,
    );
  });

  it("is refused after the referring trust's own close to the origin list, however recent", () => {
    expect(reopenRefusal({ type: 'closed_to_origin', at: daysAgo(0) }, 90, now)).toMatch(/closed this referral back to the origin list on 2027-03-01/);
  });
});
