// Eligibility screening rules for a transfer, applied before any clinician sees the referral.
import { ageInYears, weeksWaited } from './rtt-clock.js';
import { DEFAULT_DIRECTION, type ReferralDirection } from './referral-input.js';

export const DEFAULT_THRESHOLD_WEEKS = 52;
export const ADULT_AGE_YEARS = 18;
/** A patient with a date already booked this soon keeps it rather than being moved. */
export const BOOKED_SOON_WEEKS = 8;

export type IneligibilityCode = 'BELOW_THRESHOLD' | 'NOT_ADULT' | 'TERTIARY_CARE' | 'APPOINTMENT_WITHIN_8_WEEKS' | 'NO_GROUP_CAPACITY';

export interface ScreeningInput {
  readonly rttClockStart: Date;
  readonly dateOfBirth: Date;
  readonly tertiary: boolean;
  readonly nextAppointmentDate: Date | null;
  /** ODS codes of group members (other than the origin) declaring capacity for the specialty now. */
  readonly trustsWithCapacity: readonly string[];
  readonly thresholdWeeks: number;
  readonly today: Date;
  /** Which way care moves; long_wait_transfer when not said. */
  readonly direction?: ReferralDirection;
}

/**
 * Rules that only make sense for a long-waiter sent away for treatment: a closer-to-home referral moves
 * a specialist trust's patient to a local member whatever the wait, and specialised care is what it moves.
 */
export const LONG_WAIT_ONLY_RULES: readonly IneligibilityCode[] = ['BELOW_THRESHOLD', 'TERTIARY_CARE'];

export interface ScreeningReason {
  readonly code: IneligibilityCode;
  readonly message: string;
}

export interface ScreeningResult {
  readonly eligible: boolean;
  readonly weeksWaited: number;
  readonly reasons: readonly ScreeningReason[];
}

/** Applies every rule and reports every reason that fails, not just the first. */
export function screen(input: ScreeningInput): ScreeningResult {
  const reasons: ScreeningReason[] = [];
  const weeks = weeksWaited(input.rttClockStart, input.today);
  if (weeks < input.thresholdWeeks) {
    reasons.push({ code: 'BELOW_THRESHOLD', message: `Waited ${weeks} weeks; the cohort threshold is ${input.thresholdWeeks} weeks.` });
  }
  const age = ageInYears(input.dateOfBirth, input.today);
  if (age < ADULT_AGE_YEARS) {
    reasons.push({ code: 'NOT_ADULT', message: `Patient is ${age}; transfers are for adults (${ADULT_AGE_YEARS} or over).` });
  }
  if (input.tertiary) {
    reasons.push({ code: 'TERTIARY_CARE', message: 'Tertiary (specialised) care stays with the treating centre.' });
  }
  if (input.nextAppointmentDate) {
    // Whole days: from the start of today to the end of the day 8 weeks on.
    const limit = startOfDay(input.today) + (BOOKED_SOON_WEEKS * 7 + 1) * 86_400_000 - 1;
    const at = input.nextAppointmentDate.getTime();
    if (at >= startOfDay(input.today) && at <= limit) {
      reasons.push({
        code: 'APPOINTMENT_WITHIN_8_WEEKS',
        message: `A date is already booked on ${input.nextAppointmentDate.toISOString().slice(0, 10)}, within ${BOOKED_SOON_WEEKS} weeks.`,
      });
    }
  }
  if (input.trustsWithCapacity.length === 0) {
    reasons.push({ code: 'NO_GROUP_CAPACITY', message: 'No other group member declares capacity for this specialty now.' });
  }
  const applied = (input.direction ?? DEFAULT_DIRECTION) === 'long_wait_transfer' ? reasons : reasons.filter((r) => !LONG_WAIT_ONLY_RULES.includes(r.code));
  return { eligible: applied.length === 0, weeksWaited: weeks, reasons: applied };
}

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
