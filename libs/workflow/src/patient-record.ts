// The patient of a referral: recorded by the trust that opens it, kept with that referral only,
// checked against what the same trust already holds, and corrected by its booking team.
//
// One row of `patient` per referral (migration patient_per_referral): no trust reads another
// trust's copy, and no write by one trust changes what another recorded.
import { Injectable } from '@nestjs/common';
import { isoDate, type PatientDetails } from '#domain';
import type { SqlRunner } from '#persistence';

/** What a trust already holds for an NHS number: its latest record (a referral's patient or a waiting-list entry). */
export interface KnownPatient {
  readonly familyName: string;
  readonly dateOfBirth: Date;
  readonly address: string | null;
  readonly phone: string | null;
  readonly email: string | null;
  readonly contactPreference: string | null;
  readonly accessibleFormat: string | null;
}

export type DemographicsField = 'familyName' | 'dateOfBirth';

export interface DemographicsOutcome {
  /** The trust's latest record of this NHS number, if it has one. */
  readonly known: KnownPatient | null;
  /** Identifying fields that differ from it (empty: the same person as far as we can tell). */
  readonly mismatched: readonly DemographicsField[];
}

/**
 * The check a new referral's patient goes through. Today it compares with what the same trust
 * already holds; the real fix for a mismatch is a trace against the national Personal Demographics
 * Service (PDS), out of reach here: a PDS-backed check replaces this provider, the rest stays.
 */
@Injectable()
export class DemographicsCheck {
  async check(tx: SqlRunner, ods: string, p: Pick<PatientDetails, 'nhsNumber' | 'familyName' | 'dateOfBirth'>): Promise<DemographicsOutcome> {
    const known = await latestKnown(tx, ods, p.nhsNumber);
    if (!known) return { known: null, mismatched: [] };
    const mismatched: DemographicsField[] = [];
    if (normaliseName(known.familyName) !== normaliseName(p.familyName)) mismatched.push('familyName');
    if (isoDate(known.dateOfBirth) !== isoDate(p.dateOfBirth)) mismatched.push('dateOfBirth');
    return { known, mismatched };
  }
}

/** Family names compared as a clerk would: case, spacing and apostrophe style aside. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\u2018\u2019\u0060]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The trust's latest record of an NHS number: the patient of its newest referral, or of its
 * waiting-list entry, whichever was recorded last. Only the trust's own records are read.
 */
async function latestKnown(tx: SqlRunner, ods: string, nhsNumber: string): Promise<KnownPatient | null> {
  const { rows } = await tx.query<KnownPatient>(
    `SELECT * FROM (
       (SELECT p.family_name AS "familyName", p.date_of_birth AS "dateOfBirth", p.address, p.phone, p.email,
               p.contact_preference AS "contactPreference", p.accessible_format AS "accessibleFormat", p.created_at AS at
        FROM patient p JOIN referral r ON r.patient_id = p.id
        WHERE p.nhs_number = $1 AND r.origin_ods = $2 ORDER BY p.created_at DESC LIMIT 1)
       UNION ALL
       (SELECT e.family_name, e.date_of_birth, NULL, NULL, NULL, NULL, NULL, e.updated_at
        FROM waiting_list_entry e WHERE e.nhs_number = $1 AND e.origin_ods = $2 ORDER BY e.updated_at DESC LIMIT 1)
     ) k ORDER BY at DESC LIMIT 1`,
    [nhsNumber, ods],
  );
  const k = rows[0] as (KnownPatient & { at?: Date }) | undefined;
  if (!k) return null;
  const { at: _at, ...known } = k;
  return known;
}

/** Records the patient of a new referral (its own row); contact details the trust already holds fill the gaps. */
export async function insertPatient(tx: SqlRunner, p: PatientDetails, known: KnownPatient | null): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, contact_preference, accessible_format, updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, $11, now())
     RETURNING id::text AS id`,
    [
      p.nhsNumber,
      p.familyName,
      p.givenName,
      isoDate(p.dateOfBirth),
      p.address ?? null,
      p.postcode,
      p.phone ?? null,
      p.email ?? null,
      p.gpPracticeOds,
      p.contactPreference ?? known?.contactPreference ?? null,
      p.accessibleFormat ?? known?.accessibleFormat ?? null,
    ],
  );
  return rows[0].id;
}

/** Contact details a booking team may correct on a referral (identity is a matter for PDS, not for us). */
export const CONTACT_FIELDS = ['address', 'postcode', 'phone', 'email', 'contactPreference', 'accessibleFormat'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
/** A correction: a value replaces, null clears (postcode cannot be cleared), absent keeps. */
export type ContactCorrection = { readonly [K in ContactField]?: string | null };

const CONTACT_COLUMNS: Record<ContactField, string> = {
  address: 'address',
  postcode: 'postcode',
  phone: 'phone',
  email: 'email',
  contactPreference: 'contact_preference',
  accessibleFormat: 'accessible_format',
};

/** Writes a correction to the referral's own patient row; returns the fields whose value changed. */
export async function correctContact(tx: SqlRunner, referralId: string, c: ContactCorrection): Promise<ContactField[]> {
  const fields = CONTACT_FIELDS.filter((f) => c[f] !== undefined);
  const { rows } = await tx.query<Record<ContactField, string | null>>(
    `SELECT p.address, p.postcode, p.phone, p.email, p.contact_preference AS "contactPreference", p.accessible_format AS "accessibleFormat"
     FROM patient p JOIN referral r ON r.patient_id = p.id WHERE r.id = $1::uuid FOR UPDATE OF p`,
    [referralId],
  );
  const before = rows[0];
  const changed = fields.filter((f) => (before[f] ?? null) !== (c[f] ?? null));
  if (changed.length === 0) return [];
  const values = changed.map((f) => c[f] ?? null);
  const sets = changed.map((f, i) => `${CONTACT_COLUMNS[f]} = $${i + 2}`);
  await tx.query(`UPDATE patient SET ${sets.join(', ')}, updated_at = now() WHERE id = (SELECT patient_id FROM referral WHERE id = $1::uuid)`, [
    referralId,
    ...values,
  ]);
  return changed;
}
