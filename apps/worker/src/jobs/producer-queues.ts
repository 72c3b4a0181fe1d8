// BullMQ queues this worker enqueues into (the outbox relay) or looks jobs up in (the
// reconciler): one set of producer connections, failing fast while Redis is away.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#config';
import { logQueueErrors, QUEUE_NAMES, producerConnection, type QueueName } from '#queue';

@Injectable()
export class ProducerQueues implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly logger = new Logger('ProducerQueues');

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    for (const name of QUEUE_NAMES) {
      const q = new Queue(name, { connection: producerConnection(config.redis), prefix: config.redis.queuePrefix });
      logQueueErrors(q, name, this.logger); // callers see failed calls too; the log says why, once a minute
      this.queues.set(name, q);
    }
  }

  get(name: string): Queue | undefined {
    return this.queues.get(name as QueueName);
  }

  /** After the relay and reconciler have stopped (they stop in beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
