// Runs the reminder sweep (libs/workflow/src/reminders/reminder-sweep.ts) every REMINDER_SWEEP_MS
// in each worker; a transaction-scoped advisory lock lets one worker at a time do a pass.
//
// A timer in the worker rather than a BullMQ repeatable job, as the reconciler does: the schedule
// of a repeatable job lives in Redis and goes with a flush, while this one lives with the process.
// The sweep itself keeps nothing in Redis either: what is due is read from Postgres each pass.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { ReminderSweep, type SweepReport } from '#workflow';

@Injectable()
export class ReminderSweepTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReminderSweep');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepReport | null> | null = null;
  private stopped = false;

  constructor(
    private readonly sweep: ReminderSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(this.config.reminderSweepMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow().then((r) => this.schedule(r?.more ? 0 : this.config.reminderSweepMs));
    }, ms);
  }

  /** One pass now (or the one already running); null when another worker held the sweep or it failed. */
  runNow(): Promise<SweepReport | null> {
    if (this.running) return this.running;
    this.running = this.sweep
      .sweepOnce()
      .then((r) => {
        if (r && (r.offerReminders || r.offerTasks || r.appointmentReminders || r.staffEmails)) this.logger.log({ ...r }, 'reminder sweep');
        return r;
      })
      .catch((e: Error) => {
        this.logger.warn({ error: e.message.slice(0, 200) }, 'reminder sweep failed; will try again');
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
