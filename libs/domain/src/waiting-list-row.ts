// A row of a trust's waiting-list (PTL) extract: the columns of the contract's CSV and the rules
// each must meet. The same rules (and wording) as POST /v1/referrals, whose DTO uses these patterns.
import { isGpPracticeCode } from './ods-code.js';
import type { PatientDetails } from './referral-input.js';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number.js';
import { parseIsoDate } from './rtt-clock.js';
import { isUkPostcode } from './travel-distance.js';

/** The CSV header, in the contract's order (any order is accepted; all must be there). */
export const WAITING_LIST_COLUMNS = [
  'nhs_number',
  'family_name',
  'given_name',
  'date_of_birth',
  'postcode',
  'gp_practice_ods',
  'specialty_code',
  'procedure_code',
  'rtt_clock_start',
  'pathway_id',
  'priority',
  'next_appointment_date',
] as const;
export type WaitingListColumn = (typeof WAITING_LIST_COLUMNS)[number];

/** Field rules shared with the referral body (apps/api/src/dto/referral.dto.ts). */
export const PERSON_NAME = /^[\p{L}\p{M}' .-]+$/u;
export const SPECIALTY_CODE = /^\d{3}$/;
export const OPCS4_CODE = /^[A-Z]\d{2,3}(\.\d)?$/;
export const PATHWAY_ID = /^[A-Za-z0-9][A-Za-z0-9_/-]{0,39}$/;
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type RawWaitingListRow = Partial<Record<WaitingListColumn, string | null>>;

/** One pathway of a waiting list: who the patient is (as PatientDetails has it), and the pathway. */
export interface WaitingListRow extends Pick<PatientDetails, 'nhsNumber' | 'familyName' | 'givenName' | 'dateOfBirth' | 'postcode' | 'gpPracticeOds'> {
  readonly specialtyCode: string;
  readonly procedureCode: string;
  readonly rttClockStart: Date;
  readonly pathwayId: string;
  readonly priority: Priority;
  readonly nextAppointmentDate: Date | null;
}

export interface RowProblem {
  readonly field: string;
  readonly reason: string;
}

export type RowResult = { readonly ok: true; readonly row: WaitingListRow } | { readonly ok: false; readonly problems: RowProblem[] };

const MAX_NAME = 100;

/**
 * Validates one row (values as text, already trimmed) against the referral rules. Every failing
 * field is reported; reasons name the field and the rule, never the value (they are shown to
 * the uploader and stored, and must carry no patient data).
 */
export function validateWaitingListRow(raw: RawWaitingListRow, today: Date = new Date()): RowResult {
  const problems: RowProblem[] = [];
  const v = (c: WaitingListColumn) => (raw[c] ?? '').trim();
  const bad = (field: WaitingListColumn, reason: string) => problems.push({ field, reason: `${field} ${reason}` });
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());

  const nhsNumber = normaliseNhsNumber(v('nhs_number'));
  if (!isValidNhsNumber(nhsNumber)) bad('nhs_number', 'must be a valid NHS number: 10 digits with a correct Modulus 11 check digit');

  const name = (c: 'family_name' | 'given_name') => {
    const s = v(c);
    if (s === '') bad(c, 'must not be empty');
    else if (s.length > MAX_NAME) bad(c, `must be shorter than or equal to ${MAX_NAME} characters`);
    else if (!PERSON_NAME.test(s)) bad(c, 'may contain letters, spaces, hyphens, apostrophes and full stops only');
    return s;
  };
  const familyName = name('family_name');
  const givenName = name('given_name');

  const date = (c: WaitingListColumn, opts: { notFuture?: boolean; optional?: boolean }) => {
    const s = v(c);
    if (s === '' && opts.optional) return null;
    const d = parseIsoDate(s);
    if (!d || (opts.notFuture && d.getTime() > todayUtc)) {
      bad(c, `must be a real date as YYYY-MM-DD${opts.notFuture ? ', not in the future' : ''}`);
      return null;
    }
    return d;
  };
  const dateOfBirth = date('date_of_birth', { notFuture: true });

  const postcode = v('postcode').toUpperCase();
  if (!isUkPostcode(postcode)) bad('postcode', 'must be a UK postcode (e.g. HR1 2ER)');

  const gpPracticeOds = v('gp_practice_ods').toUpperCase();
  if (!isGpPracticeCode(gpPracticeOds)) bad('gp_practice_ods', 'must be a GP practice ODS code: a letter and five digits (e.g. M81001)');

  const specialtyCode = v('specialty_code');
  if (!SPECIALTY_CODE.test(specialtyCode)) bad('specialty_code', 'must be a 3-digit treatment function code (e.g. 110)');

  const procedureCode = v('procedure_code').toUpperCase();
  if (!OPCS4_CODE.test(procedureCode)) bad('procedure_code', 'must be an OPCS-4 code (e.g. W371)');

  const rttClockStart = date('rtt_clock_start', { notFuture: true });
  if (rttClockStart && dateOfBirth && rttClockStart < dateOfBirth) bad('rtt_clock_start', 'cannot be before the patient was born');

  const pathwayId = v('pathway_id');
  if (!PATHWAY_ID.test(pathwayId)) bad('pathway_id', 'must be 1 to 40 letters, digits, -, _ or /');

  const priority = v('priority').toUpperCase();
  if (!(PRIORITIES as readonly string[]).includes(priority)) bad('priority', `must be one of ${PRIORITIES.join(', ')}`);

  const nextAppointmentDate = date('next_appointment_date', { optional: true });

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    row: {
      nhsNumber,
      familyName,
      givenName,
      dateOfBirth: dateOfBirth!,
      postcode,
      gpPracticeOds,
      specialtyCode,
      procedureCode,
      rttClockStart: rttClockStart!,
      pathwayId,
      priority: priority as Priority,
      nextAppointmentDate,
    },
  };
}
