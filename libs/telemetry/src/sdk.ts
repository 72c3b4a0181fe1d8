// The OpenTelemetry SDK as crosstrust runs it: W3C trace context, spans batched to an OTLP/HTTP
// (protobuf) collector, and the HTTP, fetch, pg and ioredis instrumentations set so that no value
// a patient gave reaches a span. Loaded only when tracing is on (tracing.ts).
import { register as registerEsmHooks } from 'import-in-the-middle/register-hooks.mjs';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations, type InstrumentationBase } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, resourceAttributesEnvDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '#config';
import { RedactingSpanExporter } from './span-redaction.js';

/** Requests no one needs a trace of: probes and scrapes every few seconds, and the offer page's static files. */
const UNTRACED_PATHS = ['/health', '/metrics', '/offer/assets/'];

/**
 * The instrumentations, each set for patient data:
 * - pg records the statement text, never its values (enhancedDatabaseReporting off: our statements
 *   are parameterised, so values live only in the parameters); spans only inside a trace, so the
 *   outbox relay's polling does not start a trace every few milliseconds.
 * - ioredis records the command name only: BullMQ's arguments are job payloads and scripts.
 * - HTTP (the API's server spans) and undici (fetch: the GOV.UK Notify client is on fetch, not
 *   node:http; the JWKS too): method, URL and status; never headers or bodies. The offer-link token and query strings are taken out of
 *   every span on export (span-redaction.ts).
 */
function instrumentations(): InstrumentationBase[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.some((p) => (req.url ?? '').startsWith(p)),
    }),
    new UndiciInstrumentation(),
    new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true, addSqlCommenterCommentToQueries: false }),
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
}

/**
 * Starts the SDK. Our code is ESM and imports pg and ioredis (CommonJS packages) with `import`,
 * which Node's require hooks never see: pg is still caught when it requires its own
 * lib/client.js, but ioredis (imported by our code and by BullMQ) is not, and without a loader hook
 * the traces had pg spans and no Redis span at all. So import-in-the-middle's in-thread loader
 * hooks (module.registerHooks, Node 24) wrap exactly the modules the instrumentations patch, and
 * nothing else. test/traces.e2e.spec.ts fails when either kind of span is missing.
 */
export function startSdk(settings: Pick<AppConfig['tracing'], 'batchDelayMs'> & { serviceName: string }): TracerProvider {
  const instruments = instrumentations();
  const hooked = [...new Set(instruments.flatMap((i) => i.getModuleDefinitions().map((d) => d.name)))];
  registerEsmHooks({ include: hooked });

  const resource = defaultResource()
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector] }))
    .merge(resourceFromAttributes({ 'service.name': settings.serviceName }));
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION itself.
  const exporter = new RedactingSpanExporter(new OTLPTraceExporter());
  const provider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.batchDelayMs })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // W3C trace context only: no baggage, which a caller could fill with anything.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({ instrumentations: instruments, tracerProvider: provider });

  // Spans still in the batch when the process is told to stop go out while it shuts down.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void provider.forceFlush().catch(() => undefined));
  process.once('beforeExit', () => void provider.shutdown().catch(() => undefined));
  return provider;
}
