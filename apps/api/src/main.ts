// Entry point of the API process.
import { startTracing } from '#telemetry';
import type { AppConfig } from '#config';

// Tracing first: its hooks see only the modules loaded after it, so the app is imported after (docs/traces.md).
await startTracing('crosstrust-api');
const { APP_CONFIG } = await import('#config');
const { createApiApp } = await import('./bootstrap.js');

/** A graceful shutdown that cannot finish must not leave an orphan process. */
const SHUTDOWN_DEADLINE_MS = 30_000;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
}

const app = await createApiApp();
const config = app.get<AppConfig>(APP_CONFIG);
await app.listen(config.http.port, '0.0.0.0');
