// The tracing settings: on only with an OTLP endpoint, off with OTEL_SDK_DISABLED, and bad values named at boot.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './app-config.js';
import { baseEnv, configProblems } from '../../../test/support/config-problems.js';

describe('tracing configuration', () => {
  it('is off by default: no endpoint, no service name (each process names itself), spans batched every 5 s', () => {
    expect(loadConfig(baseEnv).tracing).toEqual({ endpoint: null, serviceName: null, batchDelayMs: 5_000 });
  });

  it('is on with either OTLP endpoint variable (the traces one first), and off again with OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({ ...baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.endpoint).toBe('http://collector:4318');
    expect(
      loadConfig({ ...baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces' })
        .tracing.endpoint,
    ).toBe('https://traces.example/v1/traces');
    expect(loadConfig({ ...baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing.endpoint).toBeNull();
    expect(loadConfig({ ...baseEnv, OTEL_SERVICE_NAME: 'crosstrust-api-blue', OTEL_BSP_SCHEDULE_DELAY: '200' }).tracing).toMatchObject({
      serviceName: 'crosstrust-api-blue',
      batchDelayMs: 200,
    });
  });

  it('names every bad tracing variable at once: not a URL, not HTTP, a protocol we do not send, a bad delay or switch', () => {
    expect(
      configProblems({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_BSP_SCHEDULE_DELAY: 'soon',
        OTEL_SDK_DISABLED: 'maybe',
      }),
    ).toEqual([
      'OTEL_SDK_DISABLED must be true or false (got "maybe")',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL (OTLP over HTTP)',
      'OTEL_EXPORTER_OTLP_ENDPOINT is not a valid URL',
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf, the only OTLP protocol crosstrust sends (got "grpc")',
      'OTEL_BSP_SCHEDULE_DELAY must be a whole number from 10 to 600000 (got "soon")',
    ]);
    expect(configProblems({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toEqual([]);
  });
});
