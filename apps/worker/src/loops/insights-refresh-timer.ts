// Keeps the insights' figures no older than INSIGHTS_REFRESH_MS (libs/workflow/src/insights/
// insight-figures.ts): each worker looks every minute (or every interval, if shorter) and refreshes
// when the kept figures are due; an advisory lock lets one worker at a time refresh, and the others
// find the figures fresh. A timer in the worker (PeriodicTask), as the reminder sweep and the
// reconciler are, rather than a BullMQ job scheduler: a scheduler keeps its next run as a delayed
// job in the queue at all times, so the queue is never idle and "every job done" cannot be told.
// A trust admin's ask still goes through the outbox and BullMQ (the insights.refresh job).
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PeriodicTask } from '#queue';
import { InsightFigures } from '#workflow';

@Injectable()
export class InsightsRefreshTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('InsightsRefresh');
  private readonly periodic: PeriodicTask<{ rows: number; ms: number } | null> | null;

  constructor(figures: InsightFigures, @Inject(APP_CONFIG) config: AppConfig) {
    const every = config.insights.refreshMs;
    this.periodic =
      every === 0
        ? null
        : new PeriodicTask({
            run: () => figures.refreshIfDue(every),
            intervalMs: Math.min(every, 60_000),
            onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'insights refresh failed; will try again'),
          });
  }

  /** The first look at once: a worker started after a long stop brings the figures up to date. */
  onApplicationBootstrap(): void {
    this.periodic?.start(0);
  }

  /** One look now (or the one running): the refresh it made, or null (not due, another worker's, off, or failed). */
  async runNow(): Promise<{ rows: number; ms: number } | null> {
    return (await this.periodic?.runNow()) ?? null;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic?.stop();
  }
}
