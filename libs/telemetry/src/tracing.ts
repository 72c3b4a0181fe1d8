// Starts OpenTelemetry tracing in a process, first thing in its main.ts, when an OTLP endpoint is
// configured; otherwise does nothing at all (no SDK loaded, no hooks, no spans).
let started = false;

/** True once this process exports traces: the outbox and job spans are recorded only then. */
export function tracingStarted(): boolean {
  return started;
}

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, validates the
 * whole configuration (every bad variable named at once, as at boot), then starts the SDK and the
 * instrumentations of HTTP, fetch, pg and ioredis. Must run before any module that imports pg or
 * ioredis is loaded: under ESM a loader hook sees only the modules loaded after it, so main.ts
 * awaits this and only then imports the application (docs/traces.md).
 */
export async function startTracing(defaultServiceName: string, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  if (started) return true;
  // The cheap test first: with no endpoint, tracing costs one look at two variables.
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) return false;
  const { loadConfig } = await import('#config');
  const { tracing } = loadConfig(env);
  if (!tracing.endpoint) return false;
  const { startSdk } = await import('./sdk.js');
  startSdk({ serviceName: tracing.serviceName ?? defaultServiceName, batchDelayMs: tracing.batchDelayMs });
  started = true;
  return true;
}
