// The worker process: every BullMQ processor, the outbox relay, and the notification channel.
import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { APP_CONFIG, ConfigModule, loggingModule, type AppConfig } from '#config';
import { PersistenceModule, PrismaService } from '#persistence';
import { ReminderSweep, SendNotification, WorkflowModule } from '#workflow';
import { QUEUE_NAMES, workerConnection } from '#queue';
import { LocalNotificationChannel, NOTIFICATION_CHANNEL, NotifyNotificationChannel, type NotificationChannel } from '#notifications';
import { NotifyStatusPoller } from './notify-status-poller.js';
import { JOB_HANDLERS } from './handlers/job-handler.js';
import { DischargeDispatchHandler, MakeOffersHandler, ScreenReferralHandler, TransferDispatchHandler } from './handlers/workflow-steps.handlers.js';
import { SendNotificationHandler } from './handlers/send-notification.handler.js';
import { WaitingListImportHandler } from './handlers/waiting-list-import.handler.js';
import { StaffNotificationHandler } from './handlers/staff-notification.handler.js';
import { ReminderSweepTimer } from './handlers/reminders-sweep.js';
import { JobRouter } from './job-router.js';
import { DispatchProcessor, NotificationsProcessor, WorkflowProcessor } from './queue-processors.js';
import { OutboxRelay } from './outbox-relay.js';
import { Reconciler } from './reconciler.js';
import { ProducerQueues } from './producer-queues.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { WorkerMetricsServer } from './metrics/metrics-server.js';

const HANDLERS = [ScreenReferralHandler, MakeOffersHandler, TransferDispatchHandler, DischargeDispatchHandler, SendNotificationHandler, WaitingListImportHandler, StaffNotificationHandler];

@Module({
  imports: [
    ConfigModule,
    loggingModule('worker'),
    PersistenceModule,
    WorkflowModule,
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: workerConnection(config), prefix: config.queuePrefix }),
    }),
    ...QUEUE_NAMES.map((name) => BullModule.registerQueue({ name })),
  ],
  providers: [
    // Needs the notification channel, which only the worker provides (register below).
    SendNotification,
    ...HANDLERS,
    { provide: JOB_HANDLERS, inject: HANDLERS, useFactory: (...handlers: unknown[]) => handlers },
    JobRouter,
    WorkflowProcessor,
    DispatchProcessor,
    NotificationsProcessor,
    ProducerQueues,
    OutboxRelay,
    Reconciler,
    ReminderSweep,
    ReminderSweepTimer,
    NotifyStatusPoller,
    WorkerMetrics,
    WorkerMetricsServer,
  ],
})
export class WorkerModule {
  /** The notification channel is the one thing outside this service; tests may pass their own. */
  static register(opts: { notificationChannel?: NotificationChannel } = {}): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        opts.notificationChannel
          ? { provide: NOTIFICATION_CHANNEL, useValue: opts.notificationChannel }
          : // GOV.UK Notify when NOTIFY_API_KEY is set; else the local channel, so `npm start` works with no account.
            { provide: NOTIFICATION_CHANNEL, inject: [APP_CONFIG, PrismaService], useFactory: (config: AppConfig, prisma: PrismaService) => (config.notifyApiKey ? new NotifyNotificationChannel(config) : new LocalNotificationChannel(prisma)) },
      ],
    };
  }
}
