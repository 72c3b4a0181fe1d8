// The catalogue's BullMQ queues as the API sees them: read for queue metrics and the dashboard
// (the API still enqueues nothing). One Redis connection for all of them, failing fast.
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '#config';
import { logQueueErrors, QUEUE_NAMES, producerConnection } from '#queue';

@Injectable()
export class MonitoredQueues implements OnModuleDestroy {
  readonly all: readonly Queue[];
  private readonly connection: Redis;
  private readonly logger = new Logger('MonitoredQueues');

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connection = new Redis({ ...(producerConnection(config.redis.url) as RedisOptions), lazyConnect: true });
    this.connection.on('error', () => {}); // a scrape reports it (collector_up 0); no log spam
    this.all = QUEUE_NAMES.map((name) => {
      const q = new Queue(name, { connection: this.connection, prefix: config.redis.queuePrefix });
      logQueueErrors(q, name, this.logger);
      return q;
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.all.map((q) => q.close().catch(() => undefined)));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
