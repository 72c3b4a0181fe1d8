// The worker process: every BullMQ processor, the outbox relay, and the notification channel.
import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, ConfigModule, loggingModule, type AppConfig } from '#config';
import { PersistenceModule, PrismaService } from '#persistence';
import {
  LocalFolderMailbox,
  MAILBOX,
  MeshApiMailbox,
  MeshExchange,
  OutboxDirect,
  ReminderSweep,
  SendNotification,
  SendStaffNotification,
  SendPidmasInvitation,
  WorkflowModule,
} from '#workflow';
import { ProducerQueues, QUEUE_NAMES, workerConnection } from '#queue';
import { LocalNotificationChannel, NOTIFICATION_CHANNEL, NotifyNotificationChannel, type NotificationChannel } from '#notifications';
import { JobRouter } from './jobs/job-router.js';
import { DispatchProcessor, notificationsProcessor, WorkflowProcessor } from './jobs/queue-processors.js';
import { NotifyStatusPoller } from './loops/notify-status-poller.js';
import { ReminderSweepTimer } from './loops/reminder-sweep-timer.js';
import { WeeklyReportTimer } from './loops/weekly-report-timer.js';
import { InsightsRefreshTimer } from './loops/insights-refresh-timer.js';
import { OutboxRelay } from './loops/outbox-relay.js';
import { Reconciler } from './loops/reconciler.js';
import { MeshLoops } from './loops/mesh-loops.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { WorkerMetricsServer } from './metrics/metrics-server.js';

@Module({
  imports: [
    // The job router finds every @OnJob method among the providers (jobs/job-router.ts).
    DiscoveryModule,
    ConfigModule,
    loggingModule('worker'),
    PersistenceModule,
    WorkflowModule,
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: workerConnection(config.redis), prefix: config.redis.queuePrefix }),
    }),
    ...QUEUE_NAMES.map((name) => BullModule.registerQueue({ name })),
  ],
  providers: [
    // Use cases that need the notification channel, which only the worker provides (register below).
    SendNotification,
    SendStaffNotification,
    SendPidmasInvitation,
    JobRouter,
    WorkflowProcessor,
    DispatchProcessor,
    notificationsProcessor,
    ProducerQueues,
    // With OUTBOX_DIRECT_ENQUEUE on, a step's follow-up jobs are enqueued by the worker itself straight after its commit; the relay moves the rest.
    OutboxDirect,
    OutboxRelay,
    Reconciler,
    ReminderSweep,
    ReminderSweepTimer,
    WeeklyReportTimer,
    InsightsRefreshTimer,
    NotifyStatusPoller,
    // MESH when MESH_URL is set; else the local folder mailbox, so `npm start` needs nothing external.
    {
      provide: MAILBOX,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.mesh.url ? new MeshApiMailbox(config.mesh) : new LocalFolderMailbox(config.mesh.localDir, config.mesh.mailboxId),
    },
    MeshExchange,
    MeshLoops,
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
          : // GOV.UK Notify when NOTIFY_API_KEY is set; else the local channel, so `npm start` works with no account
            // (keeping the text of the newest messages outside production: LOCAL_MESSAGES_KEPT, 0 in production).
            {
              provide: NOTIFICATION_CHANNEL,
              inject: [APP_CONFIG, PrismaService],
              useFactory: (config: AppConfig, prisma: PrismaService) =>
                config.notify.apiKey ? new NotifyNotificationChannel(config.notify) : new LocalNotificationChannel(prisma, config.notify.localMessagesKept),
            },
      ],
    };
  }
}
