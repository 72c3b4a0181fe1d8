// One registry per application (the api and the worker may share a process in tests), plus the
// process's own metrics (CPU, RSS, heap, event loop lag, GC), collected once per process.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'crosstrust_';

let processRegistry: Registry | null = null;

/** Node's process metrics (prom-client's defaults, standard names), registered once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class MetricsRegistry {
  /** The application's own metrics: register them here (`registers: [metrics.registry]`). */
  readonly registry = new Registry();

  constructor(readonly app: 'api' | 'worker') {
    this.registry.setDefaultLabels({ app });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition: the application's metrics and its process's. */
  async render(): Promise<string> {
    // Rendered apart and joined: a merged registry would drop this one's default label.
    const [own, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${proc}`;
  }
}
