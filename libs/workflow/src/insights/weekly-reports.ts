// The weekly report email (docs/insights.md): from the INSIGHTS_REPORT_HOUR on Monday (UK time), each
// trust's team contacts get an email with the week's aggregate figures for the trust (every count
// through the disclosure rule: "fewer than 5") and links to the report in the staff console (HTML,
// PDF). No patient data: the figures are counts and rates, written into the email's row as text.
//
// Once per trust, team address and week: the row's key is `insights_weekly.<ods>.<team>.<monday>`,
// so a second pass, or two workers at once, finds it and writes nothing. The email goes through
// the staff emails' job (staff-notification.send) and channel; its row's event, insights_weekly,
// picks the words; its team, `insights`, keeps it apart from the worklist emails' batching.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { isoDate, publish, skewInWords, ukDate } from '#domain';
import { PrismaService } from '#persistence';
import type { OutboxJob } from '#queue';
import { mondayOf } from '../capacity-ledger.js';
import { writeOutbox } from '../outbox/outbox.js';
import { deprivationSkew } from './equity-skew.js';
import { InsightQueries } from './insight-queries.js';

export const WEEKLY_REPORT_EVENT = 'insights_weekly';
/** The staff_notification team of weekly reports (not a team of the worklists). */
export const WEEKLY_REPORT_TEAM = 'insights';

/** What the email says, as stored on its row: aggregate figures in words only. */
export interface WeeklyReportDetail {
  readonly weekStart: string;
  readonly lines: readonly string[];
  readonly skew: string;
  readonly skewFlagged: boolean;
}

@Injectable()
export class WeeklyReports {
  constructor(
    private readonly prisma: PrismaService,
    private readonly insights: InsightQueries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The Monday whose report is due at `now`: this week's from the report hour on Monday, last week's before it. */
  dueWeek(now: Date): string {
    const today = ukDate(now);
    const monday = mondayOf(today);
    const hour = Number(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: 'Europe/London' }).format(now));
    const due = today.getTime() === monday.getTime() && hour < this.config.insights.reportHour ? new Date(monday.getTime() - 7 * 86_400_000) : monday;
    return isoDate(due);
  }

  /** One pass: writes the emails due and their jobs; returns how many. `only`: these trusts alone (every trust by default). */
  async queueDue(now = new Date(), only?: readonly string[]): Promise<number> {
    const week = this.dueWeek(now);
    const { rows: due } = await this.prisma.sql.query<{ trust_ods: string; trust_name: string; team: string; email: string }>(
      `SELECT c.trust_ods, t.name AS trust_name, c.team, c.email FROM team_contact c JOIN trust t ON t.ods = c.trust_ods
       WHERE NOT EXISTS (SELECT 1 FROM staff_notification s WHERE s.key = $1 || '.' || c.trust_ods || '.' || c.team || '.' || $2)
         AND ($3::text[] IS NULL OR c.trust_ods = ANY($3::text[]))
       ORDER BY c.trust_ods, c.team`,
      [WEEKLY_REPORT_EVENT, week, only ?? null],
    );
    if (due.length === 0) return 0;
    const details = new Map<string, WeeklyReportDetail>();
    for (const ods of new Set(due.map((d) => d.trust_ods))) details.set(ods, await this.detail(ods, week, now));
    return this.prisma.sqlTransaction(async (tx) => {
      const jobs: OutboxJob[] = [];
      for (const d of due) {
        const id = randomUUID();
        const { rowCount } = await tx.query(
          `INSERT INTO staff_notification (id, trust_ods, team, event, key, channel, recipient, detail)
           VALUES ($1::uuid, $2, $3, $4, $5, 'email', $6, $7::jsonb) ON CONFLICT (key) DO NOTHING`,
          [
            id,
            d.trust_ods,
            WEEKLY_REPORT_TEAM,
            WEEKLY_REPORT_EVENT,
            `${WEEKLY_REPORT_EVENT}.${d.trust_ods}.${d.team}.${week}`,
            d.email,
            JSON.stringify(details.get(d.trust_ods)),
          ],
        );
        if (rowCount) jobs.push({ name: 'staff-notification.send', payload: { staffNotificationId: id }, jobId: `staff-notification.send.${id}` });
      }
      await writeOutbox(tx, null, jobs);
      return jobs.length;
    });
  }

  private async detail(ods: string, weekStart: string, now: Date): Promise<WeeklyReportDetail> {
    const [funnel, waits, equity] = await Promise.all([this.insights.funnel(ods, now), this.insights.waits(ods, now), this.insights.equity(ods, now)]);
    const count = (stage: string) => publish(funnel.find((f) => f.stage === stage)?.referrals ?? 0).text;
    const over = (from: number) => publish(waits.filter((w) => Number.parseInt(w.band, 10) >= from).reduce((a, w) => a + w.originList, 0)).text;
    const skew = skewInWords(deprivationSkew(equity.rows), equity.deprivationKnown);
    return {
      weekStart,
      lines: [
        `Referrals opened: ${count('Opened')}; passed screening: ${count('Passed screening')}; offered a transfer: ${count('Offered a transfer')}.`,
        `Accepted an offer: ${count('Accepted an offer')}; treated: ${count('Treated')}; discharged: ${count('Discharged')}.`,
        `Still on the origin list after 52 weeks or more: ${over(52)}; after 65 weeks or more: ${over(65)}.`,
      ],
      skew: skew.text,
      skewFlagged: skew.flagged,
    };
  }
}
