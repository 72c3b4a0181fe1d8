// A local OTLP/HTTP receiver for the trace suites: takes what the services' exporter POSTs to
// /v1/traces (protobuf, the exporter's default protocol; gzip or not), decodes the spans, and keeps
// every raw body as well, so a test can both follow a trace and scan everything that was sent.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

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
  readonly attributes: Record<string, AttributeValue>;
  readonly events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  readonly status: { code: number; message: string };
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter adds /v1/traces). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Every request body as received (decompressed), for scanning whatever it holds. */
  readonly bodies: Buffer[];
  close(): Promise<void>;
}

// ---------- the protobuf wire format, as much of it as OTLP's trace messages use ----------

interface Field {
  readonly no: number;
  readonly wire: number;
  readonly int: bigint;
  readonly bytes: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[i++];
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  const take = (n: number) => {
    if (i + n > buf.length) throw new Error('protobuf: truncated field');
    const out = buf.subarray(i, i + n);
    i += n;
    return out;
  };
  const none = new Uint8Array(0);
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint(), bytes: none };
    else if (wire === 1) yield { no, wire, int: 0n, bytes: take(8) };
    else if (wire === 2) yield { no, wire, int: 0n, bytes: take(Number(varint())) };
    else if (wire === 5) yield { no, wire, int: 0n, bytes: take(4) };
    else throw new Error(`protobuf: wire type ${wire} is not used by OTLP`);
  }
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** opentelemetry.proto.common.v1.AnyValue */
function anyValue(buf: Uint8Array): AttributeValue {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        return text(f.bytes);
      case 2:
        return f.int !== 0n;
      case 3:
        return Number(BigInt.asIntN(64, f.int));
      case 4:
        return Buffer.from(f.bytes).readDoubleLE(0);
      case 5:
        return [...fields(f.bytes)].filter((v) => v.no === 1).map((v) => anyValue(v.bytes));
      case 6:
        return keyValues([...fields(f.bytes)].filter((v) => v.no === 1).map((v) => v.bytes));
      case 7:
        return hex(f.bytes);
    }
  }
  return null;
}

/** repeated opentelemetry.proto.common.v1.KeyValue */
function keyValues(list: Uint8Array[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list) {
    let key = '';
    let value: AttributeValue = null;
    for (const f of fields(kv)) {
      if (f.no === 1) key = text(f.bytes);
      else if (f.no === 2) value = anyValue(f.bytes);
    }
    out[key] = value;
  }
  return out;
}

/** opentelemetry.proto.trace.v1.Span (the fields a test reads). */
function span(buf: Uint8Array, service: string, scope: string): ReceivedSpan {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  const attributes: Uint8Array[] = [];
  const events: ReceivedSpan['events'] = [];
  const status = { code: 0, message: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) traceId = hex(f.bytes);
    else if (f.no === 2) spanId = hex(f.bytes);
    else if (f.no === 3) traceState = text(f.bytes);
    else if (f.no === 4) parentSpanId = hex(f.bytes);
    else if (f.no === 5) name = text(f.bytes);
    else if (f.no === 6) kind = Number(f.int);
    else if (f.no === 9) attributes.push(f.bytes);
    else if (f.no === 11) {
      let eventName = '';
      const eventAttributes: Uint8Array[] = [];
      for (const e of fields(f.bytes)) {
        if (e.no === 2) eventName = text(e.bytes);
        else if (e.no === 3) eventAttributes.push(e.bytes);
      }
      events.push({ name: eventName, attributes: keyValues(eventAttributes) });
    } else if (f.no === 15) {
      for (const s of fields(f.bytes)) {
        if (s.no === 2) status.message = text(s.bytes);
        else if (s.no === 3) status.code = Number(s.int);
      }
    }
  }
  return { service, scope, traceId, spanId, traceState, parentSpanId, name, kind, attributes: keyValues(attributes), events, status };
}

/** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, flattened to its spans. */
export function decodeTraceRequest(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    let service = '';
    const scopeSpans: Uint8Array[] = [];
    for (const f of fields(rs.bytes)) {
      if (f.no === 1) {
        const resource = keyValues([...fields(f.bytes)].filter((a) => a.no === 1).map((a) => a.bytes));
        service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
      } else if (f.no === 2) scopeSpans.push(f.bytes);
    }
    for (const ss of scopeSpans) {
      let scope = '';
      const spans: Uint8Array[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1) for (const s of fields(f.bytes)) if (s.no === 1) scope = text(s.bytes);
        if (f.no === 2) spans.push(f.bytes);
      }
      for (const s of spans) out.push(span(s, service, scope));
    }
  }
  return out;
}

// ---------- the receiver ----------

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

/** Starts the receiver on a free loopback port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      res.writeHead(415).end();
      return;
    }
    bodyOf(req).then(
      (body) => {
        bodies.push(body);
        spans.push(...decodeTraceRequest(body));
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
