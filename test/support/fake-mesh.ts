// A local fake of the MESH API (version 2) for the e2e suites, in plain node:http: it checks the
// NHSMESH Authorization header (HMAC-SHA256 with the shared key and the mailbox's password) and
// the mex- headers, takes chunked messages (mex-chunk-range 1:N, then a POST per chunk), lists,
// serves (206 for all but the last chunk) and acknowledges inbox messages, tracks sent ones, and
// answers MESH's error codes: 403 bad auth, 417 bad or missing headers or an unknown recipient,
// 404 an unknown message, 503 while told it is down. It keeps messages in memory and logs nothing.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMeshMessage {
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly workflowId: string;
  readonly localId: string | null;
  readonly subject: string | null;
  readonly contentType: string;
  readonly totalChunks: number;
  readonly chunks: Buffer[];
  /** uploading (chunks still to come), accepted (in the recipient's inbox), acknowledged (downloaded and acknowledged). */
  status: 'uploading' | 'accepted' | 'acknowledged';
  messageType: 'DATA' | 'REPORT';
  linkedMessageId?: string;
}

export interface FakeMesh {
  readonly url: string;
  readonly sharedKey: string;
  /** Mailbox ids and their passwords. */
  readonly mailboxes: Map<string, string>;
  readonly messages: FakeMeshMessage[];
  /** Method, path and status of every request (no bodies). */
  readonly requests: Array<{ method: string; path: string; status: number }>;
  /** Answers 503 to everything while true. */
  down: boolean;
  /** Holds each new message's first POST this long before answering it, as a slow network would. */
  sendDelayMs: number;
  /** Each new message's first POST: its local id and when it arrived and was answered (ms since the epoch). */
  readonly sends: Array<{ localId: string | null; startedAt: number; endedAt: number }>;
  /** Messages to a mailbox, fully uploaded, with their bodies joined. */
  to(mailbox: string): Array<FakeMeshMessage & { body: Buffer }>;
  /** The recipient downloads and acknowledges a message (tracking then says acknowledged). */
  recipientAcknowledges(messageId: string): void;
  /** Puts a message in a mailbox's inbox as another mailbox would send it, in `chunks` chunks. */
  deliver(m: { from: string; to: string; workflowId: string; body: Buffer; localId?: string; chunks?: number; contentType?: string }): string;
  /** Puts MESH's non-delivery report of a message in its sender's inbox. */
  report(messageId: string): string;
  close(): Promise<void>;
}

const PATH = /^\/messageexchange\/([^/]+)\/(outbox|inbox)(?:\/([^/?]+))?(?:\/([^/?]+))?(?:\/([^/?]+))?$/;

export async function startFakeMesh(opts: { mailboxes: Record<string, string>; sharedKey?: string }): Promise<FakeMesh> {
  const sharedKey = opts.sharedKey ?? 'fake-mesh-shared-key';
  const mailboxes = new Map(Object.entries(opts.mailboxes));
  const messages: FakeMeshMessage[] = [];
  const requests: FakeMesh['requests'] = [];
  const byId = (id: string) => messages.find((m) => m.messageId === id);
  const newId = () => randomUUID().replace(/-/g, '').toUpperCase().slice(0, 20);

  /** The mailbox the Authorization header proves, or null. */
  function authorised(header: string | undefined): string | null {
    const m = /^NHSMESH ([^:]+):([^:]+):(\d+):(\d{12}):([0-9a-f]{64})$/.exec(header ?? '');
    if (!m) return null;
    const [, mailbox, nonce, count, timestamp, hmac] = m;
    const password = mailboxes.get(mailbox);
    if (password === undefined) return null;
    const expected = createHmac('sha256', sharedKey).update(`${mailbox}:${nonce}:${count}:${password}:${timestamp}`).digest('hex');
    // MESH allows a little clock skew: two hours here, as the timestamp only has minutes.
    const at = Date.UTC(+timestamp.slice(0, 4), +timestamp.slice(4, 6) - 1, +timestamp.slice(6, 8), +timestamp.slice(8, 10), +timestamp.slice(10, 12));
    return expected === hmac && Math.abs(Date.now() - at) < 2 * 3_600_000 ? mailbox : null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const body = Buffer.concat(parts);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(json === undefined ? {} : { 'content-type': 'application/vnd.mesh.v2+json' }), ...headers });
      res.end(json === undefined ? undefined : JSON.stringify(json));
      return status;
    };
    if (fake.down) return send(503, { errorDescription: 'Service unavailable' });
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = PATH.exec(url.pathname);
    if (!route) return send(404, { errorDescription: 'Not found' });
    const [, mailbox, box, a, b, c] = route;
    const who = authorised(req.headers.authorization);
    if (!who || who !== mailbox) return send(403, { errorDescription: 'Authentication failed' });
    const h = (n: string) => {
      const v = req.headers[n];
      return (Array.isArray(v) ? v[0] : v) ?? null;
    };

    if (box === 'outbox' && req.method === 'POST' && !a) {
      const startedAt = Date.now();
      if (fake.sendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.sendDelayMs));
      fake.sends.push({ localId: h('mex-localid'), startedAt, endedAt: Date.now() });
      const to = h('mex-to');
      const workflowId = h('mex-workflowid');
      if (!to || !workflowId || h('mex-from') !== mailbox)
        return send(417, { errorEvent: 'SEND', errorCode: '06', errorDescription: 'Missing or bad mex- headers' });
      if (!mailboxes.has(to)) return send(417, { errorEvent: 'SEND', errorCode: '12', errorDescription: 'Unregistered to address' });
      const range = /^(\d+):(\d+)$/.exec(h('mex-chunk-range') ?? '1:1');
      if (!range || range[1] !== '1' || +range[2] < 1) return send(417, { errorDescription: 'InvalidHeaderChunks' });
      if (!body.length) return send(417, { errorDescription: 'MissingDataFile' });
      const total = +range[2];
      const m: FakeMeshMessage = {
        messageId: newId(),
        from: mailbox,
        to,
        workflowId,
        localId: h('mex-localid'),
        subject: h('mex-subject'),
        contentType: h('content-type') ?? 'application/octet-stream',
        totalChunks: total,
        chunks: [body],
        status: total > 1 ? 'uploading' : 'accepted',
        messageType: 'DATA',
      };
      messages.push(m);
      return send(202, { message_id: m.messageId });
    }
    if (box === 'outbox' && req.method === 'POST' && a && b) {
      const m = byId(a);
      if (!m) return send(404, { errorDescription: 'Message does not exist' });
      if (m.from !== mailbox) return send(403, { errorDescription: 'Not the sender' });
      const range = /^(\d+):(\d+)$/.exec(h('mex-chunk-range') ?? '');
      if (!range || +range[1] !== +b || +range[2] !== m.totalChunks || +b !== m.chunks.length + 1)
        return send(417, { errorDescription: 'InvalidHeaderChunks' });
      if (m.status !== 'uploading') return send(423, { errorDescription: 'Message not uploading' });
      m.chunks.push(body);
      if (m.chunks.length === m.totalChunks) m.status = 'accepted';
      return send(202, { message_id: m.messageId });
    }
    if (box === 'outbox' && req.method === 'GET' && a === 'tracking') {
      const m = byId(url.searchParams.get('messageID') ?? '');
      if (!m || m.from !== mailbox) return send(404, { errorDescription: 'Message does not exist' });
      return send(200, { message_id: m.messageId, local_id: m.localId, workflow_id: m.workflowId, recipient: m.to, status: m.status, status_success: true });
    }
    if (box === 'inbox' && req.method === 'GET' && !a) {
      const ids = messages.filter((m) => m.to === mailbox && m.status === 'accepted').map((m) => m.messageId);
      return send(200, { messages: ids, approx_inbox_count: ids.length, links: { self: `/messageexchange/${mailbox}/inbox` } });
    }
    if (box === 'inbox' && req.method === 'GET' && a) {
      const m = byId(a);
      if (!m || m.to !== mailbox) return send(404, { errorDescription: 'Message does not exist' });
      const n = b ? +b : 1;
      if (!(n >= 1 && n <= m.totalChunks)) return send(404, { errorDescription: 'Chunk does not exist' });
      const headers: Record<string, string> = {
        'content-type': m.contentType,
        'mex-from': m.from,
        'mex-to': m.to,
        'mex-workflowid': m.workflowId,
        'mex-messageid': m.messageId,
        'mex-messagetype': m.messageType,
        'mex-chunk-range': `${n}:${m.totalChunks}`,
        ...(m.localId ? { 'mex-localid': m.localId } : {}),
        ...(m.messageType === 'REPORT' ? { 'mex-statussuccess': 'ERROR', 'mex-linkedmsgid': m.linkedMessageId ?? '' } : {}),
      };
      res.writeHead(n < m.totalChunks ? 206 : 200, headers);
      res.end(m.chunks[n - 1]);
      return n < m.totalChunks ? 206 : 200;
    }
    if (box === 'inbox' && req.method === 'PUT' && a && b === 'status' && c === 'acknowledged') {
      const m = byId(a);
      if (!m || m.to !== mailbox) return send(404, { errorDescription: 'Message does not exist' });
      m.status = 'acknowledged';
      return send(200);
    }
    return send(404, { errorDescription: 'Not found' });
  }

  const server = createServer((req, res) => {
    handle(req, res)
      .then((status) => requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], status }))
      .catch(() => {
        res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeMesh = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sharedKey,
    mailboxes,
    messages,
    requests,
    down: false,
    sendDelayMs: 0,
    sends: [],
    to: (mailbox) => messages.filter((m) => m.to === mailbox && m.status !== 'uploading').map((m) => ({ ...m, body: Buffer.concat(m.chunks) })),
    recipientAcknowledges(messageId) {
      const m = byId(messageId);
      if (m) m.status = 'acknowledged';
    },
    deliver({ from, to, workflowId, body, localId, chunks = 1, contentType = 'application/json' }) {
      const size = Math.ceil(body.length / chunks);
      const parts = Array.from({ length: chunks }, (_, i) => body.subarray(i * size, (i + 1) * size));
      const m: FakeMeshMessage = {
        messageId: newId(),
        from,
        to,
        workflowId,
        localId: localId ?? null,
        subject: null,
        contentType,
        totalChunks: chunks,
        chunks: parts,
        status: 'accepted',
        messageType: 'DATA',
      };
      messages.push(m);
      return m.messageId;
    },
    report(messageId) {
      const sent = byId(messageId)!;
      const m: FakeMeshMessage = {
        messageId: newId(),
        from: sent.to,
        to: sent.from,
        workflowId: sent.workflowId,
        localId: sent.localId,
        subject: null,
        contentType: 'application/octet-stream',
        totalChunks: 1,
        chunks: [Buffer.alloc(0)],
        status: 'accepted',
        messageType: 'REPORT',
        linkedMessageId: messageId,
      };
      messages.push(m);
      return m.messageId;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
