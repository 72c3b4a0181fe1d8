// What the patient is told at each patient-facing step, in plain English.
import { dayInWords, distanceFromHome, momentInWords } from './plain-english.js';

export const NOTIFICATION_EVENTS = [
  'offer',
  'offer_declined',
  'consent_recorded',
  'transfer_confirmed',
  'transfer_rejected',
  'appointment_booked',
  'appointment_cancelled',
  'treatment_recorded',
  'discharged',
  'withdrawn',
  'cancelled',
  // Reminders (libs/workflow/src/reminders): an unanswered offer after 7 and 14 days; 7 days and 1 day before an appointment.
  'offer_reminder',
  'appointment_reminder',
  // The pathway after treatment (issue 18, PW): who follows the patient up, and where.
  'follow_up_kept',
  'virtual_ward_admitted',
  'handback_accepted',
  'handback_refused',
  // Booking as it really goes (issue 18, booking): a move to another slot, a missed appointment, and a return to the referrer after one.
  'appointment_rescheduled',
  'appointment_not_attended',
  'returned_after_dna',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const CHANNELS = ['email', 'sms', 'letter'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Everything a template may use. Rendered only in the worker, never stored in Redis. */
export interface TemplateContext {
  readonly givenName: string;
  readonly originTrustName: string;
  readonly receivingTrustName: string | null;
  readonly offers: ReadonlyArray<{
    trustName: string;
    siteName: string;
    distanceMiles: number | null;
    earliestWeek: string;
    /** The site's address and its booking team's number, when the directory has them. */
    address?: string | null;
    bookingPhone?: string | null;
  }>;
  /** address: the site's, when the directory has it; previousStartsAt: where a rescheduled appointment was. */
  readonly booking: { kind: string; siteName: string; startsAt: string; address?: string | null; previousStartsAt?: string | null } | null;
  readonly reason: string | null;
  /** The patient's single-use offer link (offer and offer_reminder only), or null. */
  readonly offerUrl?: string | null;
  /** The link to ask to change or cancel an appointment (appointment_booked and appointment_rescheduled), or null. */
  readonly changeUrl?: string | null;
  /** The trust that discharged (discharged only): the referring trust when it had taken back the follow-up. */
  readonly dischargedByTrustName?: string | null;
}

export interface RenderedMessage {
  readonly subject: string;
  readonly body: string;
}

/** How to answer an offer: the link when there is one (a letter gets it typed out too), else the booking team. */
const howToAnswer = (c: TemplateContext) =>
  c.offerUrl
    ? `Tell us your answer online at ${c.offerUrl} (you will be asked for your date of birth; the link works once and lasts 14 days), or phone the booking team.`
    : 'Tell us your answer by phoning the booking team.';

const keepPlace = (c: TemplateContext) => `You keep your place on ${c.originTrustName}'s waiting list and the time you have already waited still counts.`;

/**
 * One offered site: "- Warwick Hospital (South Warwickshire ...), Lakin Road, Warwick, CV34 5BW, about 12 miles from your home, from
 * the week of Monday 7 December 2026. Booking team: 01632 960 202" (address and number when the directory has them).
 */
const offerLine = (o: TemplateContext['offers'][number]) =>
  `- ${o.siteName} (${o.trustName})${o.address ? `, ${o.address}` : ''}, ${distanceFromHome(o.distanceMiles)}, from the week of ${dayInWords(o.earliestWeek)}` +
  (o.bookingPhone ? `. Booking team: ${o.bookingPhone}` : '');

const TEMPLATES: Record<NotificationEvent, (c: TemplateContext) => RenderedMessage> = {
  offer: (c) => ({
    subject: 'You could be treated sooner at another hospital',
    body: [
      `Dear ${c.givenName},`,
      `${c.originTrustName} works with other hospitals in its group to treat people who have waited a long time. You could have your treatment sooner at:`,
      ...c.offers.map(offerLine),
      'Your consultant has checked that this is suitable for you. Please tell us whether you would like to move. ' + keepPlace(c),
      howToAnswer(c),
      'If you say no, nothing changes for you.',
    ].join('\n'),
  }),
  offer_declined: (c) => ({
    subject: 'You have chosen to stay on your current waiting list',
    body: `Dear ${c.givenName},\nThank you for letting us know. ${keepPlace(c)}`,
  }),
  consent_recorded: (c) => ({
    subject: 'We have asked another hospital to take over your care',
    body: `Dear ${c.givenName},\nThank you for accepting. We have asked ${c.receivingTrustName ?? 'the hospital you chose'} to take over your care. We will tell you when they have agreed. ${keepPlace(c)}`,
  }),
  transfer_confirmed: (c) => ({
    subject: `${c.receivingTrustName ?? 'Your new hospital'} will now treat you`,
    body: `Dear ${c.givenName},\n${c.receivingTrustName ?? 'Your new hospital'} has agreed to take over your care. Their booking team will contact you with dates. The time you have already waited still counts.`,
  }),
  transfer_rejected: (c) => ({
    subject: 'Your treatment will stay with your current hospital',
    body: `Dear ${c.givenName},\n${c.receivingTrustName ?? 'The other hospital'} is not able to take over your care. ${keepPlace(c)}`,
  }),
  appointment_booked: (c) => ({
    subject: 'Your appointment has been booked',
    body:
      `Dear ${c.givenName},\nYour ${c.booking?.kind === 'procedure' ? 'procedure' : 'pre-operative assessment'} is booked at ${c.booking?.siteName} on ${c.booking ? momentInWords(c.booking.startsAt) : ''}. If you cannot attend, contact the booking team as soon as possible.` +
      askToChange(c),
  }),
  appointment_cancelled: (c) => ({
    subject: 'Your appointment has been cancelled',
    body: `Dear ${c.givenName},\nYour ${c.booking?.kind === 'procedure' ? 'procedure' : 'pre-operative assessment'} at ${c.booking?.siteName} on ${c.booking ? momentInWords(c.booking.startsAt) : ''} has been cancelled. The booking team will offer you a new date. The time you have already waited still counts.`,
  }),
  treatment_recorded: (c) => ({
    subject: 'After your treatment',
    body: `Dear ${c.givenName},\nYour treatment at ${c.receivingTrustName ?? 'the hospital'} has been recorded. The team will follow up with your post-operative care plan.`,
  }),
  discharged: (c) => ({
    subject: 'You have been discharged back to your GP',
    body: `Dear ${c.givenName},\n${c.dischargedByTrustName ?? c.receivingTrustName ?? 'The hospital'} has discharged you and sent a summary of your care to your GP practice. Contact your GP if you have any concerns.`,
  }),
  withdrawn: (c) => ({
    subject: 'You have withdrawn from the transfer',
    body: `Dear ${c.givenName},\nWe have recorded that you no longer wish to move hospital. ${keepPlace(c)}`,
  }),
  cancelled: (c) => ({
    subject: 'Your transfer to another hospital has been cancelled',
    body: `Dear ${c.givenName},\nYour transfer has been cancelled by the hospital${c.reason ? ` (${c.reason})` : ''}. ${keepPlace(c)}`,
  }),
  offer_reminder: (c) => ({
    subject: 'Reminder: you could be treated sooner at another hospital',
    body: [
      `Dear ${c.givenName},`,
      `We wrote to you recently because you could have your treatment sooner at another hospital. We have not heard back from you yet.`,
      ...c.offers.map(offerLine),
      'Please tell us whether you would like to move. ' + keepPlace(c),
      howToAnswer(c),
      'If you say no, nothing changes for you.',
    ].join('\n'),
  }),
  appointment_reminder: (c) => ({
    subject: 'Reminder: your appointment is coming up',
    body: `Dear ${c.givenName},\nThis is a reminder that your ${c.booking?.kind === 'procedure' ? 'procedure' : 'pre-operative assessment'} is at ${c.booking?.siteName} on ${c.booking ? momentInWords(c.booking.startsAt) : ''}. If you cannot attend, contact the booking team as soon as possible so the time can be offered to someone else.`,
  }),
  follow_up_kept: (c) => ({
    subject: 'Your follow-up after treatment',
    body: `Dear ${c.givenName},\nYour follow-up after treatment will be at ${c.receivingTrustName ?? 'the hospital that treated you'}. They will contact you about your follow-up appointments. When your follow-up ends, they will send a summary to your GP.`,
  }),
  virtual_ward_admitted: (c) => ({
    subject: 'You are being looked after at home on a virtual ward',
    body: `Dear ${c.givenName},\n${c.receivingTrustName ?? 'The hospital that treated you'} will monitor your recovery at home on a virtual ward. The team will explain how they will check on you and who to contact. When the monitoring ends, they will send a summary to your GP.`,
  }),
  handback_accepted: (c) => ({
    subject: 'Your follow-up will be with your own hospital',
    body: `Dear ${c.givenName},\nYour follow-up after treatment at ${c.receivingTrustName ?? 'the hospital that treated you'} will now be with ${c.originTrustName}. They will contact you about your follow-up appointments.`,
  }),
  handback_refused: (c) => ({
    subject: 'Your follow-up after treatment',
    body: `Dear ${c.givenName},\nYour follow-up will stay with ${c.receivingTrustName ?? 'the hospital that treated you'}. They will contact you about your follow-up appointments.`,
  }),
  appointment_rescheduled: (c) => ({
    subject: 'Your appointment has moved',
    body: [
      `Dear ${c.givenName},`,
      `Your ${appointmentKind(c)}${c.booking?.previousStartsAt ? ` on ${momentInWords(c.booking.previousStartsAt)}` : ''} has moved${c.reason ? ` (${c.reason})` : ''}.`,
      `Your new appointment is on ${c.booking ? momentInWords(c.booking.startsAt) : ''} at ${c.booking?.siteName}${c.booking?.address ? `, ${c.booking.address}` : ''}.`,
      'If you cannot attend, contact the booking team as soon as possible.' + askToChange(c),
    ].join('\n'),
  }),
  appointment_not_attended: (c) => ({
    subject: 'We missed you at your appointment',
    body: `Dear ${c.givenName},\nYou did not come to your ${appointmentKind(c)} at ${c.booking?.siteName} on ${c.booking ? momentInWords(c.booking.startsAt) : ''}. The booking team will contact you to arrange a new date. If you no longer want the treatment, please tell them.`,
  }),
  returned_after_dna: (c) => ({
    subject: 'Your care is going back to your own hospital',
    body: `Dear ${c.givenName},\nYou did not come to your ${appointmentKind(c)} at ${c.booking?.siteName} on ${c.booking ? momentInWords(c.booking.startsAt) : ''}, so ${c.receivingTrustName ?? 'the hospital'} has handed your care back to ${c.originTrustName}. ${keepPlace(c)}`,
  }),
};

/** The link to ask for another date or to cancel, when the message carries one (a letter gets it typed out too). */
function askToChange(c: TemplateContext): string {
  return c.changeUrl ? `\nTo ask for another date or to cancel, go to ${c.changeUrl} (you will be asked for your date of birth).` : '';
}

function appointmentKind(c: TemplateContext): string {
  return c.booking?.kind === 'procedure' ? 'procedure' : 'pre-operative assessment';
}

export function renderNotification(event: NotificationEvent, ctx: TemplateContext): RenderedMessage {
  return TEMPLATES[event](ctx);
}

export const CONTACT_PREFERENCES = ['email', 'sms'] as const;
export type ContactPreference = (typeof CONTACT_PREFERENCES)[number];

/** Accessible formats a patient may need their letters in (they are flagged to the booking team). */
export const ACCESSIBLE_FORMATS = ['large_print', 'braille', 'easy_read', 'audio', 'bsl'] as const;
export type AccessibleFormat = (typeof ACCESSIBLE_FORMATS)[number];

/**
 * The patient's preferred channel when they have its contact detail (email first when they
 * state none), else the other of email and SMS, else a letter.
 */
export function preferredChannel(contact: { email: string | null; phone: string | null; contactPreference?: string | null }): Channel {
  if (contact.contactPreference === 'sms' && contact.phone) return 'sms';
  if (contact.email) return 'email';
  if (contact.phone) return 'sms';
  return 'letter';
}
