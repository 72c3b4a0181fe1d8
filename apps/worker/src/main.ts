// Entry point of the worker process: runs until SIGTERM, then finishes running jobs and closes.
import { startTracing } from '#telemetry';

// Tracing first: its hooks see only the modules loaded after it, so the app is imported after (docs/traces.md).
await startTracing('crosstrust-worker');
const { createWorkerApp } = await import('./bootstrap.js');

/** A graceful shutdown that cannot finish (Redis already gone, a job hung) must not leave an orphan. */
const SHUTDOWN_DEADLINE_MS = 30_000;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
}

await createWorkerApp();
