// GOV.UK Notify and a killed worker: the fake Notify (in this process) takes a message and holds
// its answer while the worker that sent it is killed with SIGKILL. The job runs again on a new
// worker, which must find the message by its reference (our notification id) and adopt it:
// every notification sent once, none twice, none lost, each row holding Notify's id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Queue } from 'bullmq';
import { CHANNELS, NOTIFICATION_EVENTS } from '#notifications';
import { signDevToken } from '../../scripts/lib/dev-issuer.mjs';
import { startFakeNotify, type FakeNotify } from '../support/fake-notify.js';
import { Cluster } from './cluster.js';
import { Driver, faultReferralBody, nhsNumberFrom } from './journeys.js';

const REFERRALS = 4;
/** Sends the fake takes and then holds without answering, until the worker is killed. */
const HELD = 2;
const TEMPLATES = Object.fromEntries(NOTIFICATION_EVENTS.map((e) => [e, Object.fromEntries(CHANNELS.map((ch) => [ch, randomUUID()]))])) as Record<
  string,
  Record<string, string>
>;

/** A cluster whose API and workers send through the fake Notify at `notifyUrl`. */
class NotifyCluster extends Cluster {
  constructor(
    name: string,
    private readonly fake: FakeNotify,
    private readonly notifyUrl: string,
  ) {
    super(name);
  }

  override env(): Record<string, string> {
    return {
      ...super.env(),
      NOTIFY_API_KEY: this.fake.apiKey,
      NOTIFY_BASE_URL: this.notifyUrl,
      NOTIFY_TEMPLATES: JSON.stringify(TEMPLATES),
      // Longer than the test: the held send is still waiting for its answer when the worker dies.
      NOTIFY_TIMEOUT_MS: '120000',
      SMS_QUIET_HOURS: 'off',
    };
  }
}

async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, what: string, seconds: number): Promise<T> {
  const end = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${seconds}s waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 300)}`);
}

/** A valid NHS number (modulus 11) for referral n. */
interface Row {
  id: string;
  referral_id: string;
  event: string;
  status: string;
  provider_id: string | null;
}

let fake: FakeNotify;
let cluster: NotifyCluster;
let db: pg.Client;

beforeAll(async () => {
  fake = await startFakeNotify({ templates: TEMPLATES });
  cluster = new NotifyCluster('notify-kill', fake, fake.url);
  await cluster.start({ workers: 1 });
  db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await cluster?.stop();
  await fake?.close();
});

/** The notifications of the referrals (reminders wait days in `created`: not what this test looks at). */
async function rowsOf(ids: string[]): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    `SELECT id, referral_id, event, status, provider_id FROM notification WHERE referral_id = ANY($1::uuid[]) AND event NOT LIKE '%\\_reminder' ORDER BY created_at`,
    [ids],
  );
  return rows;
}

describe('GOV.UK Notify and a killed worker', () => {
  it('a worker killed while Notify holds the answer to its send does not send twice', async () => {
    const started = Date.now();
    const key = process.env.AUTH_DEV_KEY_FILE!;
    const clerk = await signDevToken(key, { roles: ['booking_clerk'], ods: 'RLQ', sub: 'notify-clerk' });
    const clin = await signDevToken(key, { roles: ['clinician'], ods: 'RLQ', sub: 'notify-clin' });
    const driver = new Driver(cluster);

    // Notify takes the first sends and never answers them.
    fake.fail('accept-then-hang', { times: HELD });

    // Referrals to the offer: each sends the patient an offer email.
    const ids = await Promise.all(
      Array.from({ length: REFERRALS }, async (_, n) => {
        const pathwayId = `NF-${n}`;
        const body = faultReferralBody(nhsNumberFrom(n, 999_200_000), pathwayId, 'Notifypatient');
        const open = await driver.call('POST', '/v1/referrals', clerk, body, { 'idempotency-key': pathwayId });
        expect(open.status).toBe(201);
        const id = open.json.id as string;
        await waitUntil(
          async () => (await driver.call('GET', `/v1/referrals/${id}`, clin)).json?.status === 'AWAITING_CLINICAL_REVIEW',
          `${id} to await review`,
          30,
        );
        const review = await driver.call('POST', `/v1/referrals/${id}/clinical-review`, clin, { decision: 'suitable' });
        expect(review.status).toBe(200);
        return id;
      }),
    );

    // Notify has the held messages; the worker waits for answers that never come. Kill it.
    await waitUntil(async () => fake.sent.length >= HELD, `Notify to take ${HELD} sends`, 30);
    const held = fake.sent.slice(0, HELD).map((n) => n.reference!);
    const heldRows = await rowsOf(ids);
    for (const ref of held) expect(heldRows.find((r) => r.id === ref)?.status).toBe('created');
    const killedAt = Date.now();
    await cluster.killWorker('SIGKILL');
    expect(cluster.liveWorkers()).toHaveLength(0);
    cluster.startWorker();

    // The new worker picks the jobs up again once their locks lapse (JOB_LOCK_MS) and finishes every send.
    const rows = await waitUntil(
      async () => {
        const all = await rowsOf(ids);
        return all.filter((r) => r.event === 'offer').length >= REFERRALS && all.every((r) => r.status !== 'created') ? all : null;
      },
      'every notification to leave created',
      45,
    );
    const recoveredS = (Date.now() - killedAt) / 1000;

    // Nothing lost: one offer per referral, each sent.
    expect(
      rows
        .filter((r) => r.event === 'offer')
        .map((r) => r.referral_id)
        .sort(),
    ).toEqual([...ids].sort());
    for (const r of rows) expect(r.status).toBe('sending');

    // Nothing twice: Notify saw exactly one send per notification, and the row holds Notify's id.
    const perReference = new Map<string, number>();
    for (const n of fake.sent) perReference.set(n.reference ?? '', (perReference.get(n.reference ?? '') ?? 0) + 1);
    expect([...perReference].filter(([, count]) => count > 1)).toEqual([]);
    for (const r of rows) {
      const sent = fake.byReference(r.id);
      expect(sent).toHaveLength(1);
      expect(r.provider_id).toBe(sent[0].id);
    }
    expect([...perReference.keys()].sort()).toEqual(rows.map((r) => r.id).sort());

    // The held sends were found by reference and adopted by the new worker, not sent again.
    const queue = new Queue('notifications', { connection: { host: '127.0.0.1', port: cluster.redis.port }, prefix: `{faults-${cluster.name}}` });
    try {
      for (const ref of held) {
        const row = rows.find((r) => r.id === ref)!;
        const job = await queue.getJob(`notification.send.${row.referral_id}.${row.id}`);
        expect(job?.returnvalue).toMatchObject({ outcome: 'done', reason: expect.stringMatching(/earlier attempt/) });
      }
    } finally {
      await queue.close();
    }
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path === '/v2/notifications' && r.at >= killedAt).length).toBeGreaterThanOrEqual(HELD);

    // The only trouble in the logs is the kill; no patient data in any process's log.
    expect(cluster.errorLogs.filter((l) => !/^worker-1: exited \(SIGKILL\)$/.test(l))).toEqual([]);
    expect(cluster.allLogs.filter((l) => /Notifypatient|sam@example\.com|HR1 2ER/.test(l))).toEqual([]);

    process.stdout.write(
      `\nNotify + SIGKILL: ${REFERRALS} referrals, ${HELD} sends held at the kill, all sent once; recovered ${recoveredS.toFixed(1)} s after the kill, scenario ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});
