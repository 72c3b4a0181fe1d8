// Looks every INSIGHTS_REPORT_CHECK_MS for trusts whose weekly report email is due
// (libs/workflow/src/insights/weekly-reports.ts) and writes them. A timer in the worker, as the
// reminder sweep is; each email is once by its key, so every worker may look.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PeriodicTask } from '#queue';
import { WeeklyReports } from '#workflow';

@Injectable()
export class WeeklyReportTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WeeklyReports');
  private readonly periodic: PeriodicTask<number>;

  constructor(reports: WeeklyReports, @Inject(APP_CONFIG) config: AppConfig) {
    this.periodic = new PeriodicTask({
      run: async () => {
        const n = await reports.queueDue();
        if (n) this.logger.log({ emails: n }, 'weekly reports written');
        return n;
      },
      intervalMs: config.insights.reportCheckMs,
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'weekly reports failed; will try again'),
    });
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  /** One pass now (or the one already running); null when it failed. */
  runNow(): Promise<number | null> {
    return this.periodic.runNow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }
}
