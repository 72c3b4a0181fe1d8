// Sends one staff team's worklist email (table staff_notification): counts and referral ids, no
// patient data, through the same channel as patient messages, once. Provided by the worker, which
// has the channel.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { OnJob, type JobPayloads } from '#queue';
import { NOTIFICATION_CHANNEL, STAFF_WORKLIST_EVENT, renderStaffWorklist, renderWeeklyReport, type NotificationChannel } from '#notifications';
import { WEEKLY_REPORT_EVENT, type WeeklyReportDetail } from '../insights/weekly-reports.js';
import type { StepOutcome } from '../automated-steps.js';

@Injectable()
export class SendStaffNotification {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnJob('staff-notification.send')
  async send(p: JobPayloads['staff-notification.send']): Promise<StepOutcome> {
    const { rows } = await this.prisma.sql.query<{
      id: string;
      trust_ods: string;
      team: string;
      recipient: string;
      event: string;
      status: string;
      detail: StaffDetail | null;
      trust_name: string | null;
    }>(
      `SELECT s.id::text AS id, s.trust_ods, s.team, s.event, s.recipient, s.status, s.detail, t.name AS trust_name
       FROM staff_notification s LEFT JOIN trust t ON t.ods = s.trust_ods WHERE s.id = $1::uuid`,
      [p.staffNotificationId],
    );
    const n = rows[0];
    if (!n) return { outcome: 'skipped', reason: 'staff notification gone' };
    if (n.status !== 'created') return { outcome: 'skipped', reason: `already ${n.status}` };
    // The weekly report (insights/weekly-reports.ts) goes as a staff email too: its own words, the same template.
    const message =
      n.event === WEEKLY_REPORT_EVENT
        ? renderWeeklyReport({
            ...(n.detail as unknown as WeeklyReportDetail),
            trustName: n.trust_name ?? n.trust_ods,
            consoleUrl: this.config.http.publicBaseUrl,
          })
        : renderStaffWorklist({
            trustName: n.trust_name ?? n.trust_ods,
            team: n.team,
            counts: n.detail?.counts ?? {},
            referralIds: n.detail?.referralIds ?? [],
            consoleUrl: this.config.http.publicBaseUrl,
          });
    const result = await this.channel.send({
      notificationId: n.id,
      event: STAFF_WORKLIST_EVENT,
      channel: 'email',
      recipient: { email: n.recipient, phone: null, address: null },
      message,
    });
    await this.prisma.sql.query(
      `UPDATE staff_notification SET status = $2, provider_id = $3, sent_at = now(), updated_at = now() WHERE id = $1::uuid AND status = 'created'`,
      [n.id, result.status, result.providerReference ?? null],
    );
    return { outcome: 'done', reason: result.status };
  }
}

interface StaffDetail {
  counts?: Record<string, number>;
  referralIds?: string[];
}
