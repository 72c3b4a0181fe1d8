// A patient's additional requirements (transport, interpreter, accessible information, escort,
// mobility, reasonable adjustments): the coded lists, their words, the checks and the short summary.
//
// The accessible-information fields follow the NHS Accessible Information Standard (DCB1605), which
// records a person's needs in four kinds: how to contact them (contact method), the format they
// can read (information format), the support they need to communicate, and the communication
// professional they need (here the interpreter, British Sign Language among the languages).

/** Whether the patient qualifies for non-emergency patient transport (PTS), as the trust assessed it. */
export const PATIENT_TRANSPORT_ELIGIBILITY = { yes: 'Eligible', no: 'Not eligible', not_assessed: 'Not assessed' } as const;
export type PatientTransportEligibility = keyof typeof PATIENT_TRANSPORT_ELIGIBILITY;

/**
 * Interpreter languages, ISO 639-3 codes: British Sign Language first (the Accessible Information
 * Standard's communication professional), then the spoken languages most asked for in England's
 * hospitals, in alphabetical order.
 */
export const INTERPRETER_LANGUAGES = {
  bfi: 'British Sign Language (BSL)',
  sqi: 'Albanian',
  ara: 'Arabic',
  ben: 'Bengali',
  bul: 'Bulgarian',
  yue: 'Cantonese',
  ces: 'Czech',
  prs: 'Dari',
  fas: 'Farsi (Persian)',
  fra: 'French',
  deu: 'German',
  guj: 'Gujarati',
  hin: 'Hindi',
  hun: 'Hungarian',
  ita: 'Italian',
  kur: 'Kurdish',
  lav: 'Latvian',
  lit: 'Lithuanian',
  cmn: 'Mandarin',
  nep: 'Nepali',
  pan: 'Punjabi',
  pus: 'Pashto',
  pol: 'Polish',
  por: 'Portuguese',
  ron: 'Romanian',
  rus: 'Russian',
  slk: 'Slovak',
  som: 'Somali',
  spa: 'Spanish',
  tam: 'Tamil',
  tir: 'Tigrinya',
  tur: 'Turkish',
  ukr: 'Ukrainian',
  urd: 'Urdu',
  vie: 'Vietnamese',
  cym: 'Welsh',
} as const;
export type InterpreterLanguage = keyof typeof INTERPRETER_LANGUAGES;

/** Information formats of the Accessible Information Standard. */
export const INFORMATION_FORMATS = { large_print: 'Large print', braille: 'Braille', easy_read: 'Easy read', audio: 'Audio' } as const;
export type InformationFormat = keyof typeof INFORMATION_FORMATS;

/** How to contact the patient (the Standard's contact method). */
export const CONTACT_METHODS = {
  letter: 'Letter',
  email: 'Email',
  text_message: 'Text message',
  telephone: 'Telephone',
  text_relay: 'Text relay (Relay UK)',
  bsl_video_relay: 'BSL video relay',
} as const;
export type ContactMethod = keyof typeof CONTACT_METHODS;

export const MOBILITY_NEEDS = {
  wheelchair_user: 'Wheelchair user',
  walking_aid: 'Uses a walking aid',
  help_to_transfer: 'Needs help to move from a chair or bed (hoist)',
  bariatric_equipment: 'Needs bariatric equipment',
} as const;
export type MobilityNeed = keyof typeof MOBILITY_NEEDS;

/** The longest free text a field takes (a few sentences: this is a flag for the booking team, not a care plan). */
export const REQUIREMENT_TEXT_MAX = 500;

/** A patient's additional requirements; none recorded reads as NO_REQUIREMENTS. */
export interface AdditionalRequirements {
  readonly transportNeeded: boolean;
  readonly patientTransportEligibility: PatientTransportEligibility;
  readonly interpreterLanguage: InterpreterLanguage | null;
  readonly informationFormats: readonly InformationFormat[];
  readonly contactMethod: ContactMethod | null;
  readonly escort: boolean;
  readonly mobility: readonly MobilityNeed[];
  readonly learningDisabilityAdjustments: string | null;
  readonly other: string | null;
}
export type RequirementField = keyof AdditionalRequirements;

export const NO_REQUIREMENTS: AdditionalRequirements = {
  transportNeeded: false,
  patientTransportEligibility: 'not_assessed',
  interpreterLanguage: null,
  informationFormats: [],
  contactMethod: null,
  escort: false,
  mobility: [],
  learningDisabilityAdjustments: null,
  other: null,
};

export const REQUIREMENT_FIELDS = Object.keys(NO_REQUIREMENTS) as RequirementField[];

/** The fields whose value differs between two records (what the timeline names: never the values). */
export function changedRequirements(before: AdditionalRequirements, after: AdditionalRequirements): RequirementField[] {
  const same = (a: unknown, b: unknown) =>
    JSON.stringify(Array.isArray(a) ? [...(a as string[])].sort() : a) === JSON.stringify(Array.isArray(b) ? [...(b as string[])].sort() : b);
  return REQUIREMENT_FIELDS.filter((f) => !same(before[f], after[f]));
}

/** Whether anything is recorded. */
export function hasRequirements(r: AdditionalRequirements): boolean {
  return changedRequirements(NO_REQUIREMENTS, r).filter((f) => f !== 'patientTransportEligibility').length > 0;
}

/**
 * The short summary a worklist shows, one tag each, in the order a booking clerk acts on them
 * (the free text is named, not quoted: it is for the referral page).
 */
export function requirementsSummary(r: AdditionalRequirements): string[] {
  const out: string[] = [];
  if (r.interpreterLanguage) out.push(r.interpreterLanguage === 'bfi' ? 'BSL interpreter' : `Interpreter: ${INTERPRETER_LANGUAGES[r.interpreterLanguage]}`);
  if (r.transportNeeded)
    out.push(`Transport${r.patientTransportEligibility === 'yes' ? ' (PTS eligible)' : r.patientTransportEligibility === 'no' ? ' (not PTS eligible)' : ''}`);
  for (const m of r.mobility) out.push(MOBILITY_NEEDS[m]);
  if (r.escort) out.push('Carer or escort');
  for (const f of r.informationFormats) out.push(INFORMATION_FORMATS[f]);
  if (r.contactMethod) out.push(`Contact: ${CONTACT_METHODS[r.contactMethod]}`);
  if (r.learningDisabilityAdjustments) out.push('Reasonable adjustments');
  if (r.other) out.push('Other needs');
  return out;
}

export interface RequirementProblem {
  readonly field: RequirementField;
  readonly message: string;
}

const codeOf = <T extends Record<string, string>>(list: T, v: unknown): v is keyof T & string => typeof v === 'string' && Object.hasOwn(list, v);

/**
 * Reads and checks a record sent by a form (the console's, the offer page's): each problem names
 * its field. The API checks the same rules with its DTO (apps/api/src/dto/additional-requirements.dto.ts).
 * Free text is trimmed; empty text is none.
 */
export function readRequirements(input: { readonly [K in RequirementField]?: unknown }): { value: AdditionalRequirements; problems: RequirementProblem[] } {
  const problems: RequirementProblem[] = [];
  const problem = (field: RequirementField, message: string) => problems.push({ field, message });
  const bool = (field: 'transportNeeded' | 'escort') => {
    const v = input[field];
    if (v === undefined || typeof v === 'boolean') return v ?? false;
    problem(field, `${field} must be true or false`);
    return false;
  };
  const code = <T extends Record<string, string>>(field: RequirementField, list: T, fallback: (keyof T & string) | null) => {
    const v = input[field];
    if (v === undefined || v === null || v === '') return fallback;
    if (codeOf(list, v)) return v;
    problem(field, `${field} must be one of ${Object.keys(list).join(', ')}`);
    return fallback;
  };
  const codes = <T extends Record<string, string>>(field: RequirementField, list: T): Array<keyof T & string> => {
    const v = input[field] ?? [];
    const arr = Array.isArray(v) ? (v as unknown[]) : [v];
    const bad = arr.filter((x) => !codeOf(list, x));
    if (bad.length) problem(field, `${field} must list only ${Object.keys(list).join(', ')}`);
    return [...new Set(arr.filter((x): x is keyof T & string => codeOf(list, x)))];
  };
  const text = (field: 'learningDisabilityAdjustments' | 'other', words: string) => {
    const v = input[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') {
      problem(field, `${field} must be text`);
      return null;
    }
    const t = v.trim();
    if (t.length > REQUIREMENT_TEXT_MAX) problem(field, `${words} must be ${REQUIREMENT_TEXT_MAX} characters or fewer`);
    return t === '' ? null : t;
  };
  const value: AdditionalRequirements = {
    transportNeeded: bool('transportNeeded'),
    patientTransportEligibility: code('patientTransportEligibility', PATIENT_TRANSPORT_ELIGIBILITY, 'not_assessed')!,
    interpreterLanguage: code('interpreterLanguage', INTERPRETER_LANGUAGES, null),
    informationFormats: codes('informationFormats', INFORMATION_FORMATS),
    contactMethod: code('contactMethod', CONTACT_METHODS, null),
    escort: bool('escort'),
    mobility: codes('mobility', MOBILITY_NEEDS),
    learningDisabilityAdjustments: text('learningDisabilityAdjustments', 'Reasonable adjustments'),
    other: text('other', 'Anything else'),
  };
  return { value, problems };
}
