// One trace from a request to the jobs it causes: the outbox row keeps the W3C trace context of the
// change that wrote it, the relay hands it to the job, and the worker runs the job in a span that
// is its child. With tracing off every function here returns at once and records nothing.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { tracingStarted } from './tracing.js';

/** The W3C `traceparent` and `tracestate` of a span, as an outbox row stores them. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate: string | null;
}

/** What the job span needs of a BullMQ job (structurally a `Job`; this library does not depend on BullMQ). */
export interface TracedJob {
  readonly name: string;
  readonly queueName: string;
  readonly id?: string;
  readonly attemptsMade: number;
  readonly opts: { readonly telemetry?: { readonly metadata?: string } };
}

const tracer = trace.getTracer('crosstrust');

/**
 * Starts and ends a producer span for one outbox row in the active context (the request, or the
 * job, that writes it) and returns its trace context for the row; null when tracing is off. The
 * span marks the hand-over: the job's span is its child, however long the row waits.
 */
export function outboxTraceContext(job: { readonly name: string; readonly queue: string; readonly jobId: string | null }): TraceContext | null {
  if (!tracingStarted()) return null;
  const span = tracer.startSpan(`outbox ${job.name}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'create',
      'messaging.operation.name': 'outbox',
      'messaging.destination.name': job.queue,
      // null: the id is completed in the statement that writes the row (it names the new timeline event); the job's own span carries it.
      ...(job.jobId === null ? {} : { 'messaging.message.id': job.jobId }),
      'crosstrust.job.name': job.name,
    },
  });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.end();
  return carrier.traceparent ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate ?? null } : null;
}

/**
 * BullMQ options that carry an outbox row's trace context with its job: `telemetry.metadata` is
 * BullMQ's own field for a propagated context (kept with the job in Redis, ids only: the W3C
 * header values). Nothing when the row has none.
 */
export function jobTraceOptions(row: { readonly traceparent: string | null; readonly tracestate: string | null }): { telemetry?: { metadata: string } } {
  if (!row.traceparent) return {};
  const carrier: Record<string, string> = { traceparent: row.traceparent };
  if (row.tracestate) carrier.tracestate = row.tracestate;
  return { telemetry: { metadata: JSON.stringify(carrier) } };
}

/** The context a job's metadata carries; the root (a new trace) when it has none or it cannot be read. */
function parentOf(job: TracedJob) {
  const metadata = job.opts.telemetry?.metadata;
  if (!metadata) return ROOT_CONTEXT;
  try {
    const carrier = JSON.parse(metadata) as unknown;
    return carrier && typeof carrier === 'object' ? propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>) : ROOT_CONTEXT;
  } catch {
    return ROOT_CONTEXT;
  }
}

/**
 * Runs `run` in the job's consumer span, a child of the span that wrote its outbox row, so its
 * statements, Redis calls, outbox rows and HTTP calls join the request's trace. `describe` adds
 * what the run found (its outcome). A job held for later (BullMQ's DelayedError) is not a failure.
 */
export function inJobSpan<T>(job: TracedJob, run: () => Promise<T>, describe: (out: T) => Attributes): Promise<T> {
  if (!tracingStarted()) return run();
  const attributes: Attributes = {
    'messaging.system': 'bullmq',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': job.queueName,
    'crosstrust.job.name': job.name,
    'crosstrust.job.attempt': job.attemptsMade + 1,
  };
  if (job.id) attributes['messaging.message.id'] = job.id;
  return tracer.startActiveSpan(`job ${job.name}`, { kind: SpanKind.CONSUMER, attributes }, parentOf(job), async (span) => {
    try {
      const out = await run();
      span.setAttributes(describe(out));
      return out;
    } catch (e) {
      const err = e as Error;
      if (err?.name === 'DelayedError') span.setAttribute('crosstrust.job.outcome', 'held');
      else {
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err?.message ?? err).slice(0, 200) });
      }
      throw e;
    } finally {
      span.end();
    }
  });
}
