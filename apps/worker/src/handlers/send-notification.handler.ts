// Sends one patient notification: renders it from Postgres data and hands it to the channel, once.
import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { PrismaService } from '#persistence';
import type { JobPayloads } from '#queue';
import { NOTIFICATION_CHANNEL, NOTIFICATION_EVENTS, renderNotification, type Channel, type NotificationChannel, type NotificationEvent, type TemplateContext } from '#notifications';
import type { StepOutcome } from '#workflow';
import type { JobHandler } from './job-handler.js';

@Injectable()
export class SendNotificationHandler implements JobHandler<'notification.send'> {
  readonly jobName = 'notification.send' as const;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
  ) {}

  async handle(p: JobPayloads['notification.send']): Promise<StepOutcome> {
    // Everything the message needs in one statement (this job runs at every patient-facing step).
    const { rows } = await this.prisma.sql.query<NotificationRow>(
      `SELECT n.id, n.event, n.channel, n.status, n.detail, r.id AS referral_id, r.origin_ods, r.receiving_ods,
              pt.given_name, pt.email, pt.phone, pt.address,
              (SELECT json_agg(json_build_object('receivingOds', o.receiving_ods, 'siteOds', o.site_ods, 'distanceMiles', o.distance_miles,
                                                 'earliestWeek', o.earliest_week) ORDER BY o.distance_miles, o.id)
                 FROM offer o WHERE o.referral_id = r.id AND o.status = 'OPEN') AS offers,
              (SELECT json_build_object('kind', b.kind, 'siteOds', b.site_ods, 'startsAt', b.starts_at)
                 FROM booking b WHERE b.referral_id = r.id AND b.id::text = n.detail->>'bookingId') AS booking,
              (SELECT json_object_agg(t.ods, t.name) FROM trust t) AS trusts,
              (SELECT json_object_agg(s.ods, s.name) FROM site s) AS sites
       FROM notification n LEFT JOIN referral r ON r.id = n.referral_id LEFT JOIN patient pt ON pt.id = r.patient_id
       WHERE n.id = $1::uuid`,
      [p.notificationId],
    );
    const n = rows[0];
    if (!n) return { outcome: 'skipped', reason: 'notification gone' };
    if (n.status !== 'created') return { outcome: 'skipped', reason: `already ${n.status}` };
    if (!(NOTIFICATION_EVENTS as readonly string[]).includes(n.event)) throw new UnrecoverableError(`unknown notification event ${n.event}`);
    if (!n.referral_id) return { outcome: 'skipped', reason: 'referral gone' };
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
      })),
      booking: n.booking ? { kind: n.booking.kind, siteName: sites[n.booking.siteOds] ?? n.booking.siteOds, startsAt: new Date(n.booking.startsAt).toISOString() } : null,
      reason: detail.reason ?? null,
    };
    const message = renderNotification(n.event as NotificationEvent, ctx);
    const result = await this.channel.send({
      notificationId: n.id,
      event: n.event,
      channel: n.channel as Channel,
      recipient: { email: n.email, phone: n.phone, address: n.address },
      message,
    });
    // Only a notification still 'created' moves on, so a replay cannot overwrite a later status.
    await this.prisma.sql.query(`UPDATE notification SET status = $2, sent_at = now(), updated_at = now() WHERE id = $1::uuid AND status = 'created'`, [n.id, result.status]);
    return { outcome: 'done', reason: result.status };
  }
}

interface NotificationRow {
  id: string;
  event: string;
  channel: string;
  status: string;
  detail: unknown;
  referral_id: string | null;
  origin_ods: string | null;
  receiving_ods: string | null;
  given_name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  offers: Array<{ receivingOds: string; siteOds: string; distanceMiles: number; earliestWeek: string }> | null;
  booking: { kind: string; siteOds: string; startsAt: string } | null;
  trusts: Record<string, string> | null;
  sites: Record<string, string> | null;
}
