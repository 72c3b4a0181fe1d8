// The patient's offer link: names the offer notification (not the referral) and carries an HMAC,
// so rendering the message needs no database write and a guessed or altered link is refused.
// Token: base64url(16 uuid bytes) "." base64url(first 16 bytes of HMAC-SHA256(secret, "offer-link:" + id)).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '#domain';

const MAC_BYTES = 16;

function mac(secret: string, id: string): Buffer {
  return createHmac('sha256', secret).update(`offer-link:${id}`).digest().subarray(0, MAC_BYTES);
}

/** The link token for an offer notification (its id, a UUID). */
export function offerLinkToken(secret: string, offerNotificationId: string): string {
  const id = offerNotificationId.toLowerCase();
  if (!isUuid(id)) throw new Error('offerLinkToken needs the offer notification id (a UUID)');
  return `${Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url')}.${mac(secret, id).toString('base64url')}`;
}

/** The offer notification id a token names, or null when the token is malformed or not ours. */
export function verifyOfferLinkToken(secret: string, token: string): string | null {
  if (typeof token !== 'string' || token.length > 64) return null;
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const raw = Buffer.from(m[1], 'base64url');
  const given = Buffer.from(m[2], 'base64url');
  if (raw.length !== 16 || given.length !== MAC_BYTES) return null;
  const hex = raw.toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  // Re-encoding must give the same text: no second spelling of one token.
  if (raw.toString('base64url') !== m[1] || given.toString('base64url') !== m[2]) return null;
  return timingSafeEqual(mac(secret, id), given) ? id : null;
}

/** The address the patient opens: `<base>/offer/<token>`. */
export function offerLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/offer/${encodeURIComponent(token)}`;
}

/**
 * The link in an appointment message (booked or moved) to ask to change or cancel it: the same kind of
 * token, naming that message's notification (issue 18). The offer page refuses it (not an offer).
 */
export function appointmentLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/offer/appointment/${encodeURIComponent(token)}`;
}
