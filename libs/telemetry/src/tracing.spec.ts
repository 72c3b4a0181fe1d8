// Tracing off (no OTLP endpoint, or OTEL_SDK_DISABLED): no SDK, no spans, nothing on the outbox row or the job.
import { describe, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import type { ConfigError } from '#config';
import { inJobSpan, jobTraceOptions, outboxTraceContext } from './job-trace.js';
import { startTracing, tracingStarted } from './tracing.js';

const SERVICES = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };

describe('with tracing off', () => {
  it('starts nothing without an endpoint, and nothing with OTEL_SDK_DISABLED=true', async () => {
    expect(await startTracing('crosstrust-api', SERVICES)).toBe(false);
    expect(await startTracing('crosstrust-api', { ...SERVICES, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingStarted()).toBe(false);
    // No tracer provider was registered: a span made through the API records nothing.
    expect(trace.getTracer('check').startSpan('x').isRecording()).toBe(false);
  });

  it('refuses to start with a bad endpoint, naming it with every other bad variable, as the app would at boot', async () => {
    const problems = await startTracing('crosstrust-api', { ...SERVICES, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', PORT: 'eighty' }).then(
      () => [],
      (e: ConfigError) => e.problems,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^PORT must be a whole number/),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/),
    ]);
    expect(tracingStarted()).toBe(false);
  });

  it('writes no trace context to outbox rows or jobs, and runs a job as it is', async () => {
    expect(outboxTraceContext({ name: 'referral.screen', queue: 'workflow', jobId: 'referral.screen.x.1' })).toBeNull();
    expect(jobTraceOptions({ traceparent: null, tracestate: null })).toEqual({});
    const job = { name: 'referral.screen', queueName: 'workflow', id: 'referral.screen.x.1', attemptsMade: 0, opts: {} };
    let described = false;
    const out = await inJobSpan(
      job,
      async () => ({ outcome: 'done' }),
      () => {
        described = true;
        return {};
      },
    );
    expect(out).toEqual({ outcome: 'done' });
    expect(described).toBe(false);
  });
});

describe('jobTraceOptions', () => {
  it("carries an outbox row's W3C trace context in BullMQ's telemetry metadata, tracestate only when there is one", () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(jobTraceOptions({ traceparent, tracestate: null })).toEqual({ telemetry: { metadata: JSON.stringify({ traceparent }) } });
    expect(jobTraceOptions({ traceparent, tracestate: 'congo=t61rcWkgMzE' })).toEqual({
      telemetry: { metadata: JSON.stringify({ traceparent, tracestate: 'congo=t61rcWkgMzE' }) },
    });
  });
});
