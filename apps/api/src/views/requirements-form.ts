// The additional-requirements form as both kinds of page use it (the staff console's and the
// patient's offer page): its field names, what a posted form reads as, and the items of its
// NHS.UK checkboxes, radios and selects. Each checkbox has a name of its own, so a form reader
// that keeps one value per name (the console's) reads every box ticked.
import {
  CONTACT_METHODS,
  INFORMATION_FORMATS,
  INTERPRETER_LANGUAGES,
  MOBILITY_NEEDS,
  NO_REQUIREMENTS,
  PATIENT_TRANSPORT_ELIGIBILITY,
  readRequirements,
  type AdditionalRequirements,
  type RequirementField,
  type RequirementProblem,
} from '#domain';

type Form = Readonly<Record<string, unknown>>;
const one = (form: Form, name: string): string => {
  const v = form[name];
  return typeof (Array.isArray(v) ? v.at(-1) : v) === 'string' ? String(Array.isArray(v) ? v.at(-1) : v) : '';
};
const ticked = (form: Form, prefix: string, list: Record<string, string>) => Object.keys(list).filter((code) => one(form, `${prefix}-${code}`) !== '');

/** The form's top-level boxes (each reveals the questions about it). */
const TOP_BOXES = ['transportNeeded', 'interpreter', 'accessible', 'escort', 'mobilityNeeds', 'adjustments', 'anythingElse'] as const;
export type OpenBoxes = Partial<Record<(typeof TOP_BOXES)[number], boolean>>;

/**
 * A posted form as the record it asks for, each problem with the field it names, and the boxes
 * ticked (shown ticked again when the form is refused, whatever the record made of them).
 *
 * A follow-up answer counts whether or not its box is ticked: without JavaScript (the offer page
 * never runs any) every follow-up question shows, and a patient may answer one and not tick its
 * box. With JavaScript the console clears a box's answers when it is unticked (console.js). A box
 * ticked with its follow-up left empty is a mistake named at that field.
 */
export function requirementsFromForm(form: Form): { value: AdditionalRequirements; problems: RequirementProblem[]; open: OpenBoxes } {
  const open = Object.fromEntries(TOP_BOXES.map((b) => [b, one(form, b) === 'yes'])) as OpenBoxes;
  const { value, problems } = readForm(form);
  const empty = (field: RequirementField, message: string) => problems.push({ field, message });
  if (open.mobilityNeeds && value.mobility.length === 0) empty('mobility', 'Select the help needed with moving around');
  if (open.accessible && value.informationFormats.length === 0 && !value.contactMethod)
    empty('informationFormats', 'Select the format information is needed in, or how to make contact');
  if (open.adjustments && !value.learningDisabilityAdjustments) empty('learningDisabilityAdjustments', 'Describe the reasonable adjustments needed');
  if (open.anythingElse && !value.other) empty('other', 'Say what else is needed');
  return { value, problems, open };
}

function readForm(form: Form) {
  return readRequirements({
    transportNeeded: one(form, 'transportNeeded') === 'yes',
    patientTransportEligibility: one(form, 'patientTransportEligibility') || undefined,
    interpreterLanguage: one(form, 'interpreterLanguage') || (one(form, 'interpreter') === 'yes' ? 'missing' : null),
    informationFormats: ticked(form, 'informationFormats', INFORMATION_FORMATS),
    contactMethod: one(form, 'contactMethod') || null,
    escort: one(form, 'escort') === 'yes',
    mobility: ticked(form, 'mobility', MOBILITY_NEEDS),
    learningDisabilityAdjustments: one(form, 'learningDisabilityAdjustments'),
    other: one(form, 'other'),
  });
}

/** A problem in the words of the form (the API's messages name JSON fields). */
export function formMessage(p: RequirementProblem): string {
  const words: Partial<Record<RequirementField, string>> = {
    interpreterLanguage: 'Select the language the interpreter is needed for',
    patientTransportEligibility: 'Select whether the patient is eligible for patient transport',
    contactMethod: 'Select how to contact the patient',
  };
  return words[p.field] ?? p.message;
}

/** The form's controls, with `value` filled in (after a refused post: what was sent). */
export function requirementsFormItems(value: AdditionalRequirements = NO_REQUIREMENTS, open: OpenBoxes = {}) {
  const boxes = (prefix: string, list: Record<string, string>, chosen: readonly string[]) =>
    Object.entries(list).map(([code, text]) => ({ name: `${prefix}-${code}`, value: 'yes', text, checked: chosen.includes(code), id: `${prefix}-${code}` }));
  return {
    value,
    open,
    transportEligibility: Object.entries(PATIENT_TRANSPORT_ELIGIBILITY).map(([code, text]) => ({
      value: code,
      text,
      checked: value.patientTransportEligibility === code,
    })),
    languages: [
      { value: '', text: 'Choose a language' },
      ...Object.entries(INTERPRETER_LANGUAGES).map(([code, text]) => ({ value: code, text, selected: value.interpreterLanguage === code })),
    ],
    formats: boxes('informationFormats', INFORMATION_FORMATS, value.informationFormats),
    contactMethods: [
      { value: '', text: 'No preference' },
      ...Object.entries(CONTACT_METHODS).map(([code, text]) => ({ value: code, text, selected: value.contactMethod === code })),
    ],
    mobility: boxes('mobility', MOBILITY_NEEDS, value.mobility),
  };
}
