// The offer pages' words and what each template is given: rendered from nhsuk-frontend's own
// Nunjucks macros (header, footer, error summary, date input, radios, panel...) through the API's
// one environment (../views/views.ts), templates in ./views. No JavaScript needed.
import { dayInWords, distanceFromHome } from '#notifications';
import { renderPage } from '../views/views.js';

export const SERVICE_NAME = 'Treatment at another hospital';

export interface FieldError {
  /** The id of the input the error summary links to. */
  readonly href: string;
  readonly text: string;
}

export interface OfferView {
  readonly id: string;
  readonly siteName: string;
  readonly trustName: string;
  /** Null: the patient's postcode could not be placed, and the page says so. */
  readonly distanceMiles: number | null;
  readonly earliestWeek: Date;
  /** The site's address and its booking team's number (the site's own, else the trust's), when the directory has them. */
  readonly address: string | null;
  readonly bookingPhone: string | null;
}

/** A trust's booking team as the pages name it: its phone number and hours are trust settings (null: not set). */
export interface BookingTeam {
  readonly trustName: string;
  readonly phone: string | null;
  readonly hours: string | null;
}

/**
 * A page in the offer pages' layout (the appointment and opt-in pages use it too). `personal`: a page of
 * someone's link, whose footer asks them not to share it (not the footer's own pages, which anyone may open).
 */
export function renderOfferLayout(
  template: string,
  title: string,
  context: Record<string, unknown>,
  opts: { errors?: readonly FieldError[]; personal?: boolean } = {},
) {
  return renderPage(template, {
    ...context,
    title,
    serviceName: SERVICE_NAME,
    personal: opts.personal ?? true,
    errors: (opts.errors ?? []).map((e) => ({ href: `#${e.href}`, text: e.text })),
  });
}

/**
 * A page that only tells the patient something. `phoneLead` starts the sentence that tells them
 * to phone their booking team ("To answer the offer,"), `team` is that team, null when the page
 * does not know the trust (a link that is not ours).
 */
export function messagePage(title: string, paragraphs: readonly string[], phoneLead: string | null, team: BookingTeam | null): string {
  return renderOfferLayout('offer-message.njk', title, { paragraphs, phoneLead, team });
}

type PageState = 'invalid' | 'expired' | 'used' | 'superseded' | 'notOpen' | 'locked' | 'error';

export const PAGES: Record<PageState, (team: BookingTeam | null) => string> = {
  invalid: (team) =>
    messagePage('This link does not work', ['Check that you copied the whole link from the message we sent you.'], 'If it still does not work,', team),
  expired: (team) =>
    messagePage(
      'This link has expired',
      [
        'Links to answer an offer of treatment at another hospital last for 14 days.',
        'Your place on your waiting list is not affected, and the time you have waited still counts.',
      ],
      'To answer the offer,',
      team,
    ),
  used: (team) =>
    messagePage(
      'You have already answered',
      ['You have already given us your answer using this link, so it cannot be used again.'],
      'If you want to change your answer or have a question,',
      team,
    ),
  superseded: (team) =>
    messagePage(
      'This link has been replaced',
      ['We have sent you a newer link to answer this offer. Please use the link in the most recent message we sent you.'],
      'If you cannot find it,',
      team,
    ),
  notOpen: (team) =>
    messagePage(
      'This offer is no longer open',
      ['Your referral has moved on since we sent you this link, so there is nothing to answer here.', 'Your place on your waiting list is not affected.'],
      'If you have a question,',
      team,
    ),
  locked: (team) =>
    messagePage(
      'You cannot use this link any more',
      [
        'The date of birth was entered wrongly too many times, so we have locked this link to keep your details safe.',
        'Your place on your waiting list is not affected.',
      ],
      'To answer the offer,',
      team,
    ),
  error: (team) => messagePage('Sorry, there is a problem with the service', ['Try again later.'], 'If you need to answer the offer today,', team),
};

export interface DobForm {
  readonly day: string;
  readonly month: string;
  readonly year: string;
}

export function dobPage(opts: {
  action: string;
  values: DobForm;
  errors: readonly FieldError[];
  message: string | null;
  fields: ReadonlySet<'day' | 'month' | 'year'>;
}): string {
  return renderOfferLayout(
    'offer-date-of-birth.njk',
    'What is your date of birth?',
    { action: opts.action, values: opts.values, message: opts.message, fields: [...opts.fields] },
    { errors: opts.errors },
  );
}

export interface ChooseForm {
  readonly answer: string;
  readonly radius: string;
}

export function offersPage(opts: {
  action: string;
  csrf: string;
  originName: string;
  offers: readonly OfferView[];
  values: ChooseForm;
  errors: readonly FieldError[];
  answerError: string | null;
  radiusError: string | null;
}): string {
  const { offers } = opts;
  // Ids as before the macros: the first radio is `answer` (the error summary links to it).
  const answers = [
    ...offers.map((o, i) => ({
      id: i === 0 ? 'answer' : `answer-${i + 1}`,
      value: `accept:${o.id}`,
      text: `Yes, I would like to be treated at ${o.siteName}`,
      hint: { text: `${o.trustName}, ${distanceFromHome(o.distanceMiles)}` },
    })),
    ...(offers.length > 0 ? [{ divider: 'or' }] : []),
    {
      id: offers.length === 0 ? 'answer' : 'answer-decline',
      value: 'decline',
      text: 'No, I want to stay on my current waiting list',
      hint: { text: 'You keep your place and the time you have waited' },
    },
  ];
  return renderOfferLayout(
    'offer-choose.njk',
    'You could be treated sooner at another hospital',
    {
      action: opts.action,
      csrf: opts.csrf,
      originName: opts.originName,
      offers: offers.map((o) => ({
        siteName: o.siteName,
        trustName: o.trustName,
        distance: distanceFromHome(o.distanceMiles),
        distanceKnown: o.distanceMiles !== null,
        earliestWeek: dayInWords(o.earliestWeek),
        address: o.address,
        bookingPhone: o.bookingPhone,
      })),
      answers,
      values: opts.values,
      answerError: opts.answerError,
      radiusError: opts.radiusError,
    },
    { errors: opts.errors },
  );
}

/** `reference`: what the patient gives the booking team on the phone (the referral's pathway id, see offer-answered.njk). */
export function acceptedPage(opts: {
  siteName: string;
  trustName: string;
  originName: string;
  reference: string;
  team: BookingTeam;
  /** The optional step where the patient tells us what help they need, and whether they just did. */
  needsHref?: string;
  needsSaved?: boolean;
}): string {
  return renderOfferLayout('offer-answered.njk', 'You have accepted the offer', { ...opts, accepted: true });
}

export function declinedPage(opts: { originName: string; reference: string; team: BookingTeam }): string {
  return renderOfferLayout('offer-answered.njk', 'You have chosen to stay on your current waiting list', { ...opts, accepted: false });
}

/** The optional step after accepting: transport, interpreter, accessible information and other help. */
export function needsPage(opts: { action: string; csrf: string; back: string; form: unknown; errors: readonly FieldError[] }): string {
  const errorOf = (field: string) => opts.errors.find((e) => e.href === field)?.text;
  return renderOfferLayout(
    'offer-needs.njk',
    'Do you need any help to get to your appointment or to take part in it?',
    { ...opts, errorOf },
    { errors: opts.errors },
  );
}

/** The place the patient chose was taken just before they answered, and no other offer has room: a person follows up. */
export function placeTakenPage(opts: { siteName: string; originName: string; team: BookingTeam }): string {
  return messagePage(
    'That place has just been taken',
    [
      `The last place at ${opts.siteName} was taken by another patient just before you answered, so we could not give it to you.`,
      `Your place on ${opts.originName}'s waiting list is not affected, and the time you have already waited still counts.`,
      'The hospital booking team will contact you about what happens next. You do not need to do anything now.',
    ],
    'If you have a question,',
    opts.team,
  );
}

/** The error on the offers page when the chosen place was just taken and other offers still have room. */
export function placeTakenChooseAnother(siteName: string): string {
  return `The last place at ${siteName} has just been taken by another patient. Choose another hospital below, or stay on your current waiting list`;
}

// ---------- the footer's pages: the same for everyone, no link needed ----------

export const accessibilityPage = (): string => renderOfferLayout('offer-accessibility.njk', 'Accessibility statement', {}, { personal: false });

export const privacyPage = (teams: readonly BookingTeam[]): string => renderOfferLayout('offer-privacy.njk', 'Privacy notice', { teams }, { personal: false });

export const contactPage = (teams: readonly BookingTeam[]): string => renderOfferLayout('offer-contact.njk', 'Contact us', { teams }, { personal: false });
