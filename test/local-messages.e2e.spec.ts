// The local channel's messages for developers (issue 14): outside production each message keeps
// its text and offer link (the newest LOCAL_MESSAGES_KEPT), the link opens the offer page, and
// `npm run messages` prints them newest first; under NODE_ENV=production none is kept.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '#config';
import { LocalNotificationChannel } from '#notifications';
import { cast, drained, driveTo, startStack, type Cast, type Stack } from './support/stack.js';

const run = promisify(execFile);

interface Kept {
  notification_id: string;
  event: string;
  channel: string;
  recipient: string | null;
  subject: string;
  body: string;
  link: string | null;
}

/** Production settings that load (the security suite's control), for a worker started under them. */
const PRODUCTION = {
  NODE_ENV: 'production',
  AUTH_MODE: 'oidc',
  AUTH_JWKS_URL: 'https://am.nhsidentity.example/jwks',
  AUTH_ISSUER: 'https://am.nhsidentity.example',
  AUTH_AUDIENCE: 'crosstrust',
  OFFER_LINK_SECRET: 'a-secret-from-the-platform-store-0123456789',
  PUBLIC_BASE_URL: 'https://crosstrust.example.nhs.uk',
};
const ENV_KEYS = [...Object.keys(PRODUCTION), 'LOCAL_MESSAGES_KEPT'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
function restoreEnv() {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

let s: Stack;
let c: Cast;

async function restartWorker(env: Record<string, string>) {
  restoreEnv();
  Object.assign(process.env, env);
  await s.worker?.close();
  await s.startWorker();
}

const sql = async <R>(text: string, values: unknown[] = []) => (await s.prisma.sql.query(text, values)).rows as R[];

/** The referral's notifications the channel has sent, oldest first. */
const delivered = (referralId: string) =>
  sql<{ id: string; event: string }>(`SELECT id::text, event FROM notification WHERE referral_id = $1::uuid AND status = 'delivered' ORDER BY created_at, id`, [
    referralId,
  ]);

const keptFor = (ids: string[]) =>
  sql<Kept>(`SELECT notification_id::text, event, channel, recipient, subject, body, link FROM local_message_text WHERE notification_id = ANY($1::uuid[])`, [
    ids,
  ]);

const messagesScript = (...args: string[]) => run(process.execPath, ['scripts/messages.mjs', ...args], { env: process.env });

beforeAll(async () => {
  s = await startStack();
  c = await cast();
});

afterAll(async () => {
  restoreEnv();
  await s?.close();
});

describe('outside production the local channel keeps what each message said', () => {
  it('keeps the offer with its text and a link that opens the offer page', async () => {
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', { patient: { givenName: 'Morwenna', dateOfBirth: '1961-07-04' } });
    await drained(s);
    const [offer] = (await delivered(ref.id)).filter((n) => n.event === 'offer');
    expect(offer).toBeDefined();
    const [kept] = await keptFor([offer.id]);
    expect(kept).toMatchObject({ event: 'offer', channel: 'email', recipient: 'alex@example.com', subject: 'You could be treated sooner at another hospital' });
    expect(kept.body).toMatch(/^Dear Morwenna,/);
    expect(kept.body).toContain('Warwick Hospital (South Warwickshire University NHS Foundation Trust)');
    // The link the patient was sent, as the body carries it.
    expect(kept.link).toMatch(/^http:\/\/localhost:\d+\/offer\/[A-Za-z0-9_.-]+$/);
    expect(kept.body).toContain(kept.link);

    // It works: the page asks for the date of birth, and the right one shows the offers.
    const page = new URL(kept.link!).pathname;
    const dob = await s.http.get(page).expect(200);
    expect(dob.text).toContain('What is your date of birth?');
    const checked = await s.http.post(page).type('form').send({ 'dob-day': '4', 'dob-month': '7', 'dob-year': '1961' });
    expect(checked.status).toBeGreaterThanOrEqual(300);
    expect(checked.status).toBeLessThan(400);
    expect(checked.headers.location).toBe(`${page}/choose`);
    const cookie = ([] as string[]).concat(checked.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const choose = await s.http.get(`${page}/choose`).set('Cookie', cookie).expect(200);
    expect(choose.text).toContain('Warwick Hospital');
  });

  it('keeps every message of a journey, and `npm run messages` prints them newest first with their links', async () => {
    const ref = await driveTo(s, c, 'DISCHARGED');
    await drained(s);
    const sent = await delivered(ref.id);
    // (The offer itself may be cancelled unsent: the patient can answer before its job runs.)
    expect(sent.map((n) => n.event)).toEqual(expect.arrayContaining(['consent_recorded', 'transfer_confirmed', 'appointment_booked', 'discharged']));
    const kept = await keptFor(sent.map((n) => n.id));
    expect(kept.map((k) => k.notification_id).sort()).toEqual(sent.map((n) => n.id).sort());
    for (const k of kept) {
      expect(k.subject.length).toBeGreaterThan(0);
      expect(k.body).toMatch(/^Dear Alex,/);
    }

    // The worker stopped, so nothing is kept between reading the table and running the script.
    await s.worker?.close();
    s.worker = null;
    try {
      // The newest messages of the whole database (other suites' too), in the order the script should print them.
      const newest = await sql<{ notification_id: string; subject: string }>(
        'SELECT notification_id::text, subject FROM local_message_text ORDER BY seq DESC LIMIT 3',
      );
      const { stdout } = await messagesScript('--limit', '3');
      const printed = [...stdout.matchAll(/\(notification ([0-9a-f-]{36})\)/g)].map((m) => m[1]);
      expect(printed).toEqual(newest.map((m) => m.notification_id));
      for (const m of newest) expect(stdout).toContain(`Subject: ${m.subject}`);
      expect(stdout).toContain('3 messages, newest first (--limit 3).');

      // The newest offer kept (the first test's at least), further back, with its link.
      const [offer] = await sql<{ notification_id: string; link: string }>(
        `SELECT notification_id::text, link FROM local_message_text WHERE event = 'offer' AND link IS NOT NULL ORDER BY seq DESC LIMIT 1`,
      );
      const { stdout: all } = await messagesScript('--limit', '500');
      expect(all).toContain(`(notification ${offer.notification_id})`);
      expect(all).toContain(`Offer link: ${offer.link}`);
    } finally {
      await s.startWorker();
    }
  });

  it('`npm run messages` refuses a bad --limit, naming it', async () => {
    await expect(messagesScript('--limit', '0')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--limit must be a whole number from 1 to 500'),
    });
  });

  it('keeps only the newest LOCAL_MESSAGES_KEPT', async () => {
    // The channel on its own, the worker stopped: nothing else sends meanwhile.
    await s.worker?.close();
    s.worker = null;
    try {
      const channel = new LocalNotificationChannel(s.prisma, 2);
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of ids) {
        const msg = { subject: `Message ${id}`, body: 'Dear Alex,\nA message.' };
        await channel.send({
          notificationId: id,
          event: 'offer',
          channel: 'sms',
          recipient: { email: null, phone: '07700900123', address: null },
          message: msg,
        });
      }
      const rows = await sql<{ notification_id: string; recipient: string }>(
        'SELECT notification_id::text, recipient FROM local_message_text ORDER BY seq DESC',
      );
      expect(rows.map((r) => r.notification_id)).toEqual([ids[2], ids[1]]);
      expect(rows[0].recipient).toBe('07700900123');
      // A second send of the same message (a retried job) keeps nothing more.
      await channel.send({
        notificationId: ids[2],
        event: 'offer',
        channel: 'sms',
        recipient: { email: null, phone: '07700900123', address: null },
        message: { subject: 'again', body: '' },
      });
      expect(await keptFor([ids[2]])).toMatchObject([{ subject: `Message ${ids[2]}` }]);
    } finally {
      await s.startWorker();
    }
  });
});

describe('in production the local channel keeps no text', () => {
  it('the configuration refuses LOCAL_MESSAGES_KEPT above 0 and defaults it to 0', () => {
    const prod = { ...PRODUCTION, DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };
    expect(loadConfig(prod).notify.localMessagesKept).toBe(0);
    expect(loadConfig({ ...prod, NODE_ENV: 'development' }).notify.localMessagesKept).toBe(500);
    let problems: string[] = [];
    try {
      loadConfig({ ...prod, LOCAL_MESSAGES_KEPT: '500' });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^LOCAL_MESSAGES_KEPT must be 0 when NODE_ENV=production/)]);
  });

  it('a worker under NODE_ENV=production records the ids of what it sends and keeps none of the text', async () => {
    await restartWorker(PRODUCTION);
    try {
      const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
      await drained(s);
      const sent = await delivered(ref.id);
      expect(sent.map((n) => n.event)).toEqual(['offer']);
      const ids = sent.map((n) => n.id);
      // Sent by the local channel (its send-once record has them), and no text kept.
      expect(await sql('SELECT notification_id FROM local_message WHERE notification_id = ANY($1::uuid[])', [ids])).toHaveLength(ids.length);
      expect(await keptFor(ids)).toEqual([]);
    } finally {
      await restartWorker({});
    }
  });
});
