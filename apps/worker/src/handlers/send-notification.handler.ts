// Sends one patient notification: renders it from Postgres data and hands it to the channel, once.
import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { PrismaService } from '#persistence';
import { isoDate } from '#domain';
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
    const n = await this.prisma.notification.findUnique({ where: { id: p.notificationId } });
    if (!n) return { outcome: 'skipped', reason: 'notification gone' };
    if (n.status !== 'created') return { outcome: 'skipped', reason: `already ${n.status}` };
    if (!(NOTIFICATION_EVENTS as readonly string[]).includes(n.event)) throw new UnrecoverableError(`unknown notification event ${n.event}`);

    const ref = await this.prisma.referral.findUnique({
      where: { id: n.referralId },
      include: { patient: true, offers: { where: { status: 'OPEN' }, orderBy: { distanceMiles: 'asc' } } },
    });
    if (!ref) return { outcome: 'skipped', reason: 'referral gone' };
    const trusts = new Map((await this.prisma.trust.findMany()).map((t) => [t.ods, t.name]));
    const sites = new Map((await this.prisma.site.findMany()).map((s) => [s.ods, s.name]));
    const detail = (n.detail ?? {}) as Record<string, string>;
    const booking = detail.bookingId ? await this.prisma.booking.findUnique({ where: { id: detail.bookingId } }) : null;

    const ctx: TemplateContext = {
      givenName: ref.patient.givenName,
      originTrustName: trusts.get(ref.originOds) ?? ref.originOds,
      receivingTrustName: ref.receivingOds ? (trusts.get(ref.receivingOds) ?? ref.receivingOds) : null,
      offers: ref.offers.map((o) => ({
        trustName: trusts.get(o.receivingOds) ?? o.receivingOds,
        siteName: sites.get(o.siteOds) ?? o.siteOds,
        distanceMiles: o.distanceMiles,
        earliestWeek: isoDate(o.earliestWeek),
      })),
      booking: booking ? { kind: booking.kind, siteName: sites.get(booking.siteOds) ?? booking.siteOds, startsAt: booking.startsAt.toISOString() } : null,
      reason: detail.reason ?? null,
    };
    const message = renderNotification(n.event as NotificationEvent, ctx);
    const result = await this.channel.send({
      notificationId: n.id,
      event: n.event,
      channel: n.channel as Channel,
      recipient: { email: ref.patient.email, phone: ref.patient.phone, address: ref.patient.address },
      message,
    });
    // Only a notification still 'created' moves on, so a replay cannot overwrite a later status.
    await this.prisma.notification.updateMany({
      where: { id: n.id, status: 'created' },
      data: { status: result.status, sentAt: new Date() },
    });
    return { outcome: 'done', reason: result.status };
  }
}
