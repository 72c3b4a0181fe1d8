// Traces from a request to the jobs it causes, as deployed: the API and the worker run from dist/
// in their own processes (so the ESM hooks are the real ones), exporting over OTLP to a local
// receiver, with GOV.UK Notify faked. One referral goes from opening to the offer sent by Notify and
// the patient's offer page; the spans must form one trace per request, through the outbox row and
// the jobs to the Notify call, and nothing the patient gave may be in any of them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanKind as ApiSpanKind } from '@opentelemetry/api';
import { CHANNELS, NOTIFICATION_EVENTS } from '#notifications';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { freePort, root } from '../scripts/lib/local-services.mjs';
import { seed } from '../prisma/seed.mjs';
import { startFakeNotify, type FakeNotify } from './support/fake-notify.js';
import { decodeTraceRequest, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { bearer, cast, referralBody, requireServices, waitUntil, type Cast } from './support/stack.js';

const TEMPLATES: Record<string, Record<string, string>> = {
  ...Object.fromEntries(NOTIFICATION_EVENTS.map((e) => [e, Object.fromEntries(CHANNELS.map((ch) => [ch, randomUUID()]))])),
  staff_worklist: { email: randomUUID() },
};
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** The patient of this suite, with details found nowhere else, so any trace of them is theirs. */
const PATIENT = {
  familyName: 'Tracewright',
  givenName: 'Ottoline',
  dateOfBirth: '1958-11-23',
  address: '7 Quarry Lane, Hereford',
  postcode: 'HR4 9QZ',
  phone: '07700900461',
  email: 'ottoline.tracewright@example.com',
};

let receiver: OtlpReceiver;
let notify: FakeNotify;
let c: Cast;
let base = '';
const procs: ChildProcess[] = [];
const output: string[] = [];

function startApp(app: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', 'apps', app, 'src', 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => output.push(`${app}: ${d.toString()}`));
  child.stderr.on('data', (d: Buffer) => output.push(`${app}: ${d.toString()}`));
  procs.push(child);
  return child;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    procs
      .filter((p) => p.exitCode === null && p.signalCode === null)
      .map(
        (p) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
            p.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            p.kill('SIGTERM');
          }),
      ),
  );
}

async function api(method: string, url: string, tok: string | null, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(tok ? bearer(tok) : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** The span, its parent, its parent's parent... as far as the receiver has them. */
function lineage(span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
  const out = [span];
  for (let p = byId.get(span.parentSpanId); p && out.length < 100; p = byId.get(p.parentSpanId)) out.push(p);
  return out;
}

/** A string attribute's value ('' when absent or not a string). */
const attr = (s: ReceivedSpan, ...keys: string[]): string => {
  for (const k of keys) if (typeof s.attributes[k] === 'string') return s.attributes[k];
  return '';
};
/** The span's lineage up to `ancestor`, once the receiver has all of it (a span is exported when it ends: children first). */
const lineageTo = async (span: ReceivedSpan, ancestor: ReceivedSpan) =>
  (await waitUntil(async () => {
    const found = lineage(span);
    return found.some((s) => s.spanId === ancestor.spanId) ? found : null;
  }, `the spans from ${span.name} up to ${ancestor.name}`))!;
const urlOf = (s: ReceivedSpan) => attr(s, 'url.path', 'http.target', 'url.full', 'http.url');
const statementOf = (s: ReceivedSpan) => attr(s, 'db.query.text', 'db.statement');
const server = (method: string, path: RegExp) =>
  receiver.spans.find((s) => s.kind === SERVER && attr(s, 'http.request.method', 'http.method') === method && path.test(urlOf(s)));

describe('the receiver decodes what the exporter sends', () => {
  it('reads back the ids, names, kinds, attributes, events and status of spans serialized as OTLP protobuf', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('check');
    const parent = tracer.startSpan('parent', {
      kind: ApiSpanKind.SERVER,
      attributes: { 'http.target': '/v1/referrals', n: 3, ok: true, ratio: 0.5, list: ['a', 'b'], nested: { k: 'v' } },
    });
    parent.addEvent('something', { why: 'because' });
    parent.setStatus({ code: 2, message: 'went wrong' });
    parent.end();
    const finished = exporter.getFinishedSpans();
    const [decoded] = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(finished)!);
    expect(decoded).toMatchObject({
      scope: 'check',
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: '',
      name: 'parent',
      kind: SERVER,
      attributes: { 'http.target': '/v1/referrals', n: 3, ok: true, ratio: 0.5, list: ['a', 'b'], nested: { k: 'v' } },
      events: [{ name: 'something', attributes: { why: 'because' } }],
      status: { code: 2, message: 'went wrong' },
    });
    return provider.shutdown();
  });
});

describe('traces from a request to the jobs it causes', () => {
  beforeAll(async () => {
    requireServices();
    ensureBuilt();
    await seed(process.env.DATABASE_URL!, { demoReferrals: false });
    c = await cast();
    receiver = await startOtlpReceiver();
    notify = await startFakeNotify({ templates: TEMPLATES });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      ...(process.env as Record<string, string>),
      // The suites' NODE_OPTIONS are Jest's (vm modules); the apps run as deployed.
      NODE_OPTIONS: '',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      NOTIFY_API_KEY: notify.apiKey,
      NOTIFY_BASE_URL: notify.url,
      NOTIFY_TEMPLATES: JSON.stringify(TEMPLATES),
    };
    startApp('api', env);
    startApp('worker', env);
    await waitUntil(
      async () => {
        if (procs.some((p) => p.exitCode !== null)) throw new Error(`an app exited:\n${output.join('').slice(-3000)}`);
        return fetch(`${base}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      'the API to be ready',
      120,
    );
  }, 300_000);

  afterAll(async () => {
    await stopAll();
    // What was exported, for a person reading a failed run (no patient data: that is what the test checks).
    if (receiver) {
      mkdirSync(path.join(root, 'test-output'), { recursive: true });
      writeFileSync(path.join(root, 'test-output', 'traces-spans.json'), JSON.stringify(receiver.spans, null, 1));
    }
    await notify?.close();
    await receiver?.close();
  }, 60_000);

  it('one trace runs from each request through its outbox rows and jobs to the Notify call, and holds no patient data', async () => {
    // 1. Opening the referral; screening runs as a job.
    const body = referralBody({ patient: PATIENT });
    const opened = await api('POST', '/v1/referrals', c.clerkRLQ, body);
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    await waitUntil(async () => (await api('GET', `/v1/referrals/${id}`, c.clinRLQ)).body.status === 'AWAITING_CLINICAL_REVIEW', 'screening');

    // 2. The clinical review; offers are made by a job, whose offer message goes to Notify by another.
    expect((await api('POST', `/v1/referrals/${id}/clinical-review`, c.clinRLQ, { decision: 'suitable' })).status).toBe(200);
    const sent = (await waitUntil(async () => notify.sent.find((n) => n.to === PATIENT.email && n.personalisation.offer_url), 'the offer to reach Notify'))!;
    const token = new URL(sent.personalisation.offer_url).pathname.split('/')[2];
    expect(token.length).toBeGreaterThan(20);

    // 3. The patient opens the link and gives their date of birth.
    expect((await fetch(`${base}/offer/${token}`)).status).toBe(200);
    const [year, month, day] = PATIENT.dateOfBirth.split('-');
    const dob = await fetch(`${base}/offer/${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'dob-day': day, 'dob-month': month, 'dob-year': year }).toString(),
      redirect: 'manual',
    });
    expect(dob.status).toBe(303);

    // Every span is exported within the batch delay of its end.
    const notifySend = (await waitUntil(
      async () =>
        receiver.spans.find((s) => s.kind === CLIENT && s.attributes['http.request.method'] === 'POST' && /\/v2\/notifications\/email$/.test(urlOf(s))),
      'the Notify call span',
    ))!;
    const offerPages = (await waitUntil(async () => {
      const found = receiver.spans.filter((s) => s.kind === SERVER && /^\/offer\//.test(urlOf(s)));
      return found.length >= 2 ? found : null;
    }, 'the offer page spans'))!;

    // The opening request, its outbox row and its screening job: one trace.
    const openSpan = server('POST', /^\/v1\/referrals$/)!;
    expect(openSpan).toBeDefined();
    const screen = (await waitUntil(
      async () => receiver.spans.find((s) => s.name === 'job referral.screen' && attr(s, 'messaging.message.id').includes(id)),
      'the screening job span',
    ))!;
    expect(screen.traceId).toBe(openSpan.traceId);
    const opening = await lineageTo(screen, openSpan);
    expect(opening.map((s) => s.name)).toEqual([
      'job referral.screen',
      'outbox referral.screen',
      ...lineage(openSpan).map((s) => s.name), // the request span and any above it (a caller's)
    ]);
    expect(opening[0]).toMatchObject({ kind: CONSUMER, service: 'crosstrust-worker', attributes: { 'crosstrust.job.outcome': 'done' } });
    expect(opening[1]).toMatchObject({ kind: PRODUCER, service: 'crosstrust-api', attributes: { 'messaging.destination.name': 'workflow' } });

    // The clinical review, the make-offers job, the notification job and the Notify call: one trace.
    const reviewSpan = server('POST', new RegExp(`^/v1/referrals/${id}/clinical-review$`))!;
    expect(reviewSpan).toBeDefined();
    expect(notifySend.traceId).toBe(reviewSpan.traceId);
    const chain = await lineageTo(notifySend, reviewSpan);
    const names = chain.map((s) => s.name);
    expect(names.slice(0, 5)).toEqual(['POST', 'job notification.send', 'outbox notification.send', 'job referral.make-offers', 'outbox referral.make-offers']);
    expect(chain).toContainEqual(reviewSpan);
    expect(chain.every((s) => s.traceId === reviewSpan.traceId)).toBe(true);
    expect(chain.find((s) => s.name === 'job notification.send')).toMatchObject({
      service: 'crosstrust-worker',
      attributes: { 'messaging.destination.name': 'notifications', 'crosstrust.job.outcome': 'done', 'crosstrust.job.attempt': 1 },
    });
    expect(reviewSpan.service).toBe('crosstrust-api');

    // pg and ioredis are instrumented under ESM: their spans are in the traces, statements without values.
    const inReview = receiver.spans.filter((s) => s.traceId === reviewSpan.traceId);
    const sql = inReview.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.kind === CLIENT);
    const statements = sql.map(statementOf);
    expect(statements.some((t) => /INSERT INTO outbox_message .*\$\d+/s.test(t))).toBe(true);
    expect(sql.some((s) => s.service === 'crosstrust-api') && sql.some((s) => s.service === 'crosstrust-worker')).toBe(true);
    const redis = inReview.filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis');
    expect(redis.length).toBeGreaterThan(0);
    for (const s of redis) expect(statementOf(s)).toMatch(/^[a-z]+$/);

    // The offer page's spans name the route, never the token.
    for (const s of offerPages) expect(urlOf(s)).toMatch(/^\/offer\/:token$/);

    // Nothing the patient gave, nor their link's token, anywhere in anything exported.
    const dump = JSON.stringify(receiver.spans) + receiver.bodies.map((b) => b.toString('latin1')).join('\n');
    expect(dump).toContain(id); // the scan reads what the spans hold: the referral's id is in its URLs
    const [y, m, d] = PATIENT.dateOfBirth.split('-');
    const needles = [
      body.patient.nhsNumber,
      `${body.patient.nhsNumber.slice(0, 3)} ${body.patient.nhsNumber.slice(3, 6)} ${body.patient.nhsNumber.slice(6)}`,
      PATIENT.familyName,
      PATIENT.givenName,
      PATIENT.dateOfBirth,
      `${d}/${m}/${y}`,
      'Quarry Lane',
      PATIENT.postcode,
      PATIENT.postcode.replace(' ', ''),
      PATIENT.phone,
      PATIENT.email,
      token,
    ];
    for (const n of needles) expect(dump.includes(n) ? n : null).toBeNull();
  });

  it('the relay gives each job the trace context of its own outbox row, when one batch holds rows of different requests', async () => {
    const rows = [0, 1].map((i) => {
      const referralId = randomUUID();
      return {
        referralId,
        jobId: `referral.screen.${referralId}.1`,
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        tracestate: i === 0 ? null : 'crosstrust=t61rcWkgMzE',
      };
    });
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      // One statement, one commit: the relay claims both rows in one batch (one addBulk).
      await db.query(
        `INSERT INTO outbox_message (referral_id, queue, job_name, job_id, payload, traceparent, tracestate) VALUES
           ($1::uuid, 'workflow', 'referral.screen', $2, $3::jsonb, $4, $5), ($6::uuid, 'workflow', 'referral.screen', $7, $8::jsonb, $9, $10)`,
        rows.flatMap((r) => [r.referralId, r.jobId, JSON.stringify({ referralId: r.referralId }), `00-${r.traceId}-${r.spanId}-01`, r.tracestate]),
      );
    } finally {
      await db.end();
    }
    const spans = (await waitUntil(async () => {
      const found = rows.map((r) => receiver.spans.find((s) => s.kind === CONSUMER && attr(s, 'messaging.message.id') === r.jobId));
      return found.every(Boolean) ? (found as ReceivedSpan[]) : null;
    }, 'both job spans'))!;
    // Each job is the child of its own row's span (the referral is gone: skipped, which is an outcome, not an error).
    expect(spans.map((s) => [s.traceId, s.parentSpanId, s.traceState, attr(s, 'crosstrust.job.outcome')])).toEqual(
      rows.map((r) => [r.traceId, r.spanId, r.tracestate ?? '', 'skipped']),
    );
  });
});
