// The clinical package: what the referring trust records for the receiving clinician (diagnosis,
// laterality, comorbidities, BMI, ASA grade, anticoagulation, mobility, the referral letter), given
// when the referral is opened or changed by the referring trust until the receiving trust decides.
// Clinical content: the timeline names the fields changed, never their values.
import { Injectable } from '@nestjs/common';
import {
  BEFORE_RECEIVER_DECISION,
  CLINICAL_INFORMATION_FIELDS,
  clinicalInformationProblems,
  TransitionConflictError,
  type ClinicalInformation,
  type ClinicalInformationField,
} from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { appendEvent, type Tx } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError, ConcurrentChangeError } from '../workflow-errors.js';
import { loadLocked } from './referral-step.js';

/** The package as stored, one row per referral. */
export interface ClinicalInformationRow {
  readonly diagnosisCode: string | null;
  readonly diagnosisText: string | null;
  readonly laterality: string | null;
  readonly comorbidities: Array<{ code: string; text: string }>;
  readonly bmi: string | number | null;
  readonly asaGrade: number | null;
  readonly anticoagulated: boolean | null;
  readonly anticoagulant: string | null;
  readonly mobility: string | null;
  readonly referralLetter: string | null;
  readonly updatedAt: Date | string;
}

/** The columns of each field, and how a value is written to them. */
const COLUMNS: { readonly [K in ClinicalInformationField]: ReadonlyArray<readonly [string, (v: ClinicalInformation[K]) => unknown]> } = {
  diagnosis: [
    ['diagnosis_code', (v) => v?.code ?? null],
    ['diagnosis_text', (v) => v?.text.trim() ?? null],
  ],
  laterality: [['laterality', (v) => v ?? null]],
  comorbidities: [['comorbidities', (v) => JSON.stringify((v ?? []).map((c) => ({ code: c.code, text: c.text.trim() })))]],
  bmi: [['bmi', (v) => v ?? null]],
  asaGrade: [['asa_grade', (v) => v ?? null]],
  anticoagulation: [
    ['anticoagulated', (v) => (v ? v.taking : null)],
    ['anticoagulant', (v) => (v?.taking ? (v.medication?.trim() ?? null) : null)],
  ],
  mobility: [['mobility', (v) => v?.trim() || null]],
  referralLetter: [['referral_letter', (v) => v || null]],
};

/** SQL casts of columns that need one. */
const CASTS: Readonly<Record<string, string>> = { comorbidities: '::jsonb', bmi: '::numeric', asa_grade: '::smallint' };

/** The select list of the package on the row aliased `ci`, as JSON object arguments. */
export function clinicalInformationJson(ci = 'ci'): string {
  return `json_build_object('diagnosisCode', ${ci}.diagnosis_code, 'diagnosisText', ${ci}.diagnosis_text, 'laterality', ${ci}.laterality,
    'comorbidities', ${ci}.comorbidities, 'bmi', ${ci}.bmi, 'asaGrade', ${ci}.asa_grade, 'anticoagulated', ${ci}.anticoagulated,
    'anticoagulant', ${ci}.anticoagulant, 'mobility', ${ci}.mobility, 'referralLetter', ${ci}.referral_letter, 'updatedAt', ${ci}.updated_at)`;
}

/** The package as the API shows it (to clinicians of a party trust only). */
export function clinicalInformationView(r: ClinicalInformationRow) {
  return {
    diagnosis: r.diagnosisCode ? { code: r.diagnosisCode, text: r.diagnosisText ?? '' } : null,
    laterality: r.laterality,
    comorbidities: r.comorbidities,
    bmi: r.bmi === null ? null : Number(r.bmi),
    asaGrade: r.asaGrade,
    anticoagulation: r.anticoagulated === null ? null : { taking: r.anticoagulated, medication: r.anticoagulant },
    mobility: r.mobility,
    referralLetter: r.referralLetter,
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

/** Refuses a package with a bad field (422, each field named; the API's validation says the same first, as a 400). */
export function requireValidClinicalInformation(input: ClinicalInformation, prefix = 'clinicalInformation'): void {
  const problems = clinicalInformationProblems(input, prefix);
  if (problems.length)
    throw new BusinessRuleError(
      problems.map((p) => p.message).join('; '),
      problems.map((p) => ({ field: p.field, messages: [p.message] })),
    );
}

/**
 * Writes the fields sent (undefined: left as they are; null: cleared) and answers which changed.
 * In the caller's transaction; the referral's version and timeline are the caller's.
 */
export async function writeClinicalInformation(tx: Tx, referralId: string, input: ClinicalInformation, sub: string): Promise<ClinicalInformationField[]> {
  const sent = CLINICAL_INFORMATION_FIELDS.filter((f) => input[f] !== undefined);
  if (sent.length === 0) return [];
  const { rows: before } = await tx.query<Record<string, unknown>>('SELECT * FROM clinical_information WHERE referral_id = $1::uuid FOR UPDATE', [referralId]);
  const old = before[0];
  const p = new SqlParams();
  const cols: string[] = [];
  const vals: string[] = [];
  const changed: ClinicalInformationField[] = [];
  for (const f of sent) {
    let differs = false;
    for (const [col, write] of COLUMNS[f] as ReadonlyArray<readonly [string, (v: unknown) => unknown]>) {
      const v = write(input[f]);
      cols.push(col);
      vals.push(`${p.add(v)}${CASTS[col] ?? ''}`);
      const was = old?.[col] ?? null;
      if (comparable(col, was) !== comparable(col, v)) differs = true;
    }
    if (differs) changed.push(f);
  }
  if (changed.length === 0) return [];
  const ref = p.add(referralId);
  const by = p.add(sub);
  await tx.query(
    `INSERT INTO clinical_information (referral_id, updated_by_sub, updated_at, ${cols.join(', ')}) VALUES (${ref}::uuid, ${by}, now(), ${vals.join(', ')})
     ON CONFLICT (referral_id) DO UPDATE SET updated_by_sub = EXCLUDED.updated_by_sub, updated_at = now(), ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
    p.values,
  );
  return changed;
}

/** A column's value as text to compare what was held with what is written (pg reads numeric as text: '30.0' is 30). */
function comparable(col: string, x: unknown): string | null {
  if (x === null || x === undefined) return null;
  if (col === 'comorbidities') return JSON.stringify(typeof x === 'string' ? JSON.parse(x) : x);
  if (typeof x === 'number' || col === 'bmi' || col === 'asa_grade') return String(Number(x));
  return typeof x === 'string' ? x : JSON.stringify(x);
}

@Injectable()
export class ClinicalPackage {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The referring trust changes the clinical package (the fields sent; null clears one) until the
   * receiving trust has decided. A timeline event names the fields that changed.
   */
  async update(caller: Caller, id: string, input: ClinicalInformation): Promise<{ changed: ClinicalInformationField[] }> {
    requireValidClinicalInformation(input);
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadLocked(tx, caller, id);
      requireSide(caller, ref, 'referral.clinical-information', 'change the clinical information');
      if (!BEFORE_RECEIVER_DECISION.includes(ref.status)) {
        throw new TransitionConflictError(
          `The clinical information can be changed only until the receiving trust has decided; the referral is now ${ref.status}`,
          ref.status,
          BEFORE_RECEIVER_DECISION,
        );
      }
      const changed = await writeClinicalInformation(tx, id, input, caller.sub);
      if (changed.length === 0) return { changed };
      const updated = await tx.query('UPDATE referral SET version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      await appendEvent(tx, id, ref.status, 'clinical_information_updated', actorOf(caller), { fields: changed });
      return { changed };
    });
  }
}
