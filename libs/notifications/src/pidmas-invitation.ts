// The patient-initiated mutual aid (PIDMAS) invitation: its words, and its personal link, which names
// the invitation and carries an HMAC as the offer link does (offer-link.ts), under a purpose of its own
// so an offer token can never open an opt-in page or the other way round.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '#domain';
import type { RenderedMessage } from './notification-events.js';

/** The event name of invitations (table pidmas_invitation), apart from the referral's events; NOTIFY_TEMPLATES names its templates. */
export const PIDMAS_INVITATION_EVENT = 'pidmas_invitation';

const MAC_BYTES = 16;
const mac = (secret: string, id: string) => createHmac('sha256', secret).update(`opt-in-link:${id}`).digest().subarray(0, MAC_BYTES);

/** The link token for an invitation (its id, a UUID): base64url(uuid bytes) "." base64url(HMAC). */
export function optInLinkToken(secret: string, invitationId: string): string {
  const id = invitationId.toLowerCase();
  if (!isUuid(id)) throw new Error('optInLinkToken needs the invitation id (a UUID)');
  return `${Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url')}.${mac(secret, id).toString('base64url')}`;
}

/** The invitation id a token names, or null when the token is malformed or not ours. */
export function verifyOptInLinkToken(secret: string, token: string): string | null {
  if (typeof token !== 'string' || token.length > 64) return null;
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const raw = Buffer.from(m[1], 'base64url');
  const given = Buffer.from(m[2], 'base64url');
  if (raw.length !== 16 || given.length !== MAC_BYTES || raw.toString('base64url') !== m[1] || given.toString('base64url') !== m[2]) return null;
  const hex = raw.toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return timingSafeEqual(mac(secret, id), given) ? id : null;
}

/** The address the patient opens: `<base>/opt-in/<token>`. */
export function optInLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/opt-in/${encodeURIComponent(token)}`;
}

export interface InvitationContext {
  readonly givenName: string;
  readonly originTrustName: string;
  readonly url: string;
}

/** The invitation: short enough for an SMS (the link carries the rest), the same words by email and letter. */
export function renderPidmasInvitation(c: InvitationContext): RenderedMessage {
  return {
    subject: 'You can ask to be treated sooner at another hospital',
    body: [
      `Dear ${c.givenName},`,
      `You have been waiting a long time for treatment at ${c.originTrustName}. You can ask to be considered for treatment at another hospital that may be able to see you sooner.`,
      `Tell us at ${c.url} (you will be asked for your date of birth). You can say how far you would travel: up to 50 miles, up to 100 miles or anywhere in England.`,
      `You do not have to do anything. If you do not reply, or say no, you keep your place on ${c.originTrustName}'s waiting list and nothing changes.`,
    ].join('\n'),
  };
}
