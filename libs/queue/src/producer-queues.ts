// BullMQ queues a process enqueues into (the outbox relay, and the api and worker straight after a
// commit: outbox-direct.ts) or looks jobs up in (the reconciler): one set of producer connections,
// failing fast while Redis is away.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { QUEUE_NAMES, type QueueName } from './job-catalogue.js';
import { logQueueErrors } from './queue-errors.js';
import { producerConnection } from './redis-connection.js';

@Injectable()
export class ProducerQueues implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly logger = new Logger('ProducerQueues');
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'redis'>) {}

  /**
   * The queue `name`, its connection opened at first use: a process that never enqueues (an api with
   * OUTBOX_DIRECT_ENQUEUE off) opens none. Undefined for a name not in the catalogue, or once closed.
   */
  get(name: string): Queue | undefined {
    if (this.closed || !(QUEUE_NAMES as readonly string[]).includes(name)) return undefined;
    let q = this.queues.get(name as QueueName);
    if (!q) {
      q = new Queue(name, { connection: producerConnection(this.config.redis), prefix: this.config.redis.queuePrefix });
      logQueueErrors(q, name, this.logger); // callers see failed calls too; the log says why, once a minute
      this.queues.set(name as QueueName, q);
    }
    return q;
  }

  /** After what enqueues has stopped (the relay and reconciler stop in beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
