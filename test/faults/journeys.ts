// Drives referrals through the HTTP API as clients would (retrying through outages), then
// checks the database for what the fault suite promises: nothing lost, nothing twice.
import { expect } from '@jest/globals';
import pg from 'pg';
import { Queue } from 'bullmq';
import { signDevToken } from '../../scripts/lib/dev-issuer.mjs';
import { withCheckDigit } from '../../scripts/lib/nhs-number.mjs';
import { PATHWAY_STATUSES } from '#domain';
import type { Cluster } from './cluster.js';

const ORDER: readonly string[] = PATHWAY_STATUSES;
const EXPECTED_NOTIFICATIONS = ['offer', 'consent_recorded', 'transfer_confirmed', 'appointment_booked', 'treatment_recorded', 'discharged'];

export interface CallRecord {
  status: number;
  at: number;
}

/** The first valid NHS number at or after `n` in the range from `base` (999... is the test range), wrapping after `span`. */
export function nhsNumberFrom(n: number, base = 999_100_000, span = 399_999): string {
  for (let k = n; ; k++) {
    const number = withCheckDigit(String(base + (k % span)));
    if (number) return number;
  }
}

/** A referral body for the fault suites: a patient 60 weeks waiting for trauma and orthopaedics. */
export function faultReferralBody(nhsNumber: string, pathwayId: string, familyName: string) {
  return {
    patient: {
      nhsNumber,
      familyName,
      givenName: 'Sam',
      dateOfBirth: '1955-01-01',
      postcode: 'HR1 2ER',
      email: 'sam@example.com',
      gpPracticeOds: 'M81001',
    },
    specialtyCode: '110',
    procedureCode: 'W371',
    rttClockStart: new Date(Date.now() - 60 * 7 * 86_400_000).toISOString().slice(0, 10),
    pathwayId,
    priority: 'P4',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * How long a client keeps trying through an outage before it gives up on a journey: longer than
 * the longest retry backoff an internal step can be in when a dependency comes back (64 s).
 */
const PATIENCE_MS = 300_000;
/** How often a client looks again while it waits for an automated step. */
const POLL_MS = 500;

export class Driver {
  readonly calls: CallRecord[] = [];
  commandsDone = 0;
  private tokens: Record<string, string> = {};

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: { twice?: boolean } = {},
  ) {}

  async init(): Promise<void> {
    const file = process.env.AUTH_DEV_KEY_FILE!;
    const t = (roles: string[], ods: string, sub: string) => signDevToken(file, { roles, ods, sub });
    this.tokens = {
      clerkRLQ: await t(['booking_clerk'], 'RLQ', 'fault-clerk-rlq'),
      clinRLQ: await t(['clinician'], 'RLQ', 'fault-clin-rlq'),
      clinRJC: await t(['clinician'], 'RJC', 'fault-clin-rjc'),
      clerkRJC: await t(['booking_clerk'], 'RJC', 'fault-clerk-rjc'),
    };
  }

  /** One HTTP call, retried through connection errors and 503s as a well-behaved client would. */
  async call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
    const end = Date.now() + PATIENCE_MS;
    for (;;) {
      try {
        const r = await fetch(this.cluster.base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await r.text();
        this.calls.push({ status: r.status, at: Date.now() });
        if (r.status === 503 || r.status === 429 || r.status >= 500) {
          if (Date.now() > end) return { status: r.status, json: safeJson(text) };
          await sleep(r.status === 503 ? 250 : 100);
          continue;
        }
        return { status: r.status, json: safeJson(text) };
      } catch (e) {
        this.calls.push({ status: 0, at: Date.now() });
        if (Date.now() > end) throw e;
        await sleep(250);
      }
    }
  }

  /** A command that should move the referral to `next`: done when it answers 2xx, or 409 because it already has. */
  private async command(id: string, path: string, token: string, body: unknown, next: string): Promise<void> {
    const send = () => this.call('POST', `/v1/referrals/${id}/${path}`, token, body);
    const results = this.opts.twice ? await Promise.all([send(), send()]) : [await send()];
    const ok = results.some((r) => r.status >= 200 && r.status < 300);
    for (const r of results) {
      if (r.status >= 200 && r.status < 300) continue;
      const current = r.json?.currentStatus as string | undefined;
      if (r.status === 409 && (ok || (current && ORDER.indexOf(current) >= ORDER.indexOf(next)))) continue;
      throw new Error(`${path} on ${id}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    }
    this.commandsDone++;
  }

  private async waitFor(id: string, pred: (r: any) => boolean, what: string): Promise<any> {
    const end = Date.now() + PATIENCE_MS;
    for (;;) {
      const r = await this.call('GET', `/v1/referrals/${id}`, this.tokens.clinRLQ);
      if (r.status === 200 && pred(r.json)) return r.json;
      if (Date.now() > end) throw new Error(`referral ${id} never reached ${what}; it is ${r.json?.status}`);
      await sleep(POLL_MS);
    }
  }

  /** One referral from identification to discharge. */
  async journey(n: number, salt: string): Promise<string> {
    const nhs = nhsNumberFrom(n * 7 + salt.length * 1000);
    const pathwayId = `F-${salt}-${n}`;
    const body = faultReferralBody(nhs, pathwayId, 'Faultpatient');
    const open = () => this.call('POST', '/v1/referrals', this.tokens.clerkRLQ, body, { 'idempotency-key': pathwayId });
    const opened = this.opts.twice ? await Promise.all([open(), open()]) : [await open()];
    const created = opened.find((r) => r.status === 201);
    if (!created) throw new Error(`open failed: ${opened.map((r) => `${r.status} ${JSON.stringify(r.json).slice(0, 120)}`).join(' / ')}`);
    const id = created.json.id as string;
    this.commandsDone++;
    const patient = await signDevToken(process.env.AUTH_DEV_KEY_FILE!, { roles: ['patient'], nhsNumber: nhs, sub: `p-${nhs}` });
    await this.waitFor(id, (r) => r.status === 'AWAITING_CLINICAL_REVIEW', 'AWAITING_CLINICAL_REVIEW');
    await this.command(id, 'clinical-review', this.tokens.clinRLQ, { decision: 'suitable' }, 'AWAITING_PATIENT_CONSENT');
    const withOffers = await this.waitFor(id, (r) => r.offers?.some((o: any) => o.status === 'OPEN' || o.status === 'ACCEPTED'), 'an offer');
    // A patient answers an offer once they have been sent it: its message gone past `created` (the
    // row is written with the offers, so its presence alone says nothing). Answered before it was
    // sent, it would rightly be cancelled as stale, and its job's one run would end as skipped.
    const until = Date.now() + PATIENCE_MS;
    while (Date.now() < until) {
      const n = await this.call('GET', `/v1/referrals/${id}/notifications`, patient);
      if (n.status === 200 && n.json.items.some((x: any) => x.event === 'offer' && x.status !== 'created')) break;
      await sleep(POLL_MS);
    }
    const offer = withOffers.offers.find((o: any) => o.receivingOds === 'RJC');
    await this.command(id, 'consent', patient, { decision: 'accept', offerId: offer.id }, 'AWAITING_RECEIVER_ACCEPTANCE');
    await this.command(id, 'receiver-decision', this.tokens.clinRJC, { decision: 'accept' }, 'AWAITING_BOOKING');
    if (this.opts.twice) {
      // Two procedure bookings at once must not both stand: the second is refused.
      await this.command(id, 'bookings', this.tokens.clerkRJC, { kind: 'procedure', startsAt: new Date(Date.now() + 20 * 86_400_000).toISOString() }, 'BOOKED');
    } else {
      await this.command(id, 'bookings', this.tokens.clerkRJC, { kind: 'procedure', startsAt: new Date(Date.now() + 20 * 86_400_000).toISOString() }, 'BOOKED');
    }
    await this.command(id, 'treatment', this.tokens.clinRJC, { performedAt: new Date().toISOString(), procedureCode: 'W371' }, 'TREATED');
    await this.command(id, 'discharge', this.tokens.clinRJC, { dischargedAt: new Date().toISOString(), summary: 'Recovered.' }, 'DISCHARGED');
    return id;
  }

  /** Runs `count` journeys, `concurrency` at a time; calls `at(progress)` as work completes. */
  async run(
    count: number,
    concurrency: number,
    salt: string,
    onProgress?: (done: number) => Promise<void> | void,
  ): Promise<{ ids: string[]; errors: string[] }> {
    const ids: string[] = [];
    const errors: string[] = [];
    let next = 0;
    let finished = 0;
    const lane = async () => {
      while (next < count) {
        const n = next++;
        try {
          ids.push(await this.journey(n, salt));
        } catch (e) {
          errors.push((e as Error).message);
        }
        finished++;
        await onProgress?.(finished);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return { ids, errors };
  }
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface Verdict {
  referrals: number;
  notDischarged: number;
  duplicateEvents: number;
  duplicateNotifications: number;
  missingNotifications: number;
  duplicateSends: number;
  unfinishedSteps: number;
  failedJobsWithoutAttention: number;
  needsAttention: number;
  bad5xx: number;
  /** Log lines of any process that contain a patient's NHS number or name. */
  patientDataInLogs: number;
  errors: string[];
}

/**
 * What the fault suites promise, every step exactly once: every referral discharged, nothing doubled
 * or missing, nothing left unfinished or for a person, no 5xx, no patient data in any log.
 */
export function expectExactlyOnce(v: Verdict, referrals: number): void {
  expect(v.errors).toEqual([]);
  expect(v).toMatchObject({
    referrals,
    notDischarged: 0,
    duplicateEvents: 0,
    duplicateNotifications: 0,
    missingNotifications: 0,
    duplicateSends: 0,
    unfinishedSteps: 0,
    failedJobsWithoutAttention: 0,
    needsAttention: 0,
    bad5xx: 0,
    patientDataInLogs: 0,
  });
}

/** Events the worker checks again before sending, cancelling them once no longer true. */
const STALE_CHECKED = new Set(['offer', 'offer_reminder', 'appointment_reminder']);

/** Waits until every step has run, then checks the promises against the database. */
export async function verify(cluster: Cluster, driver: Driver, ids: string[], errors: string[]): Promise<Verdict> {
  const db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  const queues = ['workflow', 'dispatch', 'notifications'].map(
    (n) => new Queue(n, { connection: { host: '127.0.0.1', port: cluster.redis.port }, prefix: `{faults-${cluster.name}}` }),
  );
  try {
    const end = Date.now() + 120_000;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM outbox_message WHERE completed_at IS NULL`);
      if (rows[0].n === 0) break;
      if (Date.now() > end) break;
      await sleep(250);
    }
    const one = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0]?.n ?? 0);
    const idList = ids;
    const notDischarged = await one(`SELECT count(*) AS n FROM referral WHERE id = ANY($1::uuid[]) AND status <> 'DISCHARGED'`, [idList]);
    const duplicateEvents = await one(
      `SELECT count(*) AS n FROM (
         SELECT referral_id, type, to_status FROM timeline_event WHERE referral_id = ANY($1::uuid[])
           AND type NOT IN ('needs_attention', 'retry_requested')
         GROUP BY referral_id, type, to_status HAVING count(*) > 1) d`,
      [idList],
    );
    const duplicateNotifications = await one(
      `SELECT count(*) AS n FROM (SELECT referral_id, event FROM notification WHERE referral_id = ANY($1::uuid[]) GROUP BY 1, 2 HAVING count(*) > 1) d`,
      [idList],
    );
    const delivered = await db.query(`SELECT id, referral_id, event, status FROM notification WHERE referral_id = ANY($1::uuid[])`, [idList]);
    let missing = 0;
    const byRef = new Map<string, Set<string>>();
    for (const n of delivered.rows) {
      // An offer whose send was held up (lost with Redis and re-driven) until after the journey
      // answered it is rightly not sent: the worker marks it cancelled (stale), which is accounted for.
      if (n.status !== 'delivered' && !(n.status === 'cancelled' && STALE_CHECKED.has(n.event))) missing++;
      if (!byRef.has(n.referral_id)) byRef.set(n.referral_id, new Set());
      byRef.get(n.referral_id)!.add(n.event);
    }
    for (const id of idList) for (const ev of EXPECTED_NOTIFICATIONS) if (!byRef.get(id)?.has(ev)) missing++;
    const duplicateSends = [...delivered.rows].filter((n) => (cluster.sends.get(n.id) ?? 0) > 1).length;
    const unfinishedSteps = await one(`SELECT count(*) AS n FROM outbox_message WHERE completed_at IS NULL`);
    const needsAttention = await one(`SELECT count(*) AS n FROM referral WHERE needs_attention`);
    let failedJobsWithoutAttention = 0;
    for (const q of queues) {
      for (const job of await q.getFailed(0, 1000)) {
        if (job.attemptsMade < (job.opts.attempts ?? 1)) continue;
        const flagged = await one(`SELECT count(*) AS n FROM referral WHERE id = $1::uuid AND needs_attention`, [job.data.referralId]);
        if (!flagged) failedJobsWithoutAttention++;
      }
    }
    const bad5xx = driver.calls.filter((c) => c.status >= 500 && c.status !== 503).length;
    const nhsNumbers = (
      await db.query(`SELECT p.nhs_number FROM patient p JOIN referral r ON r.patient_id = p.id WHERE r.id = ANY($1::uuid[])`, [idList])
    ).rows.map((r) => r.nhs_number as string);
    const needles = [...nhsNumbers, 'Faultpatient', 'sam@example.com', 'HR1 2ER'];
    const patientDataInLogs = cluster.allLogs.filter((line) => needles.some((n) => line.includes(n))).length;
    return {
      referrals: ids.length,
      notDischarged,
      duplicateEvents,
      duplicateNotifications,
      missingNotifications: missing,
      duplicateSends,
      unfinishedSteps,
      failedJobsWithoutAttention,
      needsAttention,
      bad5xx,
      patientDataInLogs,
      errors,
    };
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    await db.end();
  }
}

/** Seconds from `since` until every step started before it has finished. */
export async function timeToRecover(cluster: Cluster, since: Date): Promise<number> {
  const db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  try {
    const end = Date.now() + 180_000;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM outbox_message WHERE completed_at IS NULL AND created_at <= $1`, [since]);
      if (rows[0].n === 0 || Date.now() > end) return (Date.now() - since.getTime()) / 1000;
      await sleep(100);
    }
  } finally {
    await db.end();
  }
}
