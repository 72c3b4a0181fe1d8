// Reading a posted console form: trimmed fields, and the NHS.UK date input's Day, Month and Year as
// one date, with each mistake as a message in plain words at its field.
export type Form = Readonly<Record<string, string>>;
export type FieldError = { field: string; text: string };

/** A form's mistakes, found before any use case runs: shown in the error summary and at each field. */
export class FormErrors extends Error {
  constructor(readonly errors: FieldError[]) {
    super('The form has mistakes');
  }
}

export const field = (form: Form, name: string) => (form[name] ?? '').trim();

/** A real date from `<prefix>-day`, `-month` and `-year` (midnight UTC), or null with an error naming `label`. */
export function dateInput(form: Form, prefix: string, label: string, errors: FieldError[]): Date | null {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => field(form, `${prefix}-${p}`));
  if (!d && !m && !y) {
    errors.push({ field: prefix, text: `Enter the ${label.toLowerCase()}` });
    return null;
  }
  const [dn, mn, yn] = [d, m, y].map((v) => (/^\d{1,4}$/.test(v) ? Number(v) : NaN));
  const real = yn >= 2000 && yn <= 2100 && mn >= 1 && mn <= 12 && dn >= 1 && dn <= new Date(Date.UTC(yn, mn, 0)).getUTCDate();
  if (!real) {
    errors.push({ field: prefix, text: `${label} must be a real date, for example 7 12 2026` });
    return null;
  }
  return new Date(Date.UTC(yn, mn - 1, dn));
}

/** A whole number from 0 to `max`, or null with an error naming `label`. */
export function wholeNumber(form: Form, name: string, label: string, max: number, errors: FieldError[]): number | null {
  const v = field(form, name).replace(/,/g, '');
  if (!v) errors.push({ field: name, text: `Enter the number of ${label.toLowerCase()}` });
  else if (!/^\d+$/.test(v)) errors.push({ field: name, text: `${label} must be a whole number, like 12` });
  else if (Number(v) > max) errors.push({ field: name, text: `${label} must be ${max.toLocaleString('en-GB')} or fewer` });
  else return Number(v);
  return null;
}
