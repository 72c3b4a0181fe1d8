// Telemetry: OpenTelemetry traces from a request through its outbox rows and jobs to the calls they
// make (docs/traces.md). Off unless an OTLP endpoint is configured; the SDK itself is loaded only then.
export * from './tracing.js';
export * from './job-trace.js';
