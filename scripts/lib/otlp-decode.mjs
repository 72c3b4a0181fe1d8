// Reads OTLP/HTTP protobuf trace exports (opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest):
// as much of the protobuf wire format as OTLP's trace messages use, flattened to one object per
// span. For the local trace sink (scripts/trace-sink.mjs) and the trace suites' receiver.

function* fields(buf) {
  let i = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[i++];
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  const take = (n) => {
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

const text = (b) => Buffer.from(b).toString('utf8');
const hex = (b) => Buffer.from(b).toString('hex');
const nanos = (b) => Buffer.from(b).readBigUInt64LE(0);

/** opentelemetry.proto.common.v1.AnyValue */
function anyValue(buf) {
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
function keyValues(list) {
  const out = {};
  for (const kv of list) {
    let key = '';
    let value = null;
    for (const f of fields(kv)) {
      if (f.no === 1) key = text(f.bytes);
      else if (f.no === 2) value = anyValue(f.bytes);
    }
    out[key] = value;
  }
  return out;
}

/** opentelemetry.proto.trace.v1.Span (the fields a person or a test reads). */
function span(buf, service, scope) {
  const s = { service, scope, traceId: '', spanId: '', traceState: '', parentSpanId: '', name: '', kind: 0, startNs: 0n, endNs: 0n };
  const attributes = [];
  const events = [];
  const status = { code: 0, message: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) s.traceId = hex(f.bytes);
    else if (f.no === 2) s.spanId = hex(f.bytes);
    else if (f.no === 3) s.traceState = text(f.bytes);
    else if (f.no === 4) s.parentSpanId = hex(f.bytes);
    else if (f.no === 5) s.name = text(f.bytes);
    else if (f.no === 6) s.kind = Number(f.int);
    else if (f.no === 7) s.startNs = nanos(f.bytes);
    else if (f.no === 8) s.endNs = nanos(f.bytes);
    else if (f.no === 9) attributes.push(f.bytes);
    else if (f.no === 11) {
      let name = '';
      const eventAttributes = [];
      for (const e of fields(f.bytes)) {
        if (e.no === 2) name = text(e.bytes);
        else if (e.no === 3) eventAttributes.push(e.bytes);
      }
      events.push({ name, attributes: keyValues(eventAttributes) });
    } else if (f.no === 15) {
      for (const st of fields(f.bytes)) {
        if (st.no === 2) status.message = text(st.bytes);
        else if (st.no === 3) status.code = Number(st.int);
      }
    }
  }
  const { startNs, endNs, ...rest } = s;
  return { ...rest, startMs: Number(startNs / 1000n) / 1000, durationMs: Number(endNs - startNs) / 1e6, attributes: keyValues(attributes), events, status };
}

/** The spans of one ExportTraceServiceRequest, each with its service's name and its scope (instrumentation). */
export function decodeTraceRequest(body) {
  const out = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    let service = '';
    const scopeSpans = [];
    for (const f of fields(rs.bytes)) {
      if (f.no === 1) {
        const resource = keyValues([...fields(f.bytes)].filter((a) => a.no === 1).map((a) => a.bytes));
        service = typeof resource['service.name'] === 'string' ? resource['service.name'] : '';
      } else if (f.no === 2) scopeSpans.push(f.bytes);
    }
    for (const ss of scopeSpans) {
      let scope = '';
      const spans = [];
      for (const f of fields(ss)) {
        if (f.no === 1) for (const sc of fields(f.bytes)) if (sc.no === 1) scope = text(sc.bytes);
        if (f.no === 2) spans.push(f.bytes);
      }
      for (const sp of spans) out.push(span(sp, service, scope));
    }
  }
  return out;
}
