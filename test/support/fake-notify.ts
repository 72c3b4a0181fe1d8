// A local fake of the GOV.UK Notify API for the e2e suites: checks the JWT the official client
// signs, the paths and payloads, answers as Notify does, and fails on demand. It keeps what it
// is sent in memory for the tests to read and never logs a body (they hold patient details).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export type NotifyType = 'email' | 'sms' | 'letter';

export interface FakeNotification {
  readonly id: string;
  readonly type: NotifyType;
  readonly templateId: string;
  readonly to: string | null;
  readonly personalisation: Record<string, string>;
  readonly reference: string | null;
  readonly createdAt: Date;
  status: string;
}

/** A failure to inject into the next matching POSTs. `accept-then-*`: Notify takes the message, the answer is lost. */
export type Fault = 'validation' | 'auth' | 'rate-limit' | 'server' | 'hang' | 'accept-then-server' | 'accept-then-hang';

export interface FakeNotify {
  readonly url: string;
  /** An API key in Notify's format: `{key name}-{service id}-{secret}`. */
  readonly apiKey: string;
  readonly serviceId: string;
  /** Every message accepted, in order. */
  readonly sent: FakeNotification[];
  /** Method, path and the status answered, for every request (no bodies). */
  readonly requests: Array<{ method: string; path: string; status: number; at: number }>;
  /** The next `times` POSTs (of `type`, if given) fail this way. */
  /** The next send(s) of that type (and template, if given) fail this way: another message in flight cannot take the fault. */
  fail(fault: Fault, opts?: { times?: number; type?: NotifyType; templateId?: string }): void;
  setStatus(id: string, status: string): void;
  byReference(reference: string): FakeNotification[];
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/i;

function error(res: ServerResponse, status: number, type: string, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ error: type, message }], status_code: status }));
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function view(base: string, n: FakeNotification) {
  return {
    id: n.id,
    reference: n.reference,
    type: n.type,
    status: n.status,
    email_address: n.type === 'email' ? n.to : null,
    phone_number: n.type === 'sms' ? n.to : null,
    template: { id: n.templateId, version: 1, uri: `${base}/v2/template/${n.templateId}` },
    body: n.personalisation.body ?? '',
    subject: n.type === 'sms' ? null : (n.personalisation.subject ?? ''),
    created_at: n.createdAt.toISOString(),
    sent_at: n.status === 'created' ? null : n.createdAt.toISOString(),
    completed_at: ['delivered', 'permanent-failure', 'temporary-failure', 'technical-failure'].includes(n.status) ? new Date().toISOString() : null,
  };
}

/** Starts the fake on a free port. `templates`: the template ids it knows, by type. */
export async function startFakeNotify(opts: { templates: Record<string, Partial<Record<NotifyType, string>>> }): Promise<FakeNotify> {
  const serviceId = randomUUID();
  const secret = randomUUID();
  const apiKey = `crosstrust_test-${serviceId}-${secret}`;
  const key = new TextEncoder().encode(secret);
  const known = new Map<string, NotifyType>();
  for (const byType of Object.values(opts.templates)) for (const [t, id] of Object.entries(byType)) if (id) known.set(id, t as NotifyType);
  const sent: FakeNotification[] = [];
  const requests: FakeNotify['requests'] = [];
  const faults: Array<{ fault: Fault; type?: NotifyType; templateId?: string }> = [];
  const hanging = new Set<ServerResponse>();
  let base = '';

  async function authorised(req: IncomingMessage): Promise<string | null> {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return 'Unauthorized: authentication token must be provided';
    try {
      const { payload } = await jwtVerify(m[1], key, { algorithms: ['HS256'], issuer: serviceId });
      // Notify refuses tokens issued more than 30 seconds away from its clock.
      if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 30) return 'Invalid token: request timestamp is out of range';
      return null;
    } catch {
      return 'Invalid token: signature, api token not found';
    }
  }

  async function body(req: IncomingMessage): Promise<Record<string, unknown> | null> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** Notify's checks of a send: the template, the recipient, the personalisation. Null: valid. */
  function invalid(type: NotifyType, b: Record<string, unknown>): string | null {
    if (typeof b.template_id !== 'string' || !UUID.test(b.template_id)) return 'template_id is not a valid UUID';
    if (known.get(b.template_id) !== type) return 'Template not found';
    if (b.reference !== undefined && typeof b.reference !== 'string') return 'reference must be a string';
    const p = b.personalisation;
    if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) return 'personalisation must be an object';
    const pers = (p ?? {}) as Record<string, unknown>;
    if (Object.values(pers).some((v) => typeof v !== 'string')) return 'personalisation values must be strings';
    if (type === 'email' && (typeof b.email_address !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(b.email_address)))
      return 'email_address Not a valid email address';
    if (type === 'sms' && (typeof b.phone_number !== 'string' || !/^(\+44|0)7\d{9}$/.test(b.phone_number.replace(/\s/g, ''))))
      return 'phone_number Not a UK mobile number';
    if (type === 'letter') {
      const lines = [1, 2, 3, 4, 5, 6, 7].map((i) => pers[`address_line_${i}`]).filter((l): l is string => typeof l === 'string' && l.trim() !== '');
      if (lines.length < 3) return 'Address must be at least 3 lines';
      if (!POSTCODE.test(lines[lines.length - 1])) return 'Last line of address must be a real UK postcode';
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const authProblem = await authorised(req);
    if (authProblem) return error(res, 403, 'AuthError', authProblem);

    const send = /^\/v2\/notifications\/(email|sms|letter)$/.exec(url.pathname);
    if (req.method === 'POST' && send) {
      const type = send[1] as NotifyType;
      const b = await body(req);
      if (!b) return error(res, 400, 'BadRequestError', 'Invalid JSON supplied in POST data');
      const templateId = typeof (b as { template_id?: unknown }).template_id === 'string' ? (b as { template_id: string }).template_id : undefined;
      const i = faults.findIndex((f) => (!f.type || f.type === type) && (!f.templateId || f.templateId === templateId));
      const fault = i >= 0 ? faults.splice(i, 1)[0].fault : null;
      if (fault === 'validation') return error(res, 400, 'ValidationError', 'phone_number Not a UK mobile number');
      if (fault === 'auth') return error(res, 403, 'AuthError', 'Invalid token: API key not found');
      if (fault === 'rate-limit') return error(res, 429, 'RateLimitError', 'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds');
      if (fault === 'server') return error(res, 500, 'Exception', 'Internal server error');
      if (fault === 'hang') {
        hanging.add(res);
        return;
      }
      const problem = invalid(type, b);
      if (problem) return error(res, 400, problem === 'Template not found' ? 'BadRequestError' : 'ValidationError', problem);
      const n: FakeNotification = {
        id: randomUUID(),
        type,
        templateId: b.template_id as string,
        to: type === 'email' ? (b.email_address as string) : type === 'sms' ? (b.phone_number as string) : null,
        personalisation: (b.personalisation ?? {}) as Record<string, string>,
        reference: (b.reference as string | undefined) ?? null,
        createdAt: new Date(),
        status: type === 'letter' ? 'accepted' : 'created',
      };
      sent.push(n);
      if (fault === 'accept-then-server') return error(res, 500, 'Exception', 'Internal server error');
      if (fault === 'accept-then-hang') {
        hanging.add(res);
        return;
      }
      return json(res, 201, {
        id: n.id,
        reference: n.reference,
        content:
          type === 'sms'
            ? { body: n.personalisation.body ?? '', from_number: 'NHS' }
            : {
                body: n.personalisation.body ?? '',
                subject: n.personalisation.subject ?? '',
                ...(type === 'email' ? { from_email: 'crosstrust@notifications.service.gov.uk' } : {}),
              },
        uri: `${base}/v2/notifications/${n.id}`,
        template: { id: n.templateId, version: 1, uri: `${base}/v2/template/${n.templateId}` },
        ...(type === 'letter' ? { scheduled_for: null } : {}),
      });
    }
    if (req.method === 'GET' && url.pathname === '/v2/notifications') {
      for (const k of url.searchParams.keys())
        if (!['template_type', 'status', 'reference', 'older_than'].includes(k))
          return error(res, 400, 'ValidationError', `Additional properties are not allowed (${k} was unexpected)`);
      const ref = url.searchParams.get('reference');
      const type = url.searchParams.get('template_type');
      const found = sent.filter((n) => (!ref || n.reference === ref) && (!type || n.type === type)).reverse();
      return json(res, 200, { notifications: found.map((n) => view(base, n)), links: { current: `${base}${url.pathname}${url.search}` } });
    }
    const one = /^\/v2\/notifications\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      if (!UUID.test(one[1])) return error(res, 400, 'ValidationError', 'notification_id is not a valid UUID');
      const n = sent.find((x) => x.id === one[1]);
      return n ? json(res, 200, view(base, n)) : error(res, 404, 'NoResultFound', 'No result found');
    }
    return error(res, 404, 'NotFound', 'Not found');
  }

  const server = createServer((req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], status: res.statusCode, at: Date.now() }));
    handle(req, res).catch(() => error(res, 500, 'Exception', 'fake failed'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiKey,
    serviceId,
    sent,
    requests,
    fail(fault, o = {}) {
      for (let i = 0; i < (o.times ?? 1); i++) faults.push({ fault, type: o.type, templateId: o.templateId });
    },
    setStatus(id, status) {
      const n = sent.find((x) => x.id === id);
      if (!n) throw new Error(`fake Notify has no notification ${id}`);
      n.status = status;
    },
    byReference: (reference) => sent.filter((n) => n.reference === reference),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
