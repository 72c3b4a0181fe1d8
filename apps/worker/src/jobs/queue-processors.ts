// One BullMQ processor per queue of the catalogue, each routing jobs through the JobRouter.
import { Inject, Logger, type BeforeApplicationShutdown, type FactoryProvider, type OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, WorkerOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { notifyLimiter, workerTuning } from '#queue';
import { JobRouter } from './job-router.js';

export abstract class CatalogueProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  constructor(
    private readonly router: JobRouter,
    @Inject(APP_CONFIG) protected readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.worker.concurrency;
  }

  /** Stop taking jobs and let running ones finish before the database goes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  process(job: Job, token?: string) {
    return this.router.run(job, token);
  }

  /** Redis going away, or a job lost with it: worth a line, not a stack trace per job. */
  @OnWorkerEvent('error')
  onError(err: Error) {
    this.logger.warn({ error: err.message.slice(0, 200) }, 'queue worker error');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error) {
    return this.router.failed(job, err).catch(() => undefined);
  }
}

@Processor('workflow', workerTuning())
export class WorkflowProcessor extends CatalogueProcessor {}

@Processor('dispatch', workerTuning())
export class DispatchProcessor extends CatalogueProcessor {}

/** Who runs the notifications queue's jobs (the provider's token; its class is made per configuration). */
export const NOTIFICATIONS_PROCESSOR = Symbol('NOTIFICATIONS_PROCESSOR');

/**
 * The notifications queue's BullMQ Worker options. With GOV.UK Notify, its rate limit as the
 * Worker's `limiter`, given at construction (BullMQ sends it with every fetch and counts it in Redis,
 * so every worker shares it, and a Redis restarted empty keeps it, which a queue's global rate limit,
 * stored in Redis, would not). Only for Notify: the local channel has no such limit, and capping it
 * at Notify's 50 a second held the benchmark's notifications up to a minute.
 */
export function notificationsWorkerOptions(
  notify: AppConfig['notify'],
  env: Record<string, string | undefined> = process.env,
): Omit<WorkerOptions, 'connection'> {
  return { ...workerTuning(env), ...(notify.apiKey ? { limiter: notifyLimiter(notify) } : {}) };
}

/**
 * The notifications processor. `@Processor` options are read when its Worker is built, from the
 * class: a class per configuration gives the Worker its limiter from the validated config.
 */
export const notificationsProcessor: FactoryProvider<CatalogueProcessor> = {
  provide: NOTIFICATIONS_PROCESSOR,
  inject: [JobRouter, APP_CONFIG],
  useFactory: (router: JobRouter, config: AppConfig) => {
    @Processor('notifications', notificationsWorkerOptions(config.notify))
    class NotificationsProcessor extends CatalogueProcessor {}
    return new NotificationsProcessor(router, config);
  },
};
