// What opening a referral needs: the patient as the referring trust records them, and the pathway.
// One type for the API, a waiting-list entry and the workflow (no I/O here).
import type { ClinicalInformation } from './clinical-information.js';

/** The patient's demographics and contact details, as one trust recorded them on one referral. */
export interface PatientDetails {
  readonly nhsNumber: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly dateOfBirth: Date;
  readonly address?: string | null;
  readonly postcode: string;
  readonly phone?: string | null;
  readonly email?: string | null;
  readonly gpPracticeOds: string;
  /** email | sms first; unset: as the trust last recorded it for this patient (email first if never). */
  readonly contactPreference?: string | null;
  /** large_print, braille...; unset: as the trust last recorded it for this patient. */
  readonly accessibleFormat?: string | null;
}

export interface NewReferral {
  readonly patient: PatientDetails;
  readonly specialtyCode: string;
  readonly procedureCode: string;
  readonly rttClockStart: Date;
  readonly pathwayId: string;
  readonly priority: string;
  readonly nextAppointmentDate?: Date | null;
  readonly tertiary?: boolean;
  /** The clinical package for the receiving clinician, when the referring trust has it at opening. */
  readonly clinicalInformation?: ClinicalInformation;
  /** Which way care moves (issue 18, PW); long_wait_transfer when not said. */
  readonly direction?: ReferralDirection;
}

/**
 * Which way care moves (issue 18, PW), set at opening; one workflow for both: a long-waiter sent to a
 * member with capacity, or a specialist trust's patient referred to a local member for treatment or
 * follow-up near home (NHS seed 004). Only the screening rules differ (LONG_WAIT_ONLY_RULES).
 */
export const REFERRAL_DIRECTIONS = ['long_wait_transfer', 'closer_to_home'] as const;
export type ReferralDirection = (typeof REFERRAL_DIRECTIONS)[number];
export const DEFAULT_DIRECTION: ReferralDirection = 'long_wait_transfer';
