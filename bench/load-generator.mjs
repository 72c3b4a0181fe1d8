// The load generator, in a process of its own (forked by bench/run.mjs): drives referrals from
// identification to discharge through the HTTP API, as the people of the workflow would, with
// dev tokens. The seven human steps are HTTP commands; the automated steps between them
// (screening, offers) are awaited by watching the timeline in Postgres as a separate login,
// which pg_stat_statements leaves out, instead of polling the API (polls would be counted as
// the system's own cost per transition).
//
// Two modes: `closed` keeps `concurrency` journeys going until `referrals` are done (the peak);
// `rate` starts journeys at `rate` per second for `referrals` journeys (a steady, lighter load).
// Receives its settings as JSON in BENCH_LOAD; answers with one IPC message { type: 'result' }.
import http from 'node:http';
import pg from 'pg';
import { signDevToken } from '../scripts/lib/dev-issuer.mjs';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';
import { summary } from './lib/stats.mjs';

const cfg = JSON.parse(process.env.BENCH_LOAD);
const PATIENCE_MS = 120_000;
const WATCH_MS = Number(process.env.BENCH_WATCH_MS || 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A valid (mod 11) NHS number from the 999 test range, distinct for each n. */
function nhsNumber(n) {
  for (let k = n; ; k++) {
    const number = withCheckDigit(String(990_000_000 + k));
    if (number) return number;
  }
}

// ---------- waiting for automated steps: one query for every referral waiting ----------

class TimelineWatcher {
  waiters = new Map(); // referralId -> { types: Set, resolve, reject, until }
  stopped = false;

  constructor(url) {
    this.db = new pg.Client({ connectionString: url, application_name: 'bench-load-generator' });
    this.db.on('error', () => {}); // the failed query reports it; a stopping Postgres must not crash us
    // Offers are read on a connection of their own: the poll keeps the first busy.
    this.offers = new pg.Client({ connectionString: url, application_name: 'bench-load-generator' });
    this.offers.on('error', () => {});
    this.offerReads = Promise.resolve();
  }

  async start() {
    await this.db.connect();
    await this.offers.connect();
    this.loop = this.run();
  }

  /** Resolves with the event type once `referralId` has an event of one of `types`. */
  waitFor(referralId, types) {
    if (this.stopped) return Promise.reject(new Error('the timeline watcher has stopped'));
    return new Promise((resolve, reject) => this.waiters.set(referralId, { types: new Set(types), resolve, reject, until: Date.now() + PATIENCE_MS }));
  }

  async run() {
    try {
      await this.poll();
    } catch (e) {
      // Postgres gone: every journey waiting fails now instead of waiting out its patience.
      for (const w of this.waiters.values()) w.reject(e);
      this.waiters.clear();
      this.stopped = true;
    }
  }

  async poll() {
    const allTypes = ['screening_passed', 'screening_failed', 'offers_made'];
    while (!this.stopped) {
      if (this.waiters.size > 0) {
        const ids = [...this.waiters.keys()];
        const { rows } = await this.db.query(`SELECT referral_id, type FROM timeline_event WHERE referral_id = ANY($1::uuid[]) AND type = ANY($2::text[])`, [
          ids,
          allTypes,
        ]);
        for (const r of rows) {
          const w = this.waiters.get(r.referral_id);
          if (w?.types.has(r.type)) {
            this.waiters.delete(r.referral_id);
            w.resolve(r.type);
          }
        }
        const now = Date.now();
        for (const [id, w] of this.waiters) {
          if (now > w.until) {
            this.waiters.delete(id);
            w.reject(new Error(`referral ${id}: no ${[...w.types].join('/')} within ${PATIENCE_MS / 1000} s`));
          }
        }
      }
      await sleep(WATCH_MS);
    }
  }

  /** The referral's open offer from `receivingOds`, nearest first (as the view lists them). */
  async offerFrom(referralId, receivingOds) {
    // One at a time on the connection (pg 9 refuses queries sent while one runs).
    const read = this.offerReads.then(() =>
      this.offers.query(
        `SELECT id FROM offer WHERE referral_id = $1::uuid AND receiving_ods = $2 AND status = 'OPEN' ORDER BY distance_miles NULLS LAST, id LIMIT 1`,
        [referralId, receivingOds],
      ),
    );
    this.offerReads = read.catch(() => undefined);
    const { rows } = await read;
    return rows[0]?.id;
  }

  async stop() {
    this.stopped = true;
    await this.loop?.catch(() => {});
    await this.db.end();
    await this.offers.end();
  }
}

// ---------- HTTP ----------

const latencies = {}; // command -> latencies (ms)
let retries = 0;
let commands = 0;

// node:http on keep-alive connections rather than fetch: the generator shares the machine with
// what it measures, and fetch's streams and Headers cost about twice the CPU per call.
// A socket per command in flight (no cap: waiting for a socket would be counted as latency). The
// timeout lets the agent honour the server's Keep-Alive hint, so an idle socket is dropped before
// the server closes it rather than reused as it does.
const agent = new http.Agent({ keepAlive: true, timeout: 30_000 });

/** One HTTP exchange: resolves with the status and the body as text. */
function send(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      cfg.base + path,
      { method, headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers, agent, timeout: 30_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One command; retried through 429, 503, other 5xx and connection errors as a client would. */
async function call(name, method, path, token, body, headers = {}) {
  const end = Date.now() + PATIENCE_MS;
  for (;;) {
    const t0 = performance.now();
    try {
      const r = await send(
        method,
        path,
        // return=minimal (RFC 7240), as an integration that does not read the view would ask: id, status and version.
        { authorization: `Bearer ${token}`, prefer: 'return=minimal', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        body ? JSON.stringify(body) : undefined,
      );
      if ((r.status === 429 || r.status >= 500) && Date.now() < end) {
        retries++;
        await sleep(100);
        continue;
      }
      (latencies[name] ??= []).push(performance.now() - t0);
      commands++;
      if (r.status < 200 || r.status >= 300) throw new Error(`${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      return JSON.parse(r.text);
    } catch (e) {
      if (e.message.startsWith(`${name}: HTTP`) || Date.now() >= end) throw e;
      retries++;
      await sleep(250);
    }
  }
}

// ---------- one referral, identification to discharge ----------

let tokens;
/** The patient's token of journey n, signed before the load starts (NHS login's work, not the system's). */
let patientTokens;
let watcher;

async function journey(n) {
  const nhs = nhsNumber(cfg.nhsOffset + n * 2);
  const pathwayId = `${cfg.salt}-${n}`;
  const opened = await call(
    'open',
    'POST',
    '/v1/referrals',
    tokens.clerkRLQ,
    {
      patient: {
        nhsNumber: nhs,
        familyName: 'Benchpatient',
        givenName: 'Alex',
        dateOfBirth: '1955-01-01',
        postcode: 'HR1 2ER',
        email: 'alex@example.com',
        gpPracticeOds: 'M81001',
      },
      specialtyCode: '110',
      procedureCode: 'W371',
      rttClockStart: new Date(Date.now() - 60 * 7 * 86_400_000).toISOString().slice(0, 10),
      pathwayId,
      priority: 'P4',
    },
    { 'idempotency-key': pathwayId },
  );
  const id = opened.id;
  const patient = patientTokens[n];
  const screened = await watcher.waitFor(id, ['screening_passed', 'screening_failed']);
  if (screened !== 'screening_passed') throw new Error(`referral ${id} was not eligible`);
  await call('clinical-review', 'POST', `/v1/referrals/${id}/clinical-review`, tokens.clinRLQ, { decision: 'suitable' });
  // The patient answers once they have been told of the offer (the make-offers step). The
  // minimal answer carries no offers: the offer is read as the observer login, outside what is measured.
  await watcher.waitFor(id, ['offers_made']);
  const offerId = await watcher.offerFrom(id, 'RJC');
  if (!offerId) throw new Error(`referral ${id} has no offer from RJC`);
  await call('consent', 'POST', `/v1/referrals/${id}/consent`, patient, { decision: 'accept', offerId });
  await call('receiver-decision', 'POST', `/v1/referrals/${id}/receiver-decision`, tokens.clinRJC, { decision: 'accept' });
  await call('booking', 'POST', `/v1/referrals/${id}/bookings`, tokens.clerkRJC, {
    kind: 'procedure',
    startsAt: new Date(Date.now() + 20 * 86_400_000).toISOString(),
  });
  await call('treatment', 'POST', `/v1/referrals/${id}/treatment`, tokens.clinRJC, { performedAt: new Date().toISOString(), procedureCode: 'W371' });
  await call('discharge', 'POST', `/v1/referrals/${id}/discharge`, tokens.clinRJC, { dischargedAt: new Date().toISOString(), summary: 'Recovered.' });
}

// ---------- the run ----------

let completed = 0;
const errors = [];
let finished = 0;
let inFlight = 0;
let maxInFlight = 0;
let lateStarts = 0;

async function one(n) {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    await journey(n);
    completed++;
  } catch (e) {
    errors.push(e.message.slice(0, 300));
  } finally {
    inFlight--;
    finished++;
  }
}

async function closedLoop() {
  let next = 0;
  const lane = async () => {
    while (next < cfg.referrals) await one(next++);
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, lane));
}

/** Starts journey n at start + n / rate, whatever the others are doing (open loop), up to a cap in flight. */
async function openLoop() {
  const start = Date.now();
  const cap = Math.max(cfg.concurrency * 8, 256);
  const running = [];
  for (let n = 0; n < cfg.referrals; n++) {
    const due = start + (n * 1000) / cfg.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    else if (Date.now() - due > 100) lateStarts++;
    while (inFlight >= cap) await sleep(5);
    running.push(one(n));
  }
  await Promise.all(running);
}

/** Tells the benchmark; nothing to tell once it has gone. */
const tell = (message) => {
  if (process.connected) process.send(message);
};
// The benchmark gone (killed, or stopping after a failure): stop too, never run on as an orphan.
process.on('disconnect', () => process.exit(1));
const progress = setInterval(() => tell({ type: 'progress', finished, inFlight, errors: errors.length }), 2_000);
try {
  const t = (roles, ods, sub) => signDevToken(cfg.keyFile, { roles, ods, sub });
  tokens = {
    clerkRLQ: await t(['booking_clerk'], 'RLQ', 'bench-clerk-rlq'),
    clinRLQ: await t(['clinician'], 'RLQ', 'bench-clin-rlq'),
    clinRJC: await t(['clinician'], 'RJC', 'bench-clin-rjc'),
    clerkRJC: await t(['booking_clerk'], 'RJC', 'bench-clerk-rjc'),
  };
  patientTokens = [];
  for (let n = 0; n < cfg.referrals; n++)
    patientTokens.push(await signDevToken(cfg.keyFile, { roles: ['patient'], nhsNumber: nhsNumber(cfg.nhsOffset + n * 2), sub: `bench-patient-${n}` }));
  watcher = new TimelineWatcher(cfg.observerUrl);
  await watcher.start();
  // Ready: the benchmark starts measuring, and says when to go.
  await new Promise((resolve) => {
    process.on('message', (m) => m?.type === 'go' && resolve());
    tell({ type: 'ready' });
  });
  const startedAt = Date.now();
  await (cfg.mode === 'rate' ? openLoop() : closedLoop());
  const finishedAt = Date.now();
  const latency = Object.fromEntries(Object.entries(latencies).map(([k, v]) => [k, summary(v)]));
  tell({
    type: 'result',
    result: {
      mode: cfg.mode,
      referrals: cfg.referrals,
      completed,
      errors: errors.slice(0, 20),
      errorCount: errors.length,
      startedAt,
      finishedAt,
      commands,
      retries,
      maxInFlight,
      lateStarts,
      httpLatencyMs: latency,
    },
  });
} catch (e) {
  tell({ type: 'error', message: e.stack ?? String(e) });
  process.exitCode = 1;
} finally {
  clearInterval(progress);
  agent.destroy();
  await watcher?.stop().catch(() => {});
  process.removeAllListeners('disconnect');
  if (process.connected) process.disconnect();
}
