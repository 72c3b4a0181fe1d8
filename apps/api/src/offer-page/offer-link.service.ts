// The offer link's state and its record (table offer_link): which page a link shows, date-of-birth
// checks with a lockout, the short session after a right date of birth, and the single use; and
// the trusts' booking teams the pages tell patients to phone.
import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '#config';
import { AWAITING_ANSWER } from '#domain';
import { PrismaService } from '#persistence';
import { verifyOfferLinkToken } from '#notifications';
import { isLatestOfferNotification } from '#workflow';
import type { BookingTeam, OfferView } from './offer-views.js';

/** A link lasts this long after the last message carrying it (the offer, or a reminder of it) was created. */
export const OFFER_LINK_DAYS = 14;
/** Wrong dates of birth before the link locks. */
export const MAX_DOB_ATTEMPTS = 5;
/** How long the page stays open after the right date of birth. */
export const SESSION_SECONDS = 30 * 60;

export type LinkState = 'invalid' | 'used' | 'locked' | 'expired' | 'superseded' | 'notOpen' | 'open';

export interface LinkRecord {
  readonly notificationId: string;
  readonly referralId: string;
  readonly createdAt: Date;
  /** When a message carrying this link was last created: the offer, or its latest reminder. */
  readonly lastSentAt: Date;
  readonly status: string;
  /** Whether this is the referral's latest offer (a newer offer replaces its link). */
  readonly isLatestOffer: boolean;
  readonly originName: string;
  /** The referring trust's booking team: its number and hours (trust settings; null when not set). */
  readonly bookingPhone: string | null;
  readonly bookingPhoneHours: string | null;
  /** The referral's pathway id at the referring trust: the reference the confirmation shows. */
  readonly pathwayId: string;
  readonly dateOfBirth: string;
  readonly nhsNumber: string;
  readonly failedAttempts: number;
  readonly lockedAt: Date | null;
  readonly usedAt: Date | null;
  readonly decision: string | null;
}

@Injectable()
export class OfferLinkService {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The offer notification a token names, if the token is ours. */
  notificationIdOf(token: string): string | null {
    return verifyOfferLinkToken(this.config.workflow.offerLinkSecret, token);
  }

  async load(notificationId: string): Promise<LinkRecord | null> {
    const { rows } = await this.prisma.sql.query<LinkRecord & { event: string }>(
      `SELECT n.id AS "notificationId", n.referral_id AS "referralId", n.event, n.created_at AS "createdAt", r.status::text AS status,
              ${isLatestOfferNotification('n')} AS "isLatestOffer",
              -- The link lasts 14 days from the last message that carried it (the offer, or a reminder of it).
              GREATEST(n.created_at, (SELECT max(n3.created_at) FROM notification n3 WHERE n3.referral_id = n.referral_id
                AND n3.event = 'offer_reminder' AND n3.detail->>'offerNotificationId' = n.id::text)) AS "lastSentAt",
              t.name AS "originName", t.booking_phone AS "bookingPhone", t.booking_phone_hours AS "bookingPhoneHours", r.pathway_id AS "pathwayId",
              to_char(p.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", p.nhs_number AS "nhsNumber",
              COALESCE(l.failed_attempts, 0) AS "failedAttempts", l.locked_at AS "lockedAt", l.used_at AS "usedAt", l.decision
         FROM notification n
         JOIN referral r ON r.id = n.referral_id
         JOIN patient p ON p.id = r.patient_id
         JOIN trust t ON t.ods = r.origin_ods
         LEFT JOIN offer_link l ON l.notification_id = n.id
        WHERE n.id = $1::uuid`,
      [notificationId],
    );
    const row = rows[0];
    return row && row.event === 'offer' ? row : null;
  }

  /** The referring trust's booking team, as the pages name it. */
  teamOf(link: LinkRecord): BookingTeam {
    return { trustName: link.originName, phone: link.bookingPhone, hours: link.bookingPhoneHours };
  }

  /** Every trust's booking team, for the contact and privacy pages (no link: the page does not know the patient's trust). */
  async bookingTeams(): Promise<BookingTeam[]> {
    const { rows } = await this.prisma.sql.query<BookingTeam>(
      'SELECT name AS "trustName", booking_phone AS phone, booking_phone_hours AS hours FROM trust ORDER BY name',
    );
    return rows;
  }

  /** What the link shows, in order: answered, locked, expired, replaced by a newer offer, referral moved on. */
  stateOf(link: LinkRecord | null, now = new Date()): LinkState {
    if (!link) return 'invalid';
    if (link.usedAt) return 'used';
    if (link.lockedAt) return 'locked';
    if (now.getTime() >= link.lastSentAt.getTime() + OFFER_LINK_DAYS * 86_400_000) return 'expired';
    if (!link.isLatestOffer) return 'superseded';
    if (link.status !== AWAITING_ANSWER) return 'notOpen';
    return 'open';
  }

  /** Counts a right date of birth; false when the link locked meanwhile. */
  async recordVerified(link: Pick<LinkRecord, 'notificationId' | 'referralId'>): Promise<boolean> {
    const { rows } = await this.prisma.sql.query(
      `INSERT INTO offer_link (notification_id, referral_id, verified_count, last_verified_at, updated_at) VALUES ($1::uuid, $2::uuid, 1, now(), now())
       ON CONFLICT (notification_id) DO UPDATE SET verified_count = offer_link.verified_count + 1, last_verified_at = now(), updated_at = now()
       WHERE offer_link.locked_at IS NULL AND offer_link.used_at IS NULL
       RETURNING 1`,
      [link.notificationId, link.referralId],
    );
    return rows.length === 1;
  }

  /** Counts a wrong date of birth; returns the tries left (0: locked now). */
  async recordFailed(link: Pick<LinkRecord, 'notificationId' | 'referralId'>): Promise<number> {
    const { rows } = await this.prisma.sql.query<{ failed: number; locked: boolean }>(
      `INSERT INTO offer_link (notification_id, referral_id, failed_attempts, last_failed_at, locked_at, updated_at)
       VALUES ($1::uuid, $2::uuid, 1, now(), CASE WHEN 1 >= $3::int THEN now() END, now())
       ON CONFLICT (notification_id) DO UPDATE SET failed_attempts = offer_link.failed_attempts + 1, last_failed_at = now(),
         locked_at = COALESCE(offer_link.locked_at, CASE WHEN offer_link.failed_attempts + 1 >= $3::int THEN now() END), updated_at = now()
       RETURNING failed_attempts AS failed, locked_at IS NOT NULL AS locked`,
      [link.notificationId, link.referralId, MAX_DOB_ATTEMPTS],
    );
    const r = rows[0];
    return r.locked ? 0 : Math.max(0, MAX_DOB_ATTEMPTS - r.failed);
  }

  /** Marks the link used by the answer just recorded. */
  async recordUsed(link: LinkRecord, decision: 'accept' | 'decline'): Promise<void> {
    await this.prisma.sql.query(
      `INSERT INTO offer_link (notification_id, referral_id, used_at, decision, updated_at) VALUES ($1::uuid, $2::uuid, now(), $3, now())
       ON CONFLICT (notification_id) DO UPDATE SET used_at = COALESCE(offer_link.used_at, now()), decision = COALESCE(offer_link.decision, $3), updated_at = now()`,
      [link.notificationId, link.referralId, decision],
    );
  }

  async openOffers(referralId: string): Promise<OfferView[]> {
    return this.offers(referralId, `o.status = 'OPEN'`);
  }

  async acceptedOffer(referralId: string): Promise<OfferView | null> {
    return (await this.offers(referralId, `o.status = 'ACCEPTED'`))[0] ?? null;
  }

  private async offers(referralId: string, where: string): Promise<OfferView[]> {
    const { rows } = await this.prisma.sql.query<Omit<OfferView, 'earliestWeek'> & { earliestWeek: string }>(
      `SELECT o.id, s.name AS "siteName", t.name AS "trustName", o.distance_miles AS "distanceMiles", to_char(o.earliest_week, 'YYYY-MM-DD') AS "earliestWeek",
              NULLIF(concat_ws(', ', s.address, s.postcode), '') AS address, COALESCE(s.booking_phone, t.booking_phone) AS "bookingPhone"
         FROM offer o JOIN site s ON s.ods = o.site_ods JOIN trust t ON t.ods = o.receiving_ods
        WHERE o.referral_id = $1::uuid AND ${where}
        ORDER BY o.distance_miles, o.id`,
      [referralId],
    );
    return rows.map((r) => ({
      ...r,
      distanceMiles: r.distanceMiles === null ? null : Number(r.distanceMiles),
      earliestWeek: new Date(`${r.earliestWeek}T00:00:00Z`),
    }));
  }

  // ---------- the session after a right date of birth: `<expiry seconds>.<hmac>` bound to the link ----------

  private mac(purpose: string, notificationId: string, value: string): string {
    return createHmac('sha256', this.config.workflow.offerLinkSecret)
      .update(`${purpose}:${notificationId}:${value}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  newSession(notificationId: string, now = Date.now()): string {
    const exp = String(Math.floor(now / 1000) + SESSION_SECONDS);
    return `${exp}.${this.mac('offer-session', notificationId, exp)}`;
  }

  sessionValid(notificationId: string, value: string | undefined, now = Date.now()): boolean {
    const m = value ? /^(\d{10,12})\.([A-Za-z0-9_-]{22})$/.exec(value) : null;
    if (!m) return false;
    if (Number(m[1]) * 1000 <= now) return false;
    return safeEqual(this.mac('offer-session', notificationId, m[1]), m[2]);
  }

  /** The hidden form field that goes with a session (a second check besides SameSite=Strict). */
  csrfFor(notificationId: string, session: string): string {
    return this.mac('offer-csrf', notificationId, session);
  }

  csrfValid(notificationId: string, session: string, given: unknown): boolean {
    return typeof given === 'string' && safeEqual(this.csrfFor(notificationId, session), given);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
