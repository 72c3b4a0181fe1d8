// The pure rules of sending a notification: whether it is still true, and which channel it can go by.
import { AWAITING_ANSWER } from '#domain';
import type { Channel } from '#notifications';

/** What the rules read of a notification and its referral. */
export interface DeliveryFacts {
  readonly event: string;
  readonly referral_status: string | null;
  /** live: still BOOKED and still to come. */
  readonly booking: { readonly live: boolean } | null;
}

/**
 * Why a message would no longer be true if sent now, or null: an offer or its reminder once the
 * referral no longer awaits the patient's answer; an appointment reminder once its booking is
 * cancelled, moved (a new booking has its own reminders) or past.
 */
export function staleBecause(n: DeliveryFacts): string | null {
  if ((n.event === 'offer' || n.event === 'offer_reminder') && n.referral_status !== AWAITING_ANSWER)
    return `referral is ${n.referral_status}, no longer awaiting the patient's answer`;
  if (n.event === 'appointment_reminder' && !n.booking?.live) return n.booking ? 'booking cancelled or already started' : 'booking gone';
  return null;
}

/**
 * The channel the patient's recorded contact method asks for (their additional requirements, the
 * Accessible Information Standard's "contact method"), where there is a detail to use it; else the
 * channel as it was. Telephone and text relay are for people to use: a message still goes as it was.
 */
export function askedChannel(channel: Channel, contactMethod: string | null, c: { email: string | null; phone: string | null }): Channel {
  if (contactMethod === 'letter') return 'letter';
  if (contactMethod === 'email' && c.email) return 'email';
  if (contactMethod === 'text_message' && c.phone) return 'sms';
  return channel;
}

/** The channel a notification can go by now: its own if the contact detail is there, else the other of email and SMS, else a letter. */
export function deliverable(channel: Channel, c: { email: string | null; phone: string | null }): Channel {
  if (channel === 'email' && !c.email) return c.phone ? 'sms' : 'letter';
  if (channel === 'sms' && !c.phone) return c.email ? 'email' : 'letter';
  return channel;
}

/**
 * The messages a patient who asked to be contacted by telephone or text relay is also phoned about,
 * by the booking team: those that ask them something or change where and when they must be.
 */
const PHONED_ABOUT: ReadonlySet<string> = new Set(['offer', 'appointment_booked', 'appointment_rescheduled', 'appointment_cancelled']);

export function phoneToo(event: string, contactMethod: string | null): boolean {
  return (contactMethod === 'telephone' || contactMethod === 'text_relay') && PHONED_ABOUT.has(event);
}
