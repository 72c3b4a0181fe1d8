// A referral as read from SQL: its columns and its patient's, each named once, the select lists made
// from them, and the row types every read of a referral (a view, a worklist, a command's load) uses.
import type { PatientDetails, ReferralDirection, ReferralStatus } from '#domain';

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
  /** Which way care moves (issue 18, PW). */
  readonly direction: ReferralDirection;
}

/**
 * How a row type is read: each field's column, and which fields are dates (JSON carries a date as
 * text, to be made a Date again; a column read as such is one already).
 */
interface Shape<T> {
  readonly columns: { readonly [K in keyof T]-?: string };
  readonly dates: ReadonlyArray<keyof T>;
}

/** The referral table. */
const REFERRAL: Shape<ReferralRow> = {
  columns: {
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
    direction: 'direction',
  },
  dates: ['rttClockStart', 'rttClockStop', 'createdAt', 'updatedAt'],
};

/** The patient fields a referral's row can carry: the domain's PatientDetails as stored (null, never absent). */
export type PatientField = Exclude<keyof PatientDetails, 'accessibleFormat'>;
export type PatientRow = { readonly [K in PatientField]-?: Exclude<PatientDetails[K], undefined> };

/** The patient table (one row per referral: each trust's own record). */
const PATIENT: Shape<PatientRow> = {
  columns: {
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
  },
  dates: ['dateOfBirth'],
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

const REFERRAL_FIELDS = Object.keys(REFERRAL.columns) as Array<keyof ReferralRow>;

/** The select list of a referral row, on the referral aliased `r`, each column named as its field. */
export function referralColumns(r = 'r'): string {
  return selectList(REFERRAL, REFERRAL_FIELDS, r);
}

/** The select list of the patient fields `fields`, on the patient aliased `p`, each named as its field. */
export function patientColumns(fields: readonly PatientField[], p = 'p'): string {
  return selectList(PATIENT, fields, p);
}

/** The bare patient columns of `fields` (for a subquery that the select list above then reads). */
export function patientColumnNames(fields: readonly PatientField[]): string {
  return fields.map((f) => PATIENT.columns[f]).join(', ');
}

/** A flat row of referralColumns and patientColumns(fields) as a referral with its patient. */
export function withPatient<F extends PatientField>(row: ReferralRow & Pick<PatientRow, F>, fields: readonly F[]): ReferralWithPatient<F> {
  return { ...pick<ReferralRow>(row, REFERRAL_FIELDS), patient: pick<Pick<PatientRow, F>>(row, fields) };
}

/**
 * A referral and its patient fields `fields` as json_build_object's arguments, for a statement
 * that reads the referral as one JSON value with what it has (the referral view); referralFromJson
 * reads it back.
 */
export function referralJsonFields(fields: readonly PatientField[], r = 'r', p = 'p'): string {
  return `${jsonFields(REFERRAL, REFERRAL_FIELDS, r)}, 'patient', json_build_object(${jsonFields(PATIENT, fields, p)})`;
}

/** What referralJsonFields(fields) reads, as JSON gives it. */
export type ReferralJson<F extends PatientField> = AsJson<ReferralRow> & { readonly patient: AsJson<Pick<PatientRow, F>> };

export function referralFromJson<F extends PatientField>(j: ReferralJson<F>, fields: readonly F[]): ReferralWithPatient<F> {
  return {
    ...fromJson(REFERRAL, pick<AsJson<ReferralRow>>(j, REFERRAL_FIELDS)),
    patient: fromJson(PATIENT as unknown as Shape<Pick<PatientRow, F>>, pick<AsJson<Pick<PatientRow, F>>>(j.patient, fields)),
  };
}

function selectList<T>(shape: Shape<T>, fields: ReadonlyArray<keyof T>, table: string): string {
  return fields
    .map((field) => {
      const column = shape.columns[field];
      return field === column ? `${table}.${column}` : `${table}.${column} AS "${String(field)}"`;
    })
    .join(', ');
}

function jsonFields<T>(shape: Shape<T>, fields: ReadonlyArray<keyof T>, table: string): string {
  return fields.map((field) => `'${String(field)}', ${table}.${shape.columns[field]}`).join(', ');
}

function pick<T>(row: object, fields: readonly PropertyKey[]): T {
  const out: Record<PropertyKey, unknown> = {};
  for (const f of fields) out[f] = (row as Record<PropertyKey, unknown>)[f];
  return out as T;
}

/** A row as JSON gave it, its dates made Dates again. */
function fromJson<T>(shape: Shape<T>, j: AsJson<T>): T {
  const row: Record<string, unknown> = { ...j };
  for (const k of shape.dates) {
    const v = row[k as string];
    if (typeof v === 'string') row[k as string] = new Date(v);
  }
  return row as T;
}

// ---------------------------------------------------------------------------------------------
// What a referral has (offers, bookings, its timeline, clinical notes), read with it as JSON arrays:
// one statement answers for the whole referral. JSON carries dates as text; *FromJson turn them back.

export interface OfferRow {
  readonly id: string;
  readonly receivingOds: string;
  readonly siteOds: string;
  /** Null when the distance is not known (distanceBasis 'unknown'). */
  readonly distanceMiles: number | null;
  readonly distanceBasis: string;
  readonly earliestWeek: Date;
  readonly status: string;
}

/** A service with room that could not take the referral's patient, as of its last match (site_exclusion). */
export interface ExclusionRow {
  readonly siteOds: string;
  readonly receivingOds: string;
  readonly serviceName: string;
  readonly reasons: string[];
  readonly procedures: string[];
  readonly maxBmi: number | null;
  readonly maxAsaGrade: number | null;
  readonly minAgeYears: number | null;
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
  readonly actorName: string | null;
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

/** One kind of thing a referral has: its table, its shape, its order. */
interface Nested<T> extends Shape<T> {
  readonly table: string;
  readonly orderBy: string;
}

const OFFERS: Nested<OfferRow> = {
  table: 'offer',
  columns: {
    id: 'id',
    receivingOds: 'receiving_ods',
    siteOds: 'site_ods',
    distanceMiles: 'distance_miles',
    distanceBasis: 'distance_basis',
    earliestWeek: 'earliest_week',
    status: 'status',
  },
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
    actorName: 'actor_name',
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
  const order = n.orderBy
    .split(', ')
    .map((c) => `${x}.${c}`)
    .join(', ');
  const fields = jsonFields(n, Object.keys(n.columns) as Array<keyof T>, x);
  return `COALESCE((SELECT json_agg(json_build_object(${fields}) ORDER BY ${order}) FROM ${n.table} ${x} WHERE ${x}.referral_id = r.id${where ? ` AND ${where}` : ''}), '[]')`;
}

const nestedFromJson = <T>(n: Nested<T>, rows: ReadonlyArray<AsJson<T>>): T[] => rows.map((j) => fromJson(n, j));

/** The referral's site exclusions with their services' rules, as a JSON array, on the referral aliased `r`. */
export const exclusionsSql = () =>
  `COALESCE((SELECT json_agg(json_build_object('siteOds', x.site_ods, 'receivingOds', sv.trust_ods, 'serviceName', sv.name, 'reasons', x.reasons,
     'procedures', sv.procedures, 'maxBmi', sv.max_bmi, 'maxAsaGrade', sv.max_asa_grade, 'minAgeYears', sv.min_age_years) ORDER BY x.site_ods, sv.name)
   FROM site_exclusion x JOIN service sv ON sv.id = x.service_id WHERE x.referral_id = r.id), '[]')`;

/** A referral's offers (nearest first); `where`: a condition on the offer, aliased `x`. */
export const offersSql = (where?: string) => nestedSql(OFFERS, where);
export const bookingsSql = () => nestedSql(BOOKINGS);
export const eventsSql = () => nestedSql(EVENTS);
export const notesSql = () => nestedSql(NOTES);
export const offersFromJson = (j: ReadonlyArray<AsJson<OfferRow>>) => nestedFromJson(OFFERS, j);
export const bookingsFromJson = (j: ReadonlyArray<AsJson<BookingRow>>) => nestedFromJson(BOOKINGS, j);
export const eventsFromJson = (j: ReadonlyArray<AsJson<EventRow>>) => nestedFromJson(EVENTS, j);
export const notesFromJson = (j: ReadonlyArray<AsJson<NoteRow>>) => nestedFromJson(NOTES, j);
