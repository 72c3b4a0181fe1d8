// Asks GOV.UK Notify about notifications still `sending` with no callback after a while (callbacks
// not configured, or lost): the status is recorded as a callback's would be.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { NOTIFICATION_CHANNEL, type NotificationChannel } from '#notifications';
import { notificationsAwaitingStatus, recordNotificationStatus } from '#workflow';

const BATCH = 100;

@Injectable()
export class NotifyStatusPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NotifyStatusPoller');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // The local channel knows its result at once: nothing to poll.
    if (this.channel.status) this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce()
        .then((r) => r.updated && this.logger.log({ ...r }, 'delivery statuses polled from GOV.UK Notify'))
        .catch((e: Error) => this.logger.warn({ error: e.message.slice(0, 200) }, 'delivery status poll failed; will try again'))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.config.notifyPollIntervalMs);
  }

  /**
   * One pass. Every worker polls (no leader): recording a status is idempotent, so two polls of
   * one notification cost a request to Notify, nothing more.
   */
  async pollOnce(): Promise<{ checked: number; updated: number }> {
    if (!this.channel.status) return { checked: 0, updated: 0 };
    const rows = await notificationsAwaitingStatus(this.prisma.sql, this.config.notifyPollAfterMs, BATCH);
    let updated = 0;
    for (const r of rows) {
      if (this.stopped) break;
      const s = await this.channel.status(r.providerId);
      if (!s || s.status === 'sending' || s.status === 'created') continue;
      const out = await this.prisma.sqlTransaction((tx) => recordNotificationStatus(tx, { notificationId: r.id, providerId: r.providerId, status: s.status, providerAt: s.providerAt, source: 'poll' }));
      if (out.applied) updated++;
    }
    return { checked: rows.length, updated };
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
