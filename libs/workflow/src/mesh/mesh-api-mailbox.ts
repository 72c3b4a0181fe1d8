// The MESH REST API client (API version 2): mutual TLS, the HMAC-SHA256 `NHSMESH` Authorization
// header, chunked sending and downloading. What it relies on of the API is listed in docs/mesh.md.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { gunzipSync } from 'node:zlib';
import type { AppConfig } from '#config';
import { MailboxError, type InboxMessage, type Mailbox, type OutgoingMessage, type Tracking } from './mailbox.js';

const ACCEPT = 'application/vnd.mesh.v2+json';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * The `Authorization` header MESH checks on every request: `NHSMESH mailbox:nonce:count:timestamp:hmac`,
 * the HMAC-SHA256 (keyed with the environment's shared key) of `mailbox:nonce:count:password:timestamp`,
 * the timestamp as yyyyMMddHHmm in UTC. A fresh nonce each time, so the count stays 0.
 */
export function meshAuthorization(mailboxId: string, password: string, sharedKey: string, now = new Date(), nonce: string = randomUUID()): string {
  const timestamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const hmac = createHmac('sha256', sharedKey).update(`${mailboxId}:${nonce}:0:${password}:${timestamp}`).digest('hex');
  return `NHSMESH ${mailboxId}:${nonce}:0:${timestamp}:${hmac}`;
}

export class MeshApiMailbox implements Mailbox {
  readonly kind = 'mesh' as const;
  private readonly base: URL;
  private readonly agent: Agent | undefined;

  constructor(private readonly config: AppConfig['mesh']) {
    this.base = new URL(config.url!);
    const { cert, key, ca } = config.tls;
    this.agent =
      this.base.protocol === 'https:'
        ? new Agent({
            keepAlive: true,
            cert: cert ? readFileSync(cert) : undefined,
            key: key ? readFileSync(key) : undefined,
            ca: ca ? readFileSync(ca) : undefined,
          })
        : undefined;
  }

  async send(m: OutgoingMessage): Promise<string> {
    const size = this.config.chunkBytes;
    const chunks: Buffer[] = [];
    for (let at = 0; at < m.body.length || chunks.length === 0; at += size) chunks.push(m.body.subarray(at, at + size));
    const common = {
      'content-type': m.contentType,
      'mex-from': this.config.mailboxId,
      'mex-to': m.to,
      'mex-workflowid': m.workflowId,
      'mex-subject': m.subject,
      'mex-localid': m.localId,
      'mex-filename': m.fileName,
    };
    const first = await this.call('POST', `outbox`, { ...common, 'mex-chunk-range': `1:${chunks.length}` }, chunks[0]);
    this.expect(first, [202], 'send');
    const messageId = (JSON.parse(first.body.toString('utf8')) as { message_id?: string }).message_id;
    if (!messageId) throw new MailboxError('MESH accepted the message but answered no message_id', true, first.status);
    for (let n = 2; n <= chunks.length; n++) {
      const r = await this.call(
        'POST',
        `outbox/${encodeURIComponent(messageId)}/${n}`,
        { ...common, 'mex-chunk-range': `${n}:${chunks.length}` },
        chunks[n - 1],
      );
      this.expect(r, [202], `send chunk ${n}`);
    }
    return messageId;
  }

  async inbox(): Promise<string[]> {
    const r = await this.call('GET', 'inbox');
    this.expect(r, [200], 'inbox');
    return (JSON.parse(r.body.toString('utf8')) as { messages?: string[] }).messages ?? [];
  }

  async download(messageId: string): Promise<InboxMessage> {
    const first = await this.call('GET', `inbox/${encodeURIComponent(messageId)}`);
    this.expect(first, [200, 206], 'download');
    const parts = [first.body];
    const total = Number(/^\d+:(\d+)$/.exec(header(first.headers, 'mex-chunk-range') ?? '')?.[1] ?? 1);
    for (let n = 2; n <= total; n++) {
      const r = await this.call('GET', `inbox/${encodeURIComponent(messageId)}/${n}`);
      this.expect(r, [200, 206], `download chunk ${n}`);
      parts.push(r.body);
    }
    let body = Buffer.concat(parts);
    // A sender may gzip a message before chunking it: the chunks join into one gzip stream.
    if (header(first.headers, 'content-encoding') === 'gzip') body = gunzipSync(body);
    const success = header(first.headers, 'mex-statussuccess');
    return {
      messageId,
      from: header(first.headers, 'mex-from'),
      workflowId: header(first.headers, 'mex-workflowid'),
      localId: header(first.headers, 'mex-localid'),
      messageType: header(first.headers, 'mex-messagetype') === 'REPORT' ? 'REPORT' : 'DATA',
      linkedMessageId: header(first.headers, 'mex-linkedmsgid'),
      statusSuccess: success === null ? null : success === 'SUCCESS',
      contentType: header(first.headers, 'content-type'),
      body,
    };
  }

  async acknowledge(messageId: string): Promise<void> {
    const r = await this.call('PUT', `inbox/${encodeURIComponent(messageId)}/status/acknowledged`);
    this.expect(r, [200], 'acknowledge');
  }

  async tracking(messageId: string): Promise<Tracking | null> {
    const r = await this.call('GET', `outbox/tracking?messageID=${encodeURIComponent(messageId)}`);
    if (r.status === 404) return null;
    this.expect(r, [200], 'tracking');
    const t = JSON.parse(r.body.toString('utf8')) as { status?: string; status_success?: boolean | null; status_description?: string | null };
    return { messageId, status: (t.status ?? 'unknown').toLowerCase(), statusSuccess: t.status_success ?? null, description: t.status_description ?? null };
  }

  /** Refusals of the message itself are final; the rest (MESH down or busy, our credentials refused) may pass. */
  private expect(r: Reply, ok: number[], what: string): void {
    if (ok.includes(r.status)) return;
    const retryable = r.status >= 500 || r.status === 429 || r.status === 401 || r.status === 403 || r.status === 408;
    throw new MailboxError(`MESH ${what} answered ${r.status}`, retryable, r.status);
  }

  private call(method: string, path: string, extra: Record<string, string | undefined> = {}, body?: Buffer): Promise<Reply> {
    const url = new URL(
      `messageexchange/${encodeURIComponent(this.config.mailboxId)}/${path}`,
      this.base.href.endsWith('/') ? this.base : `${this.base.href}/`,
    );
    const headers: Record<string, string> = {
      accept: ACCEPT,
      authorization: meshAuthorization(this.config.mailboxId, this.config.password, this.config.sharedKey),
      'mex-clientversion': 'crosstrust==1.0',
      'mex-osname': process.platform,
      'mex-osversion': process.version,
    };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) headers[k] = v;
    if (body) headers['content-length'] = String(body.length);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Reply>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, timeout: this.config.timeoutMs }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', (e) => reject(new MailboxError(`MESH ${method} failed mid-answer: ${e.message}`, true)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.config.timeoutMs} ms`)));
      req.on('error', (e) => reject(new MailboxError(`MESH unreachable: ${e.message.slice(0, 200)}`, true)));
      req.end(body);
    });
  }
}

function header(h: IncomingHttpHeaders, name: string): string | null {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}
