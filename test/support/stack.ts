// Test harness: the real API (supertest) and the real worker in this process, against the
// Postgres and Redis that `npm test` started, plus tokens, factories and wait-until helpers.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import request from 'supertest';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { createWorkerApp } from '../../apps/worker/src/bootstrap.js';
import { signDevToken } from '../../scripts/lib/dev-issuer.mjs';
import { withCheckDigit } from '../../scripts/lib/nhs-number.mjs';
import { seed } from '../../prisma/seed.mjs';
import { Queue } from 'bullmq';
import { PrismaService } from '#persistence';
import type { NotificationChannel } from '#notifications';
import { QUEUE_NAMES, producerConnection } from '#queue';

export function requireServices(): void {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !process.env.AUTH_DEV_KEY_FILE) {
    throw new Error('The e2e suites need Postgres and Redis: run them with `npm test`, which starts both.');
  }
}

export interface Stack {
  api: NestFastifyApplication;
  worker: INestApplicationContext | null;
  startWorker(): Promise<INestApplicationContext>;
  http: ReturnType<typeof request>;
  prisma: PrismaService;
  queues: Queue[];
  close(): Promise<void>;
}

let seeded = false;

/** The API's JSON log lines, kept (at info and above) for a test to read instead of going to stdout. */
export class LogCapture {
  readonly lines: Array<{ level: number; msg?: string; [k: string]: unknown }> = [];
  write(line: string): void {
    this.lines.push(JSON.parse(line));
  }
  /** Lines at error (50) or fatal (60), from line `from` on. */
  errors(from = 0) {
    return this.lines.slice(from).filter((l) => l.level >= 50);
  }
}

export async function startStack(opts: { worker?: boolean; notificationChannel?: NotificationChannel; logs?: LogCapture } = {}): Promise<Stack> {
  requireServices();
  if (!seeded) {
    await seed(process.env.DATABASE_URL!, { demoReferrals: false });
    seeded = true;
  }
  const logs = process.env.TEST_LOGS === '1';
  let api: NestFastifyApplication;
  if (opts.logs) {
    // The suites run with LOG_LEVEL=silent; a capturing API logs at info while it is built.
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    try {
      api = await createApiApp({ logger: true, logDestination: opts.logs });
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  } else {
    api = await createApiApp({ logger: logs });
  }
  await api.init();
  // Fastify loads its plugins (helmet, the queue dashboard) at ready(): supertest needs the server ready to answer.
  await api.getHttpAdapter().getInstance().ready();
  let worker = opts.worker === false ? null : await createWorkerApp({ logger: logs, notificationChannel: opts.notificationChannel });
  const queues = QUEUE_NAMES.map((n) => new Queue(n, { connection: producerConnection(process.env.REDIS_URL!), prefix: process.env.QUEUE_PREFIX }));
  const stack: Stack = {
    api,
    worker,
    http: request(api.getHttpServer()),
    prisma: api.get(PrismaService),
    queues,
    async startWorker() {
      worker = await createWorkerApp({ logger: logs, notificationChannel: opts.notificationChannel });
      stack.worker = worker;
      return worker;
    },
    async close() {
      // Worker first (stops taking jobs, finishes running ones), then the API.
      await Promise.all(queues.map((q) => q.close()));
      await worker?.close();
      await api.close();
    },
  };
  return stack;
}

export type StackOptions = NonNullable<Parameters<typeof startStack>[0]>;

/**
 * The one way to set up an e2e suite: the stack and the usual cast, started before the suite's tests
 * (a beforeAll) and closed after them (an afterAll). Call it where the suite's hooks go:
 * `const { s, c } = useStack({ worker: false })`. `s` and `c` are ready in every test, and in every
 * hook registered after this call; a hook registered before it runs first (to set the environment
 * the stack reads, say), and `opts` may be a function, called when the stack starts, for options
 * such a hook makes.
 */
export function useStack(opts: StackOptions | (() => StackOptions) = {}): { readonly s: Stack; readonly c: Cast } {
  let stack: Stack | undefined;
  let people: Cast | undefined;
  beforeAll(async () => {
    stack = await startStack(typeof opts === 'function' ? opts() : opts);
    people = await cast();
  });
  afterAll(async () => {
    await stack?.close();
  });
  return { s: readyLater('the stack', () => stack), c: readyLater('the cast', () => people) };
}

/**
 * Environment variables a suite's stack reads, set in a beforeAll and put back as they were in an
 * afterAll (undefined: unset). Call it before useStack, so they are set when the stack starts; a
 * function is called in that beforeAll, for values an earlier hook makes.
 */
export function useEnv(vars: Record<string, string | undefined> | (() => Record<string, string | undefined>)): void {
  let saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    const set = typeof vars === 'function' ? vars() : vars;
    saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    putEnv(set);
  });
  afterAll(() => putEnv(saved));
}

function putEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

/**
 * A stand-in for a value a beforeAll makes, usable as the value itself once it is made (property
 * reads, calls and writes go to it), so a suite can name it where its hooks are declared.
 */
export function readyLater<T extends object>(what: string, get: () => T | undefined): T {
  const value = (): T => {
    const v = get();
    if (!v) throw new Error(`${what} is made in a beforeAll: use it inside a test or a later hook`);
    return v;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const v = value();
      const x: unknown = Reflect.get(v, key, v);
      // A class's method reads `this`: bound to the value. Own properties (functions too) as they are.
      return typeof x === 'function' && !Object.hasOwn(v, key) ? (x as (...a: unknown[]) => unknown).bind(v) : x;
    },
    set: (_, key, x) => Reflect.set(value(), key, x),
    has: (_, key) => Reflect.has(value(), key),
  });
}

export function token(opts: {
  role: string | string[];
  ods?: string;
  nhsNumber?: string;
  sub?: string;
  expiresIn?: string;
  extra?: Record<string, unknown>;
}): Promise<string> {
  const roles = Array.isArray(opts.role) ? opts.role : [opts.role];
  return signDevToken(process.env.AUTH_DEV_KEY_FILE!, {
    roles,
    ods: opts.ods,
    nhsNumber: opts.nhsNumber,
    sub: opts.sub,
    expiresIn: opts.expiresIn,
    extra: opts.extra,
  });
}

/** Tokens for the usual cast of the Foundation Group. */
export async function cast() {
  return {
    clerkRLQ: await token({ role: 'booking_clerk', ods: 'RLQ', sub: 'clerk-rlq' }),
    clinRLQ: await token({ role: 'clinician', ods: 'RLQ', sub: 'clin-rlq' }),
    adminRLQ: await token({ role: 'trust_admin', ods: 'RLQ', sub: 'admin-rlq' }),
    clerkRJC: await token({ role: 'booking_clerk', ods: 'RJC', sub: 'clerk-rjc' }),
    clinRJC: await token({ role: 'clinician', ods: 'RJC', sub: 'clin-rjc' }),
    adminRJC: await token({ role: 'trust_admin', ods: 'RJC', sub: 'admin-rjc' }),
    clinRLT: await token({ role: 'clinician', ods: 'RLT', sub: 'clin-rlt' }),
    clerkRLT: await token({ role: 'booking_clerk', ods: 'RLT', sub: 'clerk-rlt' }),
    integrationRLQ: await token({ role: 'integration', ods: 'RLQ', sub: 'pas-rlq' }),
  };
}
export type Cast = Awaited<ReturnType<typeof cast>>;

let counter = Math.floor(Math.random() * 400_000);

/** Numbers are handed out in blocks of this many; a block is one suite's alone for the run. */
const BLOCK = 2_000;
const BLOCKS = Math.floor(499_999 / BLOCK);
let block: { next: number; end: number } | null = null;

/**
 * A block of the test range no other suite of this run holds: claimed by creating its directory under
 * the run's CROSSTRUST_NHS_BLOCKS (global-setup.ts), which succeeds for one process only. Suites share one
 * database, and two that drew the same number under different names made a demographics mismatch.
 */
function claimBlock(dir: string): { next: number; end: number } {
  const first = Math.floor(Math.random() * BLOCKS);
  for (let i = 0; i < BLOCKS; i++) {
    const k = (first + i) % BLOCKS;
    try {
      mkdirSync(path.join(dir, String(k)));
      return { next: k * BLOCK, end: (k + 1) * BLOCK };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error('Every block of test NHS numbers is taken in this run');
}

/** A fresh NHS number in the 999 test range with a valid Modulus 11 check digit, never given to another suite of the run. */
export function nhsNumber(): string {
  const dir = process.env.CROSSTRUST_NHS_BLOCKS;
  for (;;) {
    let n: number;
    if (dir) {
      if (!block || block.next >= block.end) block = claimBlock(dir);
      n = block.next++;
    } else n = counter++ % 499_999;
    const number = withCheckDigit(String(999_500_000 + n));
    if (number) return number;
  }
}

export const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function referralBody(over: { patient?: Record<string, unknown> } & Record<string, unknown> = {}) {
  const nhs = nhsNumber();
  const { patient, ...rest } = over;
  return {
    patient: {
      nhsNumber: nhs,
      familyName: 'Testpatient',
      givenName: 'Alex',
      dateOfBirth: '1960-05-05',
      address: '1 High Street, Hereford',
      postcode: 'HR1 2ER',
      phone: '07700900123',
      email: 'alex@example.com',
      gpPracticeOds: 'M81001',
      ...patient,
    },
    specialtyCode: '110',
    procedureCode: 'W371',
    rttClockStart: isoDay(-60 * 7),
    pathwayId: `T-${nhs}`,
    priority: 'P4',
    ...rest,
  };
}

/** Polls until `fn` returns a truthy value; fails with the last value after `seconds`. */
export async function waitUntil<T>(fn: () => Promise<T>, what: string, seconds = 20): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out after ${seconds}s waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 300)}`);
}

export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

export async function getReferral(s: Stack, t: string, id: string) {
  const r = await s.http.get(`/v1/referrals/${id}`).set(bearer(t));
  return r.body;
}

type TimelineEvent = { type: string; toStatus?: string; detail?: Record<string, any>; [k: string]: unknown };

/**
 * The newest timeline event of a kind. Dispatches (MESH sent/acknowledged) append their events
 * asynchronously, after whatever transition a test just made, so "the last event" is not a
 * stable thing to assert on: the last event of the type the test expects is.
 */
export function lastEventOf(view: { timeline: TimelineEvent[] }, type: string): TimelineEvent {
  const ev = view.timeline.findLast((e) => e.type === type);
  if (!ev) throw new Error(`No ${type} event on the timeline: ${view.timeline.map((e) => e.type).join(', ')}`);
  return ev;
}

export async function waitForStatus(s: Stack, t: string, id: string, status: string) {
  return waitUntil(async () => {
    const r = await getReferral(s, t, id);
    return r.status === status ? r : null;
  }, `referral ${id} to reach ${status}`);
}

/**
 * Waits until every outbox row is enqueued, every queue has run all its jobs, and every dispatch
 * due now has been sent and acknowledged (the local MESH mailbox acknowledges at once).
 */
export async function drained(s: Stack) {
  await waitUntil(async () => {
    if ((await s.prisma.outboxMessage.count({ where: { dispatchedAt: null } })) > 0) return false;
    for (const q of s.queues) {
      const n = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(n).some((v) => v > 0)) return false;
    }
    if (s.worker && (await dispatchesInFlight(s)) > 0) return false;
    // A job may have enqueued more work through the outbox while we looked.
    return (await s.prisma.outboxMessage.count({ where: { dispatchedAt: null } })) === 0;
  }, 'outbox and queues to drain');
}

/** Dispatches due now or sent and not yet acknowledged. */
async function dispatchesInFlight(s: Stack): Promise<number> {
  const { rows } = await s.prisma.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM dispatch WHERE (status = 'QUEUED' AND next_attempt_at <= now()) OR status IN ('SENT', 'DELIVERED')`,
  );
  return rows[0].n;
}

export async function openReferral(s: Stack, c: Cast, over: Parameters<typeof referralBody>[0] = {}) {
  const body = referralBody(over);
  const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body);
  if (res.status !== 201) throw new Error(`open referral failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, body, nhs: body.patient.nhsNumber };
}

/** Opens a referral and drives it to the given stage through the API, as the staff would. */
export async function driveTo(s: Stack, c: Cast, target: string, over: Parameters<typeof referralBody>[0] = {}) {
  const ref = await openReferral(s, c, over);
  const patient = await token({ role: 'patient', nhsNumber: ref.nhs });
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['AWAITING_CLINICAL_REVIEW', async () => waitForStatus(s, c.clinRLQ, ref.id, 'AWAITING_CLINICAL_REVIEW')],
    [
      'AWAITING_PATIENT_CONSENT',
      async () => expectOk(await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })),
    ],
    [
      'AWAITING_RECEIVER_ACCEPTANCE',
      async () => {
        // The patient answers the offer they were sent: wait for the make-offers job, which would
        // otherwise find the referral moved on and skip (the faster the API, the likelier).
        const r = await waitUntil(async () => {
          const view = await getReferral(s, c.clinRLQ, ref.id);
          return view.timeline.some((e: { type: string }) => e.type === 'offers_made') ? view : null;
        }, `the offers to be made for referral ${ref.id}`);
        const offer = r.offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
        expectOk(await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id }));
      },
    ],
    [
      'AWAITING_BOOKING',
      async () => expectOk(await s.http.post(`/v1/referrals/${ref.id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' })),
    ],
    [
      'BOOKED',
      async () =>
        expectOk(
          await s.http
            .post(`/v1/referrals/${ref.id}/bookings`)
            .set(bearer(c.clerkRJC))
            .send({ kind: 'procedure', startsAt: new Date(Date.now() + 21 * 86_400_000).toISOString() }),
        ),
    ],
    [
      'TREATED',
      async () =>
        expectOk(
          await s.http.post(`/v1/referrals/${ref.id}/treatment`).set(bearer(c.clinRJC)).send({ performedAt: new Date().toISOString(), procedureCode: 'W371' }),
        ),
    ],
    [
      'DISCHARGED',
      async () =>
        expectOk(
          await s.http
            .post(`/v1/referrals/${ref.id}/discharge`)
            .set(bearer(c.clinRJC))
            .send({ dischargedAt: new Date().toISOString(), summary: 'Recovered well.' }),
        ),
    ],
  ];
  for (const [status, step] of steps) {
    await step();
    if (status === target) break;
  }
  return { ...ref, patient };
}

function expectOk(res: { status: number; body: unknown }) {
  if (res.status < 200 || res.status >= 300) throw new Error(`step failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}
