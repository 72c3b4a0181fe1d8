// One BullMQ processor per queue of the catalogue, each routing jobs through the JobRouter.
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { notifyLimiter, workerTuning } from '#queue';
import { JobRouter } from './job-router.js';

abstract class CatalogueProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
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

@Processor('notifications', workerTuning())
export class NotificationsProcessor extends CatalogueProcessor {
  /**
   * GOV.UK Notify's rate limit, shared by every worker through Redis (BullMQ reads the limiter on
   * each fetch). Only when messages go to Notify: the local channel has no such limit, and capping
   * it at Notify's 50 a second held the benchmark's notifications up to a minute.
   */
  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    if (this.config.notify.apiKey) this.worker.opts.limiter = notifyLimiter(this.config.notify);
  }
}
