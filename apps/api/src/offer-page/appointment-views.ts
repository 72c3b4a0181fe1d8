// The appointment pages' words (issue 18): from the link in an appointment message, the patient's date
// of birth, then their appointment and a form to ask for another date or to cancel, with a reason.
// Rendered like the offer pages, in their layout, from nhsuk-frontend's macros. No JavaScript needed.
import { CHANGE_REQUEST_REASONS } from '#domain';
import { messagePage, renderOfferLayout, type BookingTeam, type DobForm, type FieldError } from './offer-views.js';

/** The longest note a patient may send the booking team with a request to change an appointment. */
export const COMMENT_MAX = 500;

/** A page of the patient's link, in the offer pages' layout. */
function render(template: string, title: string, context: Record<string, unknown>, errors: readonly FieldError[] = []) {
  return renderOfferLayout(template, title, context, { errors });
}

export function appointmentDobPage(opts: {
  action: string;
  values: DobForm;
  errors: FieldError[];
  message: string | null;
  fields: ReadonlySet<string>;
}): string {
  return render('appointment-date-of-birth.njk', 'What is your date of birth?', { ...opts, fields: [...opts.fields] }, opts.errors);
}

export interface AppointmentView {
  readonly kindText: string;
  readonly when: string;
  readonly siteName: string;
  readonly address: string | null;
  readonly trustName: string;
}

export interface ChangeForm {
  readonly request: string;
  readonly reasonCode: string;
  readonly comment: string;
}

export function changePage(opts: {
  action: string;
  csrf: string;
  appointment: AppointmentView;
  values: ChangeForm;
  errors: FieldError[];
  team: BookingTeam;
}): string {
  const errorOf = (href: string) => opts.errors.find((e) => e.href === href)?.text;
  return render(
    'appointment-change.njk',
    `Your ${opts.appointment.kindText}`,
    {
      ...opts,
      requestError: errorOf('request'),
      reasonError: errorOf('reasonCode'),
      commentError: errorOf('comment'),
      commentMax: COMMENT_MAX,
      requests: [
        { value: 'change', text: 'Ask for another date', checked: opts.values.request === 'change' },
        { value: 'cancel', text: 'Cancel this appointment', checked: opts.values.request === 'cancel' },
      ],
      reasons: Object.entries(CHANGE_REQUEST_REASONS).map(([value, text]) => ({ value, text, checked: opts.values.reasonCode === value })),
    },
    opts.errors,
  );
}

export function requestSentPage(request: 'change' | 'cancel', team: BookingTeam): string {
  return messagePage(
    request === 'cancel' ? 'We have your request to cancel' : 'We have your request for another date',
    [
      `${team.trustName}'s booking team will contact you about it. Until they do, your appointment stays as it is.`,
      'The time you have already waited still counts.',
    ],
    'If it is urgent,',
    team,
  );
}

export const APPOINTMENT_PAGES = {
  invalid: (team: BookingTeam | null) =>
    messagePage('This link does not work', ['Check that you copied the whole link from the message we sent you.'], 'If it still does not work,', team),
  locked: (team: BookingTeam | null) =>
    messagePage(
      'This link has been locked',
      ['The date of birth was entered wrongly too many times, so we have locked this link to keep your details safe.'],
      'To change your appointment,',
      team,
    ),
  notOpen: (team: BookingTeam | null) =>
    messagePage(
      'This appointment cannot be changed online',
      ['It has already happened, been moved or been cancelled. If it was moved, use the link in the newest message we sent you.'],
      'To change your appointment,',
      team,
    ),
  asked: (team: BookingTeam | null) =>
    messagePage(
      'You have already asked to change this appointment',
      ['The booking team has your request and will contact you about it.'],
      'If it is urgent,',
      team,
    ),
};
