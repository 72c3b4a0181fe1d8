// Keeps the insights' refresh on its schedule: a BullMQ job scheduler runs `insights.refresh` every
// INSIGHTS_REFRESH_MS (libs/workflow/src/insights/insight-figures.ts). A scheduler lives in Redis, so
// however many workers start, one refresh runs per interval; each worker's boot sets it to the
// configured interval (the first run at once), and 0 removes it (refreshes only when asked).
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { jobOptions } from '#queue';
import { ProducerQueues } from '../jobs/producer-queues.js';

export const INSIGHTS_REFRESH_SCHEDULER = 'insights.refresh.schedule';

@Injectable()
export class InsightsRefreshSchedule implements OnApplicationBootstrap {
  private readonly logger = new Logger('InsightsRefreshSchedule');

  constructor(
    private readonly queues: ProducerQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Not awaited by the boot: with Redis away the worker starts anyway, and the scheduler already in Redis goes on. */
  onApplicationBootstrap(): void {
    this.apply().catch((e: Error) =>
      this.logger.warn({ error: e.message.slice(0, 200) }, 'insights refresh schedule not set; the one in Redis, if any, stands'),
    );
  }

  async apply(): Promise<void> {
    const queue = this.queues.get('workflow')!;
    const every = this.config.insights.refreshMs;
    if (every === 0) {
      await queue.removeJobScheduler(INSIGHTS_REFRESH_SCHEDULER);
      return;
    }
    const { jobId: _unused, delay: _none, ...opts } = jobOptions('insights.refresh', INSIGHTS_REFRESH_SCHEDULER);
    await queue.upsertJobScheduler(INSIGHTS_REFRESH_SCHEDULER, { every }, { name: 'insights.refresh', data: { reason: 'schedule' }, opts });
  }
}
