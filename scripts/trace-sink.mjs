// A place to send traces and read them on one machine, with no collector: listens for OTLP/HTTP
// protobuf where a collector would (127.0.0.1:4318) and prints each trace as a tree once it has
// been quiet for a second. With it running: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npm start.
// `--quiet` only counts what arrives (a sink for measuring what tracing costs). docs/traces.md.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './lib/otlp-decode.mjs';

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '4318' }, host: { type: 'string', default: '127.0.0.1' }, quiet: { type: 'boolean', default: false } },
  strict: true,
});
const KIND = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
/** traceId -> spans received and not yet printed, and the timer that prints them. */
const pending = new Map();
let received = 0;

/** One line for a span: what it did, where, how long, and how it ended. */
function describe(s) {
  const a = s.attributes;
  const what = a['url.path'] ?? a['http.target'] ?? a['url.full'] ?? a['db.query.text'] ?? a['db.statement'] ?? a['messaging.destination.name'] ?? '';
  const status =
    a['http.response.status_code'] ?? a['http.status_code'] ?? a['crosstrust.job.outcome'] ?? (s.status.code === 2 ? `ERROR ${s.status.message}` : '');
  const detail = String(what).replace(/\s+/g, ' ').slice(0, 90);
  return `${s.name}${detail ? `  ${detail}` : ''}${status === '' ? '' : `  -> ${status}`}  ${s.durationMs.toFixed(1)} ms  [${s.service.replace(/^crosstrust-/, '')} ${KIND[s.kind] ?? s.kind}]`;
}

function print(traceId) {
  const spans = pending.get(traceId).spans;
  pending.delete(traceId);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map();
  for (const s of spans) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines = [`trace ${traceId}  (${spans.length} spans)`];
  const walk = (parent, depth) => {
    for (const s of (children.get(parent) ?? []).sort((x, y) => x.startMs - y.startMs)) {
      lines.push(`${'  '.repeat(depth)}${describe(s)}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk('', 1);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const raw = Buffer.concat(chunks);
      const spans = decodeTraceRequest(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
      received += spans.length;
      if (!args.quiet) {
        for (const s of spans) {
          const p = pending.get(s.traceId) ?? { spans: [], timer: null };
          p.spans.push(s);
          clearTimeout(p.timer);
          p.timer = setTimeout(() => print(s.traceId), 1_000);
          pending.set(s.traceId, p);
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    } catch (e) {
      res.writeHead(400).end(String(e.message));
    }
  });
});
server.listen(Number(args.port), args.host, () =>
  process.stderr.write(
    `OTLP/HTTP trace sink on http://${args.host}:${args.port} (OTEL_EXPORTER_OTLP_ENDPOINT=http://${args.host}:${args.port}); Ctrl-C stops it\n`,
  ),
);
if (args.quiet) setInterval(() => process.stderr.write(`${received} spans received\n`), 10_000).unref();
process.on('SIGINT', () => {
  process.stderr.write(`${received} spans received\n`);
  process.exit(0);
});
