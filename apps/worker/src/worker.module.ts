// The worker process: every BullMQ processor, the outbox relay, and the notification channel.
import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { APP_CONFIG, ConfigModule, loggingModule, type AppConfig } from '#config';
import { PersistenceModule } from '#persistence';
import { WorkflowModule } from '#workflow';
import { QUEUE_NAMES, workerConnection } from '#queue';
import { LocalNotificationChannel, NOTIFICATION_CHANNEL } from '#notifications';
import { JOB_HANDLERS } from './handlers/job-handler.js';
import { DischargeDispatchHandler, MakeOffersHandler, ScreenReferralHandler, TransferDispatchHandler } from './handlers/workflow-steps.handlers.js';
import { SendNotificationHandler } from './handlers/send-notification.handler.js';
import { JobRouter } from './job-router.js';
import { DispatchProcessor, NotificationsProcessor, WorkflowProcessor } from './queue-processors.js';
import { OutboxRelay } from './outbox-relay.js';

const HANDLERS = [ScreenReferralHandler, MakeOffersHandler, TransferDispatchHandler, DischargeDispatchHandler, SendNotificationHandler];

@Module({
  imports: [
    ConfigModule,
    loggingModule('worker'),
    PersistenceModule,
    WorkflowModule,
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ connection: workerConnection(config.redisUrl), prefix: config.queuePrefix }),
    }),
    ...QUEUE_NAMES.map((name) => BullModule.registerQueue({ name })),
  ],
  providers: [
    ...HANDLERS,
    { provide: JOB_HANDLERS, inject: HANDLERS, useFactory: (...handlers: unknown[]) => handlers },
    { provide: NOTIFICATION_CHANNEL, useClass: LocalNotificationChannel },
    JobRouter,
    WorkflowProcessor,
    DispatchProcessor,
    NotificationsProcessor,
    OutboxRelay,
  ],
})
export class WorkerModule {}
