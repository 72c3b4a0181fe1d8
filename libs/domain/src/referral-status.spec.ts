// The referral statuses and their named sets, each set checked against the transition table.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TRANSITIONS, allowedPairs, transition } from './referral-state-machine.js';
import {
  AWAITING_ANSWER,
  AWAITING_ORIGIN,
  AWAITING_RECEIVER,
  BEFORE_RECEIVER_DECISION,
  BEFORE_TREATMENT,
  BOOKING_STAGE,
  EXIT_STATUSES,
  FINAL_STATUSES,
  OFFERS_HELD,
  OPENED_STATUS,
  PATHWAY_STATUSES,
  RECEIVER_OWNS,
  REFERRAL_STATUSES,
  STATUS_DESCRIPTIONS,
  WORKLIST_ARRIVALS,
  WORKLIST_NAMES,
  isFinal,
  isReferralStatus,
  patientToldOfTransfer,
  worklistStatuses,
  FOLLOW_UP_STATUSES,
  REFERRER_DECISION_STATUSES,
} from './referral-status.js';

describe('referral-status', () => {
  it('lists 8 pathway statuses, 5 exits, the rejection awaiting the referrer and 4 follow-up statuses, 18 in all, without duplicates', () => {
    expect(PATHWAY_STATUSES).toHaveLength(8);
    expect(EXIT_STATUSES).toHaveLength(5);
    expect(REFERRER_DECISION_STATUSES).toEqual(['REJECTED_BY_RECEIVER']);
    expect(FOLLOW_UP_STATUSES).toHaveLength(4);
    expect(REFERRAL_STATUSES).toHaveLength(18);
    expect(new Set(REFERRAL_STATUSES).size).toBe(18);
  });

  it('a rejection is not final: the referring trust re-offers or closes it (issue 18, RO)', () => {
    expect(isFinal('REJECTED_BY_RECEIVER')).toBe(false);
    expect(transition('REJECTED_BY_RECEIVER', 'reoffered')).toEqual({ allowed: true, from: 'REJECTED_BY_RECEIVER', to: 'AWAITING_PATIENT_CONSENT' });
    expect(transition('REJECTED_BY_RECEIVER', 'closed_to_origin')).toEqual({ allowed: true, from: 'REJECTED_BY_RECEIVER', to: 'CANCELLED' });
    expect(transition('DECLINED', 'reoffered').allowed).toBe(false);
  });

  it('final statuses are DISCHARGED and every exit', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['DISCHARGED', ...EXIT_STATUSES].sort());
    for (const s of REFERRAL_STATUSES) expect(isFinal(s)).toBe(s === 'DISCHARGED' || (EXIT_STATUSES as readonly string[]).includes(s));
  });

  it('isReferralStatus accepts every status and refuses anything else', () => {
    for (const s of REFERRAL_STATUSES) expect(isReferralStatus(s)).toBe(true);
    for (const v of ['identified', 'FAILED', '', ' IDENTIFIED', 'IDENTIFIED ', 42, null, undefined, {}, ['IDENTIFIED']]) {
      expect(isReferralStatus(v)).toBe(false);
    }
  });

  it('has a non-empty description for every status', () => {
    expect(Object.keys(STATUS_DESCRIPTIONS).sort()).toEqual([...REFERRAL_STATUSES].sort());
    for (const s of REFERRAL_STATUSES) expect(STATUS_DESCRIPTIONS[s].length).toBeGreaterThan(10);
    for (const s of EXIT_STATUSES) expect(STATUS_DESCRIPTIONS[s]).toMatch(/^closed:/);
  });

  it('the receiving trust owns the referral from AWAITING_BOOKING on', () => {
    expect([...RECEIVER_OWNS].sort()).toEqual(['AWAITING_BOOKING', 'BOOKED', 'DISCHARGED', 'TREATED', ...FOLLOW_UP_STATUSES].sort());
  });
});

describe('isReferralStatus (property)', () => {
  it('accepts a string exactly when it is one of the statuses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...REFERRAL_STATUSES)), (value) => {
        expect(isReferralStatus(value)).toBe((REFERRAL_STATUSES as readonly string[]).includes(value));
      }),
    );
  });
});

describe('named status sets, checked against the transition table', () => {
  it('a referral is opened in IDENTIFIED, which no action leads back to', () => {
    expect(OPENED_STATUS).toBe('IDENTIFIED');
    expect(allowedPairs().filter((p) => p.to === OPENED_STATUS)).toEqual([]);
  });

  it("the patient's answer is awaited exactly where consent can be recorded", () => {
    expect([AWAITING_ANSWER]).toEqual(TRANSITIONS.consent_accepted.from);
    expect([AWAITING_ANSWER]).toEqual(TRANSITIONS.consent_declined.from);
  });

  it('offers are held from the screening that makes them until the patient answers', () => {
    expect(OFFERS_HELD).toEqual([TRANSITIONS.screening_passed.to, ...TRANSITIONS.consent_accepted.from]);
  });

  it('the booking stage is where the receiving trust books and cancels', () => {
    expect(BOOKING_STAGE).toEqual(TRANSITIONS.pre_op_assessment_booked.from);
    expect(BOOKING_STAGE).toEqual(TRANSITIONS.pre_op_assessment_cancelled.from);
    expect([...TRANSITIONS.procedure_booked.from, ...TRANSITIONS.procedure_cancelled.from]).toEqual(BOOKING_STAGE);
    for (const s of BOOKING_STAGE) expect(RECEIVER_OWNS.has(s)).toBe(true);
  });

  it('before treatment is every pathway status up to BOOKED, the statuses a referral may be withdrawn or cancelled from', () => {
    expect(BEFORE_TREATMENT.at(-1)).toBe(TRANSITIONS.treatment_recorded.from[0]);
    expect(BEFORE_TREATMENT.some(isFinal)).toBe(false);
    expect(BEFORE_TREATMENT).toEqual(PATHWAY_STATUSES.slice(0, BEFORE_TREATMENT.length));
    expect(TRANSITIONS.withdrawn.from).toEqual(BEFORE_TREATMENT);
    expect(TRANSITIONS.cancelled.from).toEqual(BEFORE_TREATMENT);
  });

  it('the patient has been told of the transfer from the clinical review on, and not before', () => {
    expect(REFERRAL_STATUSES.filter((s) => !patientToldOfTransfer(s))).toEqual(['IDENTIFIED', 'AWAITING_CLINICAL_REVIEW']);
    // Told once the clinician has found transfer suitable, whatever happened next.
    for (const { from, to } of allowedPairs()) if (patientToldOfTransfer(from)) expect(patientToldOfTransfer(to)).toBe(true);
    expect(patientToldOfTransfer(TRANSITIONS.clinical_review_suitable.to!)).toBe(true);
  });

  it('every worklist shows a set of statuses (or any), and each of a worklist of one status is reached by a stage change', () => {
    expect(WORKLIST_NAMES).toEqual(['clinical-review', 'to-book', 'booking-changed', 'receiver-acceptance', 'handback-acceptance', 'needs-attention']);
    // The handback's list is the referring clinician's: the one status they accept or refuse a handback from (issue 18).
    expect(worklistStatuses('handback-acceptance')).toEqual([AWAITING_ORIGIN]);
    expect(TRANSITIONS.handback_accepted.from).toEqual(worklistStatuses('handback-acceptance'));
    expect(worklistStatuses('booking-changed')).toEqual(BOOKING_STAGE);
    expect(worklistStatuses('needs-attention')).toEqual(REFERRAL_STATUSES);
    expect([...WORKLIST_ARRIVALS]).toEqual([
      ['AWAITING_CLINICAL_REVIEW', 'clinical-review'],
      ['AWAITING_RECEIVER_ACCEPTANCE', 'receiver-acceptance'],
      ['AWAITING_BOOKING', 'to-book'],
      ['AWAITING_ORIGIN_ACCEPTANCE', 'handback-acceptance'],
    ]);
    const reached = new Set(
      allowedPairs()
        .filter((p) => p.from !== p.to)
        .map((p) => p.to),
    );
    for (const status of WORKLIST_ARRIVALS.keys()) expect(reached.has(status)).toBe(true);
  });
});

describe("the receiving clinician's decision", () => {
  it('AWAITING_RECEIVER is the one status the receiver accepts or rejects from', () => {
    for (const s of REFERRAL_STATUSES) {
      expect(transition(s, 'receiver_accepted').allowed).toBe(s === AWAITING_RECEIVER);
      expect(transition(s, 'receiver_rejected').allowed).toBe(s === AWAITING_RECEIVER);
    }
  });

  it('BEFORE_RECEIVER_DECISION is every status that is neither final nor held by the receiver', () => {
    expect([...BEFORE_RECEIVER_DECISION].sort()).toEqual(
      REFERRAL_STATUSES.filter((s) => !FINAL_STATUSES.has(s) && !RECEIVER_OWNS.has(s) && s !== 'REJECTED_BY_RECEIVER').sort(),
    );
  });
});
