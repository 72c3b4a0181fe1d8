// Runs the reminder sweep (libs/workflow/src/reminders/reminder-sweep.ts) every REMINDER_SWEEP_MS
// in each worker; a transaction-scoped advisory lock lets one worker at a time do a pass.
//
// A timer in the worker (PeriodicTask) rather than a BullMQ repeatable job, as the reconciler does.
// The sweep itself keeps nothing in Redis either: what is due is read from Postgres each pass.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PeriodicTask } from '#queue';
import { ReminderSweep, type SweepReport } from '#workflow';

@Injectable()
export class ReminderSweepTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReminderSweep');
  private readonly periodic: PeriodicTask<SweepReport | null>;

  constructor(sweep: ReminderSweep, @Inject(APP_CONFIG) config: AppConfig) {
    this.periodic = new PeriodicTask({
      run: async () => {
        const r = await sweep.sweepOnce();
        if (r && (r.offerReminders || r.offerTasks || r.appointmentReminders || r.staffEmails)) this.logger.log({ ...r }, 'reminder sweep');
        return r;
      },
      intervalMs: config.worker.reminderSweepMs,
      // A full batch: go on at once with the rest.
      nextInMs: (r) => (r?.more ? 0 : config.worker.reminderSweepMs),
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'reminder sweep failed; will try again'),
    });
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  /** One pass now (or the one already running); null when another worker held the sweep or it failed. */
  runNow(): Promise<SweepReport | null> {
    return this.periodic.runNow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }
}
