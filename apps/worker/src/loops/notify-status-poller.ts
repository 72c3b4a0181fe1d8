// Asks GOV.UK Notify about notifications still `sending` with no callback after a while (callbacks
// not configured, or lost): the status is recorded as a callback's would be.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { PeriodicTask } from '#queue';
import { NOTIFICATION_CHANNEL, type NotificationChannel } from '#notifications';
import { notificationsAwaitingStatus, recordNotificationStatus } from '#workflow';

const BATCH = 100;

@Injectable()
export class NotifyStatusPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NotifyStatusPoller');
  private readonly periodic: PeriodicTask<void>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.periodic = new PeriodicTask({
      run: async () => {
        const r = await this.pollOnce();
        if (r.updated) this.logger.log({ ...r }, 'delivery statuses polled from GOV.UK Notify');
      },
      intervalMs: config.notify.pollIntervalMs,
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'delivery status poll failed; will try again'),
    });
  }

  onApplicationBootstrap(): void {
    // The local channel knows its result at once: nothing to poll.
    if (this.channel.status) this.periodic.start();
  }

  /**
   * One pass. Every worker polls (no leader): recording a status is idempotent, so two polls of
   * one notification cost a request to Notify, nothing more.
   */
  async pollOnce(): Promise<{ checked: number; updated: number }> {
    if (!this.channel.status) return { checked: 0, updated: 0 };
    const rows = await notificationsAwaitingStatus(this.prisma.sql, this.config.notify.pollAfterMs, BATCH);
    let updated = 0;
    for (const r of rows) {
      if (this.periodic.stopping) break;
      const s = await this.channel.status(r.providerId);
      if (!s || s.status === 'sending' || s.status === 'created') continue;
      const out = await this.prisma.sqlTransaction((tx) =>
        recordNotificationStatus(tx, { notificationId: r.id, providerId: r.providerId, status: s.status, providerAt: s.providerAt, source: 'poll' }),
      );
      if (out.applied) updated++;
    }
    return { checked: rows.length, updated };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }
}
