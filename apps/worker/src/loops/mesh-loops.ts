// The worker's two MESH loops: the sender (due dispatches out) and the poller (inbox read for
// acknowledgements, sent messages tracked, overdue acknowledgements turned into tasks). Every
// worker runs both: claims and guarded updates make two workers' passes safe.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PeriodicTask } from '#queue';
import { MeshExchange } from '#workflow';

@Injectable()
export class MeshLoops implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MeshLoops');
  readonly sender: PeriodicTask<void>;
  readonly poller: PeriodicTask<void>;

  constructor(
    private readonly exchange: MeshExchange,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sender = new PeriodicTask({
      run: async () => {
        const r = await this.exchange.sendDue();
        if (r.sent || r.failed) this.logger.log({ ...r }, 'dispatches sent over MESH');
      },
      intervalMs: config.mesh.sendIntervalMs,
      // MESH down: a line per pass, not a stack trace; the messages wait in Postgres.
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'MESH send pass failed; will try again'),
    });
    this.poller = new PeriodicTask({
      run: async () => {
        // Overdue acknowledgements are found in Postgres: raised even while MESH is unreachable.
        let failure: Error | null = null;
        const polled = { read: 0, closed: 0, delivered: 0 };
        try {
          Object.assign(polled, await this.exchange.pollInbox(), await this.exchange.track());
        } catch (e) {
          failure = e instanceof Error ? e : new Error('MESH poll failed');
        }
        const overdue = await this.exchange.raiseOverdue();
        if (polled.read || polled.delivered || overdue.raised) this.logger.log({ ...polled, ...overdue }, 'MESH inbox and tracking polled');
        if (failure) throw failure;
      },
      intervalMs: config.mesh.pollIntervalMs,
      onError: (e) => this.logger.warn({ error: e.message.slice(0, 200) }, 'MESH poll failed; will try again'),
    });
  }

  onApplicationBootstrap(): void {
    this.sender.start(0);
    this.poller.start(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.sender.stop(), this.poller.stop()]);
  }
}
