// A local OTLP/HTTP receiver for the trace suites: takes what the services' exporter POSTs to
// /v1/traces (protobuf, the exporter's default protocol; gzip or not), decodes the spans, and keeps
// every raw body as well, so a test can both follow a trace and scan everything that was sent.
// The decoding is scripts/lib/otlp-decode.mjs, which the local trace sink uses too.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest, type ReceivedSpan } from '../../scripts/lib/otlp-decode.mjs';

export { decodeTraceRequest, type ReceivedSpan };

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter adds /v1/traces). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Every request body as received (decompressed), for scanning whatever it holds. */
  readonly bodies: Buffer[];
  close(): Promise<void>;
}

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
