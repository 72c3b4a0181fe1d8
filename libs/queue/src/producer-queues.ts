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

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'redis'>) {
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection: producerConnection(config.redis), prefix: config.redis.queuePrefix });
      logQueueErrors(q, name, this.logger); // callers see failed calls too; the log says why, once a minute
      this.queues.set(name, q);
    }
  }

  get(name: string): Queue | undefined {
    return this.queues.get(name as QueueName);
  }

  /** After what enqueues has stopped (the relay and reconciler stop in beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
