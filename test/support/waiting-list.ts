// Waiting-list CSV rows for the suites: a valid row with fresh NHS number and pathway id, any column overridden.
import { WAITING_LIST_COLUMNS } from '#domain';
import { isoDay, nhsNumber } from './stack.js';

export type WaitingListCsvRow = Record<(typeof WAITING_LIST_COLUMNS)[number], string>;

export const WAITING_LIST_HEADER = WAITING_LIST_COLUMNS.join(',');
let seq = 0;

/** A valid row: 60 weeks waited, trauma and orthopaedics, a pathway id of `prefix` and a counter. */
export function waitingListRow(over: Partial<WaitingListCsvRow> = {}, prefix = 'WL'): WaitingListCsvRow {
  return {
    nhs_number: nhsNumber(),
    family_name: 'Testpatient',
    given_name: 'Alex',
    date_of_birth: '1960-05-05',
    postcode: 'HR1 2ER',
    gp_practice_ods: 'M81001',
    specialty_code: '110',
    procedure_code: 'W371',
    rtt_clock_start: isoDay(-60 * 7),
    pathway_id: `${prefix}-${Date.now().toString(36)}${(seq++).toString(36)}`,
    priority: 'P4',
    next_appointment_date: '',
    ...over,
  };
}

/** The row as a CSV line, in the contract's column order. */
export const csvLine = (r: WaitingListCsvRow) => WAITING_LIST_COLUMNS.map((col) => r[col]).join(',');
