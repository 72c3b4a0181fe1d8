// Entry point of the worker process: runs until SIGTERM, then finishes running jobs and closes.
import { createWorkerApp } from './bootstrap.js';

/** A graceful shutdown that cannot finish (Redis already gone, a job hung) must not leave an orphan. */
const SHUTDOWN_DEADLINE_MS = 30_000;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
}

await createWorkerApp();
