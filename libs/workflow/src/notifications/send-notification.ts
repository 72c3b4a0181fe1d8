// Sends one patient notification: renders it from what Postgres holds now (the referral's own
// patient record, offers, booking) and hands it to the channel, once. The rules that decide
// (stale, deliverable) are pure, in delivery-rules.ts.
import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { DeferJobError, OnJob, type JobPayloads } from '#queue';
import {
  appointmentLinkUrl,
  letterAddress,
  offerLinkToken,
  offerLinkUrl,
  NOTIFICATION_CHANNEL,
  NOTIFICATION_EVENTS,
  quietUntil,
  renderNotification,
  type Channel,
  type NotificationChannel,
  type NotificationEvent,
  type TemplateContext,
} from '#notifications';
import { recordNotificationStatus } from './notification-delivery.js';
import { raiseTask, taskTrustFor } from '../tasks.js';
import type { StepOutcome } from '../automated-steps.js';
import { askedChannel, deliverable, phoneToo, staleBecause } from './delivery-rules.js';

@Injectable()
export class SendNotification {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The offer link a message carries: named by the offer notification of this round of offers (the
   * offer itself, the one a fallback letter stands in for, or the one a reminder reminds of), so
   * every message of the round opens the same single-use link. Computed, never stored or queued.
   */
  private offerUrl(n: { id: string; event: string; fallback_of: string | null }, detail: Record<string, string>): string | null {
    const offerNotificationId = n.event === 'offer' ? (n.fallback_of ?? n.id) : n.event === 'offer_reminder' ? detail.offerNotificationId : undefined;
    return offerNotificationId ? offerLinkUrl(this.config.http.publicBaseUrl, offerLinkToken(this.config.workflow.offerLinkSecret, offerNotificationId)) : null;
  }

  /** Sends notification `notificationId` once: guard clauses first (gone, already sent, no longer true). */
  @OnJob('notification.send')
  async send({ notificationId }: JobPayloads['notification.send']): Promise<StepOutcome> {
    // Everything the message needs in one statement (this job runs at every patient-facing step).
    const { rows } = await this.prisma.sql.query<NotificationRow>(
      `SELECT n.id, n.event, n.channel, n.status, n.detail, n.fallback_of, r.id AS referral_id, r.origin_ods, COALESCE(r.receiving_ods, r.former_receiving_ods) AS receiving_ods, r.status::text AS referral_status,
              pt.given_name, pt.email, pt.phone, pt.address, pt.family_name, pt.postcode, pt.accessible_format,
              ar.requirements->>'contactMethod' AS contact_method, ar.requirements->'informationFormats'->>0 AS information_format,
              (SELECT json_agg(json_build_object('receivingOds', o.receiving_ods, 'siteOds', o.site_ods, 'distanceMiles', o.distance_miles,
                                                 'earliestWeek', o.earliest_week, 'address', concat_ws(', ', os.address, os.postcode),
                                                 'bookingPhone', COALESCE(os.booking_phone, ot.booking_phone)) ORDER BY o.distance_miles, o.id)
                 FROM offer o JOIN site os ON os.ods = o.site_ods JOIN trust ot ON ot.ods = o.receiving_ods
                 WHERE o.referral_id = r.id AND o.status = 'OPEN') AS offers,
              (SELECT json_build_object('kind', b.kind, 'siteOds', b.site_ods, 'startsAt', b.starts_at, 'live', b.status = 'BOOKED' AND b.starts_at > now(),
                                         'address', (SELECT NULLIF(concat_ws(', ', bs.address, bs.postcode), '') FROM site bs WHERE bs.ods = b.site_ods))
                 FROM booking b WHERE b.referral_id = r.id AND b.id::text = n.detail->>'bookingId') AS booking,
              (SELECT json_object_agg(t.ods, t.name) FROM trust t) AS trusts,
              (SELECT json_object_agg(s.ods, s.name) FROM site s) AS sites
       FROM notification n LEFT JOIN referral r ON r.id = n.referral_id LEFT JOIN patient pt ON pt.id = r.patient_id
            LEFT JOIN additional_requirement ar ON ar.referral_id = r.id
       WHERE n.id = $1::uuid`,
      [notificationId],
    );
    const n = rows[0];
    if (!n) return { outcome: 'skipped', reason: 'notification gone' };
    if (n.status !== 'created') return { outcome: 'skipped', reason: `already ${n.status}` };
    if (!(NOTIFICATION_EVENTS as readonly string[]).includes(n.event)) throw new UnrecoverableError(`unknown notification event ${n.event}`);
    if (!n.referral_id) return { outcome: 'skipped', reason: 'referral gone' };
    // A message can wait (quiet hours, retries with backoff, a fallback letter after a failure):
    // each attempt checks it is still true now, and one that is not is never sent.
    const stale = staleBecause(n);
    if (stale) {
      await recordNotificationStatus(this.prisma.sql, { notificationId: n.id, status: 'cancelled', source: 'stale', reason: stale });
      return { outcome: 'skipped', reason: `not sent: ${stale}` };
    }
    const trusts = n.trusts ?? {};
    const sites = n.sites ?? {};
    const detail = (n.detail ?? {}) as Record<string, string>;

    const ctx: TemplateContext = {
      givenName: n.given_name!,
      originTrustName: trusts[n.origin_ods!] ?? n.origin_ods!,
      receivingTrustName: n.receiving_ods ? (trusts[n.receiving_ods] ?? n.receiving_ods) : null,
      offers: (n.offers ?? []).map((o) => ({
        trustName: trusts[o.receivingOds] ?? o.receivingOds,
        siteName: sites[o.siteOds] ?? o.siteOds,
        distanceMiles: o.distanceMiles,
        earliestWeek: o.earliestWeek,
        address: o.address,
        bookingPhone: o.bookingPhone,
      })),
      booking: n.booking
        ? {
            kind: n.booking.kind,
            siteName: sites[n.booking.siteOds] ?? n.booking.siteOds,
            startsAt: new Date(n.booking.startsAt).toISOString(),
            address: n.booking.address,
            previousStartsAt: detail.previousStartsAt ?? null,
          }
        : null,
      reason: detail.reason ?? null,
      offerUrl: this.offerUrl(n, detail),
      // Named by this message itself: the page finds its booking through it.
      changeUrl:
        n.event === 'appointment_booked' || n.event === 'appointment_rescheduled'
          ? appointmentLinkUrl(this.config.http.publicBaseUrl, offerLinkToken(this.config.workflow.offerLinkSecret, n.id))
          : null,
      dischargedByTrustName: detail.dischargedBy ? (trusts[detail.dischargedBy] ?? detail.dischargedBy) : null,
    };
    const message = renderNotification(n.event as NotificationEvent, ctx);
    // The patient's additional requirements, recorded after the row was written perhaps, decide how
    // they are contacted and in what format (a fallback letter after a failure stays a letter). Then
    // the contact detail may have gone since: the other of email and SMS, else a letter.
    const format = n.accessible_format ?? n.information_format;
    const channel = deliverable(n.fallback_of ? (n.channel as Channel) : askedChannel(n.channel as Channel, n.contact_method, n), n);
    if (channel !== n.channel)
      await this.prisma.sql.query(`UPDATE notification SET channel = $2, updated_at = now() WHERE id = $1::uuid AND status = 'created'`, [n.id, channel]);
    if (channel === 'sms') {
      const until = quietUntil(new Date(), this.config.notify.smsQuietHours);
      if (until) throw new DeferJobError(until.getTime(), 'no SMS in quiet hours (UK time)');
    }
    const name = `${n.given_name ?? ''} ${n.family_name ?? ''}`.trim();
    const result = await this.channel.send({
      notificationId: n.id,
      event: n.event,
      channel,
      recipient: { email: n.email, phone: n.phone, address: n.address },
      message,
      personalisation: {
        given_name: ctx.givenName,
        origin_trust_name: ctx.originTrustName,
        receiving_trust_name: ctx.receivingTrustName ?? '',
        notification_id: n.id,
        offer_url: ctx.offerUrl ?? '',
        change_url: ctx.changeUrl ?? '',
      },
      addressLines: channel === 'letter' ? letterAddress(name, n.address, n.postcode) : undefined,
      accessibleFormat: format,
    });
    // Only a notification still created or sending moves on, so a replay cannot overwrite a later status;
    // a failure raises a booking-team task, and a permanent one brings a letter in its place (notification-delivery.ts).
    const update = {
      notificationId: n.id,
      providerId: result.providerReference ?? null,
      status: result.status,
      source: 'send',
      reason: result.failureReason,
    } as const;
    const failed = result.status !== 'sending' && result.status !== 'delivered';
    // Tasks for the booking team beside the message. Notify prints standard letters: the team sends
    // this one in the patient's format too. A patient who asked to be phoned (their additional
    // requirements) is called about this one.
    const tasks: Array<readonly [kind: string, detail: Record<string, unknown>]> = [];
    if (channel === 'letter' && format && !failed) tasks.push(['accessible_letter', { notificationId: n.id, event: n.event, format }]);
    if (phoneToo(n.event, n.contact_method)) tasks.push(['phone_patient', { notificationId: n.id, event: n.event, contactMethod: n.contact_method }]);
    if (!failed && tasks.length === 0) {
      // The usual case is one statement: no transaction round trips.
      await recordNotificationStatus(this.prisma.sql, update);
    } else {
      await this.prisma.sqlTransaction(async (tx) => {
        await recordNotificationStatus(tx, update);
        for (const [kind, detail] of tasks)
          await raiseTask(tx, {
            trustOds: taskTrustFor(n.referral_status!, n.origin_ods!, n.receiving_ods),
            team: 'booking',
            kind,
            referralId: n.referral_id,
            key: `${kind}.${n.id}`,
            detail,
          });
      });
    }
    return { outcome: 'done', reason: result.adopted ? `${result.status} (sent by an earlier attempt)` : result.status };
  }
}

export interface NotificationRow {
  fallback_of: string | null;
  id: string;
  event: string;
  channel: string;
  status: string;
  detail: unknown;
  referral_id: string | null;
  origin_ods: string | null;
  receiving_ods: string | null;
  referral_status: string | null;
  given_name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  family_name: string | null;
  postcode: string | null;
  accessible_format: string | null;
  /** From the referral's additional requirements, if recorded: contactMethod, and the first of informationFormats. */
  contact_method: string | null;
  information_format: string | null;
  offers: Array<{
    receivingOds: string;
    siteOds: string;
    distanceMiles: number | null;
    earliestWeek: string;
    address: string | null;
    bookingPhone: string | null;
  }> | null;
  /** live: still BOOKED and still to come. */
  booking: { kind: string; siteOds: string; startsAt: string; live: boolean; address: string | null } | null;
  trusts: Record<string, string> | null;
  sites: Record<string, string> | null;
}
