// The worker's only HTTP: GET /metrics (Prometheus) and GET /health/live, on METRICS_PORT when set.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { startMetricsServer, type MetricsServer } from '#metrics';
import { WorkerMetrics } from './worker-metrics.js';

@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerMetricsServer');
  private server: MetricsServer | null = null;

  constructor(
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The port it listens on, or null when METRICS_PORT is not set. */
  get port(): number | null {
    return this.server?.port ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metrics.port === null) return;
    this.server = await startMetricsServer({
      metrics: this.metrics.metrics,
      port: this.config.metrics.port,
      host: this.config.metrics.host,
      token: this.config.metrics.token,
    });
    this.logger.log({ port: this.server.port, host: this.config.metrics.host }, 'metrics and health served');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }
}
