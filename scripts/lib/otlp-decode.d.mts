// Types for otlp-decode.mjs, used by the TypeScript trace suites.
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface ReceivedSpan {
  readonly service: string;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** The W3C tracestate the span carries ('' when none). */
  readonly traceState: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly attributes: Record<string, AttributeValue>;
  readonly events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  readonly status: { code: number; message: string };
}

export declare function decodeTraceRequest(body: Uint8Array): ReceivedSpan[];
