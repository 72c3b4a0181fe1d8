// A referral as read from SQL: its columns and its patient's, each named once, the select lists made
// from them, and the row types every read of a referral (a view, a worklist, a command's load) uses.
import type { PatientDetails, ReferralStatus } from '#domain';

/** A referral's own fields, as every read of one gives them. */
export interface ReferralRow {
  readonly id: string;
  readonly status: ReferralStatus;
  readonly originOds: string;
  readonly receivingOds: string | null;
  readonly specialtyCode: string;
  readonly procedureCode: string;
  readonly pathwayId: string;
  readonly priority: string;
  readonly rttClockStart: Date;
  readonly rttClockStop: Date | null;
  readonly needsAttention: boolean;
  readonly travelRadiusMiles: number | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The column of each field, on the referral table. */
const REFERRAL_COLUMNS: { readonly [K in keyof ReferralRow]-?: string } = {
  id: 'id',
  status: 'status',
  originOds: 'origin_ods',
  receivingOds: 'receiving_ods',
  specialtyCode: 'specialty_code',
  procedureCode: 'procedure_code',
  pathwayId: 'pathway_id',
  priority: 'priority',
  rttClockStart: 'rtt_clock_start',
  rttClockStop: 'rtt_clock_stop',
  needsAttention: 'needs_attention',
  travelRadiusMiles: 'travel_radius_miles',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** The patient fields a referral's row can carry: the domain's PatientDetails as stored (null, never absent). */
export type PatientField = Exclude<keyof PatientDetails, 'accessibleFormat'>;
export type PatientRow = { readonly [K in PatientField]-?: Exclude<PatientDetails[K], undefined> };

/** The column of each patient field, on the patient table (one row per referral: each trust's own record). */
const PATIENT_COLUMNS: { readonly [K in PatientField]-?: string } = {
  nhsNumber: 'nhs_number',
  familyName: 'family_name',
  givenName: 'given_name',
  dateOfBirth: 'date_of_birth',
  address: 'address',
  postcode: 'postcode',
  phone: 'phone',
  email: 'email',
  gpPracticeOds: 'gp_practice_ods',
  contactPreference: 'contact_preference',
};

/** Who the patient is: all a worklist shows. */
export const PATIENT_IDENTITY = ['nhsNumber', 'familyName', 'givenName', 'dateOfBirth'] as const satisfies readonly PatientField[];
/** Who, and how to reach them: a patient's own list of referrals. */
export const PATIENT_CONTACT = [...PATIENT_IDENTITY, 'address', 'postcode', 'phone', 'email'] as const satisfies readonly PatientField[];
/** The patient as the referral view shows them to staff. */
export const PATIENT_RECORD = [...PATIENT_CONTACT, 'gpPracticeOds'] as const satisfies readonly PatientField[];
/** Everything a workflow step may need of them (contact preference: which channel a message goes by). */
export const PATIENT_ALL = [...PATIENT_RECORD, 'contactPreference'] as const satisfies readonly PatientField[];

/** A referral row with the patient fields `F`. */
export type ReferralWithPatient<F extends PatientField> = ReferralRow & { readonly patient: Pick<PatientRow, F> };

/** The select list of a referral row, on the referral aliased `r`, each column named as its field. */
export function referralColumns(r = 'r'): string {
  return aliased(REFERRAL_COLUMNS, r);
}

/** The select list of the patient fields `fields`, on the patient aliased `p`, each named as its field. */
export function patientColumns(fields: readonly PatientField[], p = 'p'): string {
  return aliased(Object.fromEntries(fields.map((f) => [f, PATIENT_COLUMNS[f]])), p);
}

/** The bare patient columns of `fields` (for a subquery that the select list above then reads). */
export function patientColumnNames(fields: readonly PatientField[]): string {
  return fields.map((f) => PATIENT_COLUMNS[f]).join(', ');
}

/** A flat row of referralColumns and patientColumns(fields) as a referral with its patient. */
export function withPatient<F extends PatientField>(row: ReferralRow & Pick<PatientRow, F>, fields: readonly F[]): ReferralWithPatient<F> {
  const referral = Object.fromEntries((Object.keys(REFERRAL_COLUMNS) as Array<keyof ReferralRow>).map((k) => [k, row[k]])) as unknown as ReferralRow;
  const patient = Object.fromEntries(fields.map((f) => [f, row[f]])) as unknown as Pick<PatientRow, F>;
  return { ...referral, patient };
}

function aliased(columns: Readonly<Record<string, string>>, table: string): string {
  return Object.entries(columns)
    .map(([field, column]) => (field === column ? `${table}.${column}` : `${table}.${column} AS "${field}"`))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// What a referral has (offers, bookings, its timeline, clinical notes), read with it as JSON arrays:
// one statement answers for the whole referral. JSON carries dates as text; *FromJson turn them back.

export interface OfferRow {
  readonly id: string;
  readonly receivingOds: string;
  readonly siteOds: string;
  readonly distanceMiles: number;
  readonly earliestWeek: Date;
  readonly status: string;
}

export interface BookingRow {
  readonly id: string;
  readonly kind: string;
  readonly siteOds: string;
  readonly startsAt: Date;
  readonly status: string;
  readonly cancelReason: string | null;
  readonly createdAt: Date;
}

export interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly fromStatus: string | null;
  readonly toStatus: string | null;
  readonly actorSub: string;
  readonly actorRole: string;
  readonly actorOds: string | null;
  readonly at: Date;
  readonly detail: unknown;
}

export interface NoteRow {
  readonly id: string;
  readonly kind: string;
  readonly text: string;
  readonly authorSub: string;
  readonly createdAt: Date;
}

/** A row as JSON gives it: each date as its text. */
export type AsJson<T> = { readonly [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** One kind of thing a referral has: its table, its fields' columns, which fields are dates, its order. */
interface Nested<T> {
  readonly table: string;
  readonly columns: { readonly [K in keyof T]-?: string };
  readonly dates: ReadonlyArray<keyof T>;
  readonly orderBy: string;
}

const OFFERS: Nested<OfferRow> = {
  table: 'offer',
  columns: { id: 'id', receivingOds: 'receiving_ods', siteOds: 'site_ods', distanceMiles: 'distance_miles', earliestWeek: 'earliest_week', status: 'status' },
  dates: ['earliestWeek'],
  orderBy: 'distance_miles, id',
};
const BOOKINGS: Nested<BookingRow> = {
  table: 'booking',
  columns: { id: 'id', kind: 'kind', siteOds: 'site_ods', startsAt: 'starts_at', status: 'status', cancelReason: 'cancel_reason', createdAt: 'created_at' },
  dates: ['startsAt', 'createdAt'],
  orderBy: 'created_at, id',
};
const EVENTS: Nested<EventRow> = {
  table: 'timeline_event',
  columns: {
    id: 'id::text',
    type: 'type',
    fromStatus: 'from_status',
    toStatus: 'to_status',
    actorSub: 'actor_sub',
    actorRole: 'actor_role',
    actorOds: 'actor_ods',
    at: 'at',
    detail: 'detail',
  },
  dates: ['at'],
  orderBy: 'id',
};
const NOTES: Nested<NoteRow> = {
  table: 'clinical_note',
  columns: { id: 'id', kind: 'kind', text: 'text', authorSub: 'author_sub', createdAt: 'created_at' },
  dates: ['createdAt'],
  orderBy: 'created_at, id',
};

/** The referral's rows of one kind as a JSON array ('[]' for none), on the referral aliased `r`; `where`: a further condition. */
function nestedSql<T>(n: Nested<T>, where?: string): string {
  const x = 'x';
  const fields = Object.entries<string>(n.columns)
    .map(([field, column]) => `'${field}', ${x}.${column}`)
    .join(', ');
  const order = n.orderBy
    .split(', ')
    .map((c) => `${x}.${c}`)
    .join(', ');
  return `COALESCE((SELECT json_agg(json_build_object(${fields}) ORDER BY ${order}) FROM ${n.table} ${x} WHERE ${x}.referral_id = r.id${where ? ` AND ${where}` : ''}), '[]')`;
}

function fromJson<T>(n: Nested<T>, rows: ReadonlyArray<AsJson<T>>): T[] {
  return rows.map((j) => {
    const row: Record<string, unknown> = { ...j };
    for (const k of n.dates) row[k as string] = new Date(row[k as string] as string);
    return row as T;
  });
}

/** A referral's offers (nearest first); `where`: a condition on the offer, aliased `x`. */
export const offersSql = (where?: string) => nestedSql(OFFERS, where);
export const bookingsSql = () => nestedSql(BOOKINGS);
export const eventsSql = () => nestedSql(EVENTS);
export const notesSql = () => nestedSql(NOTES);
export const offersFromJson = (j: ReadonlyArray<AsJson<OfferRow>>) => fromJson(OFFERS, j);
export const bookingsFromJson = (j: ReadonlyArray<AsJson<BookingRow>>) => fromJson(BOOKINGS, j);
export const eventsFromJson = (j: ReadonlyArray<AsJson<EventRow>>) => fromJson(EVENTS, j);
export const notesFromJson = (j: ReadonlyArray<AsJson<NoteRow>>) => fromJson(NOTES, j);
