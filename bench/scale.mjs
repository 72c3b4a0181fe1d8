// `npm run bench:scale` (options: --entries N --referrals N --import-rows N --seconds S
// --connections C --full --reuse --no-import --no-build --console-only: only step 6, on the data set as it is; --insights-only: only step 8):
// the scale benchmark of issue #5. In one run, on
// its own Postgres and Redis in .data/bench-scale/, with the api and worker as deployed (dist/):
//   1. loads the seed:scale data set (scripts/seed-scale.mjs; default 200k entries / 40k
//      referrals, --full for 1M / 200k; --reuse keeps a data set already loaded);
//   2. worklist and long-waiter queries through the API (autocannon, 50 connections, S seconds
//      each) against the very statements the API runs, run directly (50 pg connections in a
//      loop): p50/p95/p99, req/s and the API overhead (API p95 / direct p95). The statements are
//      captured by calling the services of dist/ (ReferralQueries.list, LongWaiters.list) with a
//      Postgres pool that records what they send, so they are the code as built at run time;
//   3. EXPLAIN (ANALYZE, BUFFERS) of each captured statement, and whether an index serves it;
//   4. a generated 100k-row CSV imported through POST /v1/waiting-list/imports (streamed; timed
//      until GET .../imports/:id says completed) against a raw COPY of the same file into
//      scratch tables (text columns; and one shaped like waiting_list_entry with its indexes).
//   5. a matching run (POST /v1/matching/runs, T&O, 18+ weeks) after declaring group capacity for
//      it: wall time of each of 5 runs and the server's own duration, with the cohort, free slots
//      and patients proposed (it reads the top N longest waiters only, N = free slots).
//   6. the staff console's pages (every worklist page and the referral page) as a signed-in person
//      loads them (a session cookie sealed as the console seals it): p50/p95/p99 at the same load.
//   7. the insights views (planning, equity, the weekly report as HTML and PDF; the trust's and the
//      group's) as a trust admin opens them, each alone, 3 times: wall time of each (target < 2 s).
//   8. (--insights-only) each insights page and each GET /v1/insights/{chart}, trust and group
//      scope, each alone --times T times (default 5): client p50/p95 and the api's server-time
//      p50/p95 from its request histogram (that route only, scraped before and after).
// Prints a table; writes bench/results/<timestamp>-scale.json and -scale-explain.txt.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { ensureDatabase, log, root, startPostgres, startRedis } from '../scripts/lib/local-services.mjs';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { signDevToken } from '../scripts/lib/dev-issuer.mjs';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';
import { prepareDatabase, seedScale, SPECIALTIES } from '../scripts/seed-scale.mjs';
import { benchAppEnv, reportedAppSettings, startApps } from './lib/apps.mjs';
import { stopAll } from './lib/children.mjs';
import { round, sleep, summary } from './lib/stats.mjs';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string' },
    referrals: { type: 'string' },
    'import-rows': { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    full: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-import': { type: 'boolean', default: false },
    'console-only': { type: 'boolean', default: false },
    'insights-only': { type: 'boolean', default: false },
    times: { type: 'string', default: '5' },
  },
  strict: true,
});
const settings = {
  entries: Number(args.entries ?? (args.full ? 1_000_000 : 200_000)),
  referrals: Number(args.referrals ?? (args.full ? 200_000 : 40_000)),
  importRows: Number(args['import-rows']),
  seconds: Number(args.seconds),
  connections: Number(args.connections),
  warmupSeconds: 2,
};
const DIR = path.join(root, '.data', 'bench-scale');
const DATABASE = 'crosstrust_scale_bench';
const RESULTS = path.join(root, 'bench', 'results');

/** The read scenarios: API path, who asks, and the same call on the service. */
const SCENARIOS = [
  {
    name: 'worklist origin, clinical review',
    kind: 'worklist',
    role: 'clinician',
    ods: 'RLQ',
    path: '/v1/referrals?side=origin&status=AWAITING_CLINICAL_REVIEW',
    service: 'referrals',
    q: { side: 'origin', status: ['AWAITING_CLINICAL_REVIEW'] },
  },
  {
    name: 'worklist receiving, booking',
    kind: 'worklist',
    role: 'booking_clerk',
    ods: 'RJC',
    path: '/v1/referrals?side=receiving&status=AWAITING_BOOKING,BOOKED',
    service: 'referrals',
    q: { side: 'receiving', status: ['AWAITING_BOOKING', 'BOOKED'] },
  },
  {
    name: 'worklist origin, consent, by priority',
    kind: 'worklist',
    role: 'clinician',
    ods: 'RLQ',
    path: '/v1/referrals?side=origin&status=AWAITING_PATIENT_CONSENT&sort=priority',
    service: 'referrals',
    q: { side: 'origin', status: ['AWAITING_PATIENT_CONSENT'], sort: 'priority' },
  },
  {
    name: 'worklist origin, 18+ weeks, T&O',
    kind: 'worklist',
    role: 'clinician',
    ods: 'RJC',
    path: '/v1/referrals?side=origin&status=AWAITING_CLINICAL_REVIEW&specialty=110&minWeeksWaited=18',
    service: 'referrals',
    q: { side: 'origin', status: ['AWAITING_CLINICAL_REVIEW'], specialty: '110', minWeeksWaited: 18 },
  },
  {
    name: 'worklist to-book',
    kind: 'worklist',
    role: 'booking_clerk',
    ods: 'RJC',
    path: '/v1/referrals?worklist=to-book',
    service: 'referrals',
    q: { worklist: 'to-book' },
  },
  {
    name: 'worklist booking-changed',
    kind: 'worklist',
    role: 'booking_clerk',
    ods: 'RJC',
    path: '/v1/referrals?worklist=booking-changed',
    service: 'referrals',
    q: { worklist: 'booking-changed' },
  },
  {
    name: 'worklist receiver-acceptance',
    kind: 'worklist',
    role: 'clinician',
    ods: 'RJC',
    path: '/v1/referrals?worklist=receiver-acceptance&sort=priority',
    service: 'referrals',
    q: { worklist: 'receiver-acceptance', sort: 'priority' },
  },
  {
    name: 'worklist needs-attention',
    kind: 'worklist',
    role: 'booking_clerk',
    ods: 'RLQ',
    path: '/v1/referrals?worklist=needs-attention',
    service: 'referrals',
    q: { worklist: 'needs-attention' },
  },
  { name: 'worklist counts (summary)', kind: 'worklist', role: 'booking_clerk', ods: 'RLQ', path: '/v1/referrals/summary', service: 'summary', q: {} },
  {
    name: 'long-waiters 52+ weeks',
    kind: 'long-waiters',
    role: 'clinician',
    ods: 'RLQ',
    path: '/v1/long-waiters?minWeeks=52',
    service: 'longWaiters',
    q: { minWeeks: 52 },
  },
  {
    name: 'long-waiters 52+ weeks, T&O',
    kind: 'long-waiters',
    role: 'clinician',
    ods: 'RLQ',
    path: '/v1/long-waiters?minWeeks=52&specialty=110',
    service: 'longWaiters',
    q: { minWeeks: 52, specialty: '110' },
  },
];

let apps = null;
const stops = [];
async function cleanup() {
  await Promise.all([apps?.api.stop(), apps?.worker.stop()]);
  await stopAll(10_000);
  for (const s of stops.reverse()) await s().catch((e) => log(`stop: ${e.message}`));
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: stopping everything the scale benchmark started`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------- the statements the API runs ----------

/**
 * Calls the built services (dist/) with a pool that records every statement sent, for each
 * scenario; returns [{ text, values }] per scenario. Nothing else is started (no Nest app).
 */
async function captureStatements(databaseUrl) {
  const { PrismaService } = await import('#persistence');
  const { ReferralQueries, LongWaiters } = await import('#workflow');
  const prisma = new PrismaService({ database: { url: databaseUrl, poolSize: 2 } });
  let recording = null;
  const wrap = (target) => {
    const original = target.query.bind(target);
    target.query = (config, values, cb) => {
      if (recording && (typeof config === 'string' || config?.text)) {
        const text = typeof config === 'string' ? config : config.text;
        if (!/^\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|DEALLOCATE)/i.test(text))
          recording.push({ text, values: (typeof config === 'object' && config.values) || values || [] });
      }
      return original(config, values, cb);
    };
  };
  // Every statement, by Prisma's adapter or plain SQL through the pool, runs on a pooled client.
  prisma.pool.on('connect', (client) => wrap(client));
  const { SiteNames } = await import('#workflow');
  const referrals = new ReferralQueries(prisma, new SiteNames(prisma));
  // The summary answers counts, not a page: wrapped to look like a list of one item.
  const summary = { list: async (caller) => ({ items: [await referrals.summary(caller)] }) };
  const services = { referrals, longWaiters: new LongWaiters(prisma), summary };
  const out = [];
  try {
    for (const s of SCENARIOS) {
      const caller = { sub: 'bench-scale', roles: [s.role], role: s.role, ods: s.ods, nhsNumber: null };
      await services[s.service].list(caller, s.q); // once unrecorded: Prisma connects and warms up
      recording = [];
      const res = await services[s.service].list(caller, s.q);
      out.push({ statements: recording, items: res.items.length });
      recording = null;
    }
  } finally {
    await prisma.$disconnect().catch(() => {});
    await prisma.pool.end().catch(() => {});
  }
  return out;
}

/** 50 connections, each running a scenario's statements in turn, for `seconds`. */
async function directLoop(databaseUrl, statements, { connections, seconds }) {
  const clients = [];
  for (let i = 0; i < connections; i++) {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    clients.push(c);
  }
  const run = async (c, until, lat) => {
    while (Date.now() < until) {
      const t = performance.now();
      for (const s of statements) await c.query({ text: s.text, values: s.values, rowMode: 'array' });
      lat?.push(performance.now() - t);
    }
  };
  try {
    let until = Date.now() + settings.warmupSeconds * 1000;
    await Promise.all(clients.map((c) => run(c, until, null)));
    const lat = [];
    const started = performance.now();
    until = Date.now() + seconds * 1000;
    await Promise.all(clients.map((c) => run(c, until, lat)));
    const elapsed = (performance.now() - started) / 1000;
    return { ...summary(lat), perSecond: lat.length / elapsed };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/** autocannon against one path with `headers` (a bearer token, a session cookie); latencies per request from its 'response' events. */
async function loadWith(url, headers, { connections, seconds }) {
  await autocannon({ url, connections, duration: settings.warmupSeconds, headers });
  const lat = [];
  const inst = autocannon({ url, connections, duration: seconds, headers });
  inst.on('response', (_client, _status, _bytes, ms) => lat.push(ms));
  const r = await inst;
  return { ...summary(lat), perSecond: r.requests.average, non2xx: r.non2xx, errors: r.errors + r.timeouts, total: r.requests.total };
}

/** A console session cookie for a person of `ods` in `role`, sealed by the built console's own code. */
async function consoleCookie(env, { role, ods, trustName }) {
  const { ConsoleSessions, SESSION_COOKIE } = await import(path.join(root, 'dist', 'apps', 'api', 'src', 'console', 'console-session.js'));
  const sessions = new ConsoleSessions({
    console: { sessionSecret: env.CONSOLE_SESSION_SECRET, idleMinutes: 30, absoluteHours: 12 },
    http: { publicBaseUrl: `http://127.0.0.1:${env.PORT}` },
  });
  const header = await sessions.sessionCookie(sessions.newSession({ sub: `bench-${role}`, name: 'Bench Person', roles: [role], ods, trustName }));
  return header.split(';')[0].replace(/^[^=]+=/, `${SESSION_COOKIE}=`);
}

/** The console's pages: each worklist page, home and the referral page, for the people who open them. */
async function consolePages(db, apps, env) {
  const people = {
    booking_clerk: await consoleCookie(env, { role: 'booking_clerk', ods: 'RLQ', trustName: 'Wye Valley NHS Trust' }),
    clinician: await consoleCookie(env, { role: 'clinician', ods: 'RLQ', trustName: 'Wye Valley NHS Trust' }),
    receivingClerk: await consoleCookie(env, { role: 'booking_clerk', ods: 'RJC', trustName: 'South Warwickshire' }),
    receivingClinician: await consoleCookie(env, { role: 'clinician', ods: 'RJC', trustName: 'South Warwickshire' }),
  };
  const { rows } = await db.query(`SELECT id FROM referral WHERE origin_ods = 'RLQ' AND status = 'AWAITING_BOOKING' ORDER BY rtt_clock_start LIMIT 1`);
  const pages = [
    { name: 'home (clerk)', path: '/console', who: 'booking_clerk' },
    { name: 'clinical review', path: '/console/worklists/clinical-review', who: 'clinician' },
    { name: 'clinical review, T&O 52+ weeks', path: '/console/worklists/clinical-review?specialty=110&weeks=52', who: 'clinician' },
    { name: 'receiver acceptance', path: '/console/worklists/receiver-acceptance', who: 'receivingClinician' },
    { name: 'to book', path: '/console/worklists/to-book', who: 'receivingClerk' },
    { name: 'bookings changed', path: '/console/worklists/booking-changed', who: 'receivingClerk' },
    { name: 'needs attention', path: '/console/worklists/needs-attention', who: 'booking_clerk' },
    { name: 'tasks', path: '/console/worklists/tasks', who: 'booking_clerk' },
    { name: 'long-waiters', path: '/console/worklists/long-waiters', who: 'booking_clerk' },
    ...(rows[0] ? [{ name: 'referral page', path: `/console/referrals/${rows[0].id}`, who: 'booking_clerk' }] : []),
  ];
  const out = [];
  for (const pg of pages) {
    const check = await fetch(apps.base + pg.path, { headers: { cookie: people[pg.who] }, redirect: 'manual' });
    if (check.status !== 200) throw new Error(`${pg.path}: HTTP ${check.status}`);
    const before = await serverHistogram(apps.base, env.METRICS_TOKEN);
    const load = await loadWith(apps.base + pg.path, { cookie: people[pg.who] }, settings);
    const server = serverTime(before, await serverHistogram(apps.base, env.METRICS_TOKEN));
    log(
      `console ${pg.name}: p50 ${n(load.p50)} p95 ${n(load.p95)} p99 ${n(load.p99)} ms, ${n(load.perSecond, 0)} pages/s; ` +
        `server p95 ${n(server.p95)} ms (${n(server.within50 * 100, 1)}% within 50 ms)`,
    );
    out.push({ ...pg, ...load, server });
  }
  return out;
}

/**
 * The insights views (docs/insights.md) as a trust admin opens them: each page, the weekly report and
 * its PDF, for the trust and for the whole group. Whole-table aggregates looked at a few times a
 * week, not under load: each is timed alone, `times` times in a row (the first with a cold cache).
 */
async function insightsViews(apps, env, times = 3) {
  const cookie = await consoleCookie(env, { role: 'trust_admin', ods: 'RLQ', trustName: 'Wye Valley NHS Trust' });
  const views = ['trust', 'group'].flatMap((scope) => [
    { name: `insights planning (${scope})`, path: `/console/insights?scope=${scope}` },
    { name: `insights equity (${scope})`, path: `/console/insights/equity?scope=${scope}` },
    { name: `weekly report HTML (${scope})`, path: `/console/insights/report?scope=${scope}` },
    { name: `weekly report PDF (${scope})`, path: `/console/insights/report.pdf?scope=${scope}` },
  ]);
  const out = [];
  for (const v of views) {
    const ms = [];
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      const res = await fetch(apps.base + v.path, { headers: { cookie }, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${v.path}: HTTP ${res.status}`);
      ms.push(performance.now() - t0);
    }
    log(`${v.name}: ${ms.map((x) => n(x)).join(', ')} ms`);
    out.push({ ...v, ms, worst: Math.max(...ms), best: Math.min(...ms) });
  }
  return out;
}

/**
 * The api's GET 200 histogram buckets (crosstrust_http_request_duration_seconds: time from the request's
 * arrival to the last byte written, by the api itself), summed over routes: le (s) -> cumulative count.
 */
async function serverHistogram(base, token, route = null) {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('crosstrust_http_request_duration_seconds_bucket{') || !line.includes('method="GET"') || !line.includes('status="200"')) continue;
    if (route !== null && !line.includes(`route="${route}"`)) continue;
    const le = /le="([^"]+)"/.exec(line)[1];
    const key = le === '+Inf' ? Infinity : Number(le);
    buckets.set(key, (buckets.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** Server-time p95 between two scrapes (linear within its bucket, as Prometheus's histogram_quantile) and the share within 50 ms. */
function serverTime(before, after) {
  const les = [...after.keys()].sort((a, b) => a - b);
  const cum = les.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = cum[cum.length - 1] ?? 0;
  const at = (q) => {
    const rank = q * total;
    for (let i = 0; i < les.length; i++) {
      if (cum[i] >= rank) {
        if (les[i] === Infinity) return les[i - 1] * 1000;
        const lo = i === 0 ? 0 : les[i - 1];
        const below = i === 0 ? 0 : cum[i - 1];
        return (lo + ((les[i] - lo) * (rank - below)) / Math.max(1, cum[i] - below)) * 1000;
      }
    }
    return NaN;
  };
  const i50 = les.indexOf(0.05);
  return { requests: total, p50: at(0.5), p95: at(0.95), within50: total ? cum[i50] / total : NaN };
}

/**
 * Step 8 (--insights-only): each insights page (console) and each chart's JSON (GET /v1/insights/{chart}),
 * trust and group scope, as a trust admin of RLQ opens them, each alone `times` times in a row. Client
 * time from here; server time from the api's histogram of that route alone (its buckets are coarse
 * above 250 ms: 0.5, 1, 2.5, 5 s; the p50/p95 are interpolated within them).
 */
async function insightsDetail(apps, env, keyFile, times) {
  const cookie = await consoleCookie(env, { role: 'trust_admin', ods: 'RLQ', trustName: 'Wye Valley NHS Trust' });
  const bearer = `Bearer ${await signDevToken(keyFile, { roles: ['trust_admin'], ods: 'RLQ' })}`;
  const { CHART_NAMES } = await import(path.join(root, 'dist', 'apps', 'api', 'src', 'insights', 'insights-model.js'));
  const views = ['trust', 'group'].flatMap((scope) => [
    { name: `page planning (${scope})`, path: `/console/insights?scope=${scope}`, route: '/console/insights', headers: { cookie } },
    { name: `page equity (${scope})`, path: `/console/insights/equity?scope=${scope}`, route: '/console/insights/equity', headers: { cookie } },
    ...CHART_NAMES.map((chart) => ({
      name: `json ${chart} (${scope})`,
      path: `/v1/insights/${chart}?scope=${scope}`,
      route: '/v1/insights/:chart',
      headers: { authorization: bearer },
    })),
  ]);
  const out = [];
  for (const v of views) {
    const ms = [];
    const before = await serverHistogram(apps.base, env.METRICS_TOKEN, v.route);
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      const res = await fetch(apps.base + v.path, { headers: v.headers, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${v.path}: HTTP ${res.status}`);
      ms.push(performance.now() - t0);
    }
    const server = serverTime(before, await serverHistogram(apps.base, env.METRICS_TOKEN, v.route));
    const client = summary(ms);
    log(`${v.name}: ${ms.map((x) => n(x)).join(', ')} ms; server p50 ${n(server.p50)} p95 ${n(server.p95)} ms`);
    out.push({ name: v.name, path: v.path, ms, client, server, worst: Math.max(...ms) });
  }
  return out;
}

/** The worker's first refresh of the insights' figures since `since`: its rows, each kind's time. */
async function waitForRefresh(db, since, seconds = 900) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const r = await db.query(
      `SELECT kind, scope, compute_ms FROM insight_figures WHERE computed_at = (SELECT computed_at FROM insight_figures WHERE kind = 'refresh' AND scope = 'group' AND computed_at >= $1) ORDER BY kind, scope`,
      [since],
    );
    if (r.rows.length) return r;
    await sleep(1000);
  }
  throw new Error(`the worker did not refresh the insights' figures within ${seconds} s`);
}

/** EXPLAIN (ANALYZE, BUFFERS) of each statement; notes the indexes used and any sequential scan. */
async function explain(client, statements) {
  const plans = [];
  for (const s of statements) {
    const { rows } = await client.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, values: s.values });
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    const indexes = [
      ...new Set([...plan.matchAll(/(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) "?([\w.]+)"?/g)].map((m) => m[1])),
    ];
    const seqScans = [...new Set([...plan.matchAll(/Seq Scan on "?([\w.]+)"?/g)].map((m) => m[1]))];
    const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]);
    // A Sort node: the index filters but does not give the order (all matching rows are read and sorted).
    const sorted = /->\s+(?:Incremental )?Sort\b|^(?:Incremental )?Sort\b/m.test(plan);
    plans.push({ sql: s.text, values: s.values, plan, indexes, seqScans, sorted, executionMs });
  }
  return plans;
}

// ---------- import ----------

const FAMILY = ['Smith', 'Jones', 'Taylor', 'Brown', 'Davies', 'Evans', 'Price', 'Watkins', 'Morgan', "O'Brien"];
const GIVEN = ['Mary', 'Owen', 'Ellen', 'Dylan', 'Oliver', 'Amelia', 'George', 'Isla'];
const DISTRICTS = ['HR1', 'HR2', 'HR4', 'HR6', 'HR9'];

/** A valid PTL extract for RLQ with `rows` new pathways; returns its path and size. */
async function writeCsv(file, rows, tag) {
  const out = createWriteStream(file);
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
  let n = 0;
  const nhs = () => {
    for (;;) {
      const number = withCheckDigit(String(960000000 + n++));
      if (number) return number;
    }
  };
  let buf =
    'nhs_number,family_name,given_name,date_of_birth,postcode,gp_practice_ods,specialty_code,procedure_code,rtt_clock_start,pathway_id,priority,next_appointment_date\n';
  for (let i = 0; i < rows; i++) {
    const [spec, , procs] = SPECIALTIES[i % SPECIALTIES.length];
    const weeks = (i * 7919) % 131;
    const fam = FAMILY[i % FAMILY.length];
    buf += `${nhs()},"${fam}",${GIVEN[i % GIVEN.length]},${1940 + (i % 70)}-0${1 + (i % 9)}-1${i % 10},${DISTRICTS[i % 5]} ${1 + (i % 9)}AB,M81${String(i % 1000).padStart(3, '0')},${spec},${procs[i % procs.length]},${iso(today - (weeks * 7 + (i % 7)) * 864e5)},RLQ-${tag}-${i},P${1 + (i % 4 === 0 ? 2 : 3)},${i % 3 === 0 ? iso(today + (1 + (i % 60)) * 864e5) : ''}\n`;
    if (buf.length > 256 * 1024) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return statSync(file).size;
}

function upload(base, token, file, bytes) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/waiting-list/imports?mode=partial`,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv; charset=utf-8', 'content-length': bytes } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          res.statusCode === 202 ? resolve(JSON.parse(body)) : reject(new Error(`import upload: HTTP ${res.statusCode} ${body.slice(0, 300)}`)),
        );
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

async function importThroughApi(base, token, file, bytes) {
  const t0 = performance.now();
  const view = await upload(base, token, file, bytes);
  const stagedSeconds = (performance.now() - t0) / 1000;
  for (;;) {
    const res = await fetch(`${base}/v1/waiting-list/imports/${view.id}?errorsLimit=5`, { headers: { authorization: `Bearer ${token}` } });
    const v = await res.json();
    if (v.status === 'completed' || v.status === 'failed') {
      const seconds = (performance.now() - t0) / 1000;
      return {
        id: view.id,
        status: v.status,
        stagedSeconds,
        seconds,
        rowsRead: v.rowsRead,
        accepted: v.accepted,
        rejected: v.rejected,
        failureReason: v.failureReason ?? null,
        errors: v.errors?.items?.slice(0, 5) ?? [],
      };
    }
    await sleep(200);
  }
}

/** The machine's limit: COPY of the same file into a text table, and into one shaped like waiting_list_entry. */
async function rawCopy(client, file) {
  const cols =
    'nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, next_appointment_date';
  await client.query(`DROP TABLE IF EXISTS bench_scale_text, bench_scale_entry`);
  await client.query(
    `CREATE TABLE bench_scale_text (${cols
      .split(', ')
      .map((c) => `${c} text`)
      .join(', ')})`,
  );
  await client.query(`CREATE TABLE bench_scale_entry (LIKE waiting_list_entry INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS)`);
  await client.query(
    `ALTER TABLE bench_scale_entry ALTER origin_ods SET DEFAULT 'RLQ', ALTER last_seen_seq SET DEFAULT 0, DROP CONSTRAINT IF EXISTS waiting_list_entry_referral_fkey`,
  );
  const timed = async (sql) => {
    const t = performance.now();
    await pipeline(createReadStream(file), client.query(copyStreams.from(sql)));
    return (performance.now() - t) / 1000;
  };
  const text = await timed(`COPY bench_scale_text (${cols}) FROM STDIN WITH (FORMAT csv, HEADER true)`);
  const typed = await timed(`COPY bench_scale_entry (${cols}) FROM STDIN WITH (FORMAT csv, HEADER true)`);
  await client.query(`DROP TABLE bench_scale_text, bench_scale_entry`);
  return { textSeconds: text, typedIndexedSeconds: typed };
}

// ---------- report ----------

/** Declares T&O capacity at two sites (26 weeks from next Monday), then times 5 matching runs. */
async function matchingRuns(base, keyFile, runs = 5) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + 7 - ((d.getUTCDay() + 6) % 7));
  const from = d.toISOString().slice(0, 10);
  const to = new Date(d.getTime() + (26 * 7 - 1) * 86_400_000).toISOString().slice(0, 10);
  const call = async (method, url, token, body) => {
    const res = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return json;
  };
  for (const [ods, siteOds] of [
    ['RJC', 'RJC08'],
    ['RLT', 'RLT01'],
  ]) {
    await call('PUT', '/v1/capacity/' + ods + '/110', await signDevToken(keyFile, { roles: ['trust_admin'], ods }), {
      weeklySlots: 200,
      fromDate: from,
      toDate: to,
      siteOds,
    });
  }
  const admin = await signDevToken(keyFile, { roles: ['trust_admin'], ods: 'RLQ' });
  const body = { specialtyCode: '110', minWeeks: 18, horizonWeeks: 26 };
  const wall = [];
  const server = [];
  let last = null;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await call('POST', '/v1/matching/runs', admin, body);
    wall.push(performance.now() - t0);
    server.push(last.durationMs);
  }
  const r = last.result;
  return {
    body,
    runs,
    wall: summary(wall),
    serverMs: summary(server),
    freeSlots: r.freeSlots,
    cohortSize: r.cohortSize,
    proposed: r.proposed,
    scanned: r.scanned,
    bands: r.bands,
  };
}

const n = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : round(x, d).toLocaleString('en-GB'));
function report(r) {
  const L = [];
  L.push(
    '',
    `crosstrust scale benchmark ${r.startedAt}: ${r.machine.cpus} CPUs, load average at start ${r.machine.loadAverageAtStart.join(' ')}, at end ${r.machine.loadAverageAtEnd.join(' ')}`,
  );
  L.push(
    `data set: ${r.dataSet.entries.toLocaleString('en-GB')} waiting-list entries, ${r.dataSet.referrals.toLocaleString('en-GB')} referrals (${r.dataSet.rows.toLocaleString('en-GB')} rows${r.dataSet.seconds ? `, loaded in ${n(r.dataSet.seconds)} s = ${n(r.dataSet.rowsPerSecond, 0)} rows/s` : ', reused'})`,
  );
  if (r.reads.length) {
    L.push(
      '',
      `Reads: API (autocannon, ${settings.connections} connections, ${settings.seconds} s) vs the same SQL direct (${settings.connections} pg connections)`,
    );
    L.push(
      `  ${'scenario'.padEnd(40)} ${'API p50/p95/p99 ms'.padEnd(22)} ${'API req/s'.padStart(9)}  ${'SQL p50/p95/p99 ms'.padEnd(22)} ${'SQL q/s'.padStart(8)}  ${'p95 ratio'.padStart(9)}  index used`,
    );
    for (const s of r.reads) {
      const a = s.api;
      const d = s.direct;
      L.push(
        `  ${s.name.padEnd(40)} ${`${n(a.p50)}/${n(a.p95)}/${n(a.p99)}`.padEnd(22)} ${n(a.perSecond, 0).padStart(9)}  ${`${n(d.p50)}/${n(d.p95)}/${n(d.p99)}`.padEnd(22)} ${n(d.perSecond, 0).padStart(8)}  ${`${n(s.ratioP95, 2)}x`.padStart(9)}  ` +
          s.explain
            .map(
              (p) =>
                (p.indexes.length ? p.indexes.join('+') : 'NONE') +
                (p.sorted ? ' + sort' : '') +
                (p.seqScans.length ? ` (seq scan: ${p.seqScans.join(',')})` : ''),
            )
            .join('; ') +
          (a.non2xx || a.errors ? `  [${a.non2xx} non-2xx, ${a.errors} errors]` : ''),
      );
    }
  }
  if (r.consolePages?.length) {
    L.push('', `Console pages, as a signed-in person (autocannon, ${settings.connections} connections, ${settings.seconds} s)`);
    L.push(`  ${'page'.padEnd(40)} ${'p50/p95/p99 ms'.padEnd(22)} ${'pages/s'.padStart(9)}  server p95 ms (share within 50 ms)`);
    for (const pg of r.consolePages)
      L.push(
        `  ${pg.name.padEnd(40)} ${`${n(pg.p50)}/${n(pg.p95)}/${n(pg.p99)}`.padEnd(22)} ${n(pg.perSecond, 0).padStart(9)}  ${n(pg.server.p95)} (${n(pg.server.within50 * 100, 1)}%)` +
          (pg.non2xx || pg.errors ? `  [${pg.non2xx} non-2xx, ${pg.errors} errors]` : ''),
      );
  }
  if (r.insightsRefresh)
    L.push(
      '',
      `Insights refresh (the worker, at boot): ${r.insightsRefresh.rows} rows in ${n(r.insightsRefresh.computeMs / 1000)} s; by kind (ms): ` +
        r.insightsRefresh.byKind.map((k) => `${k.kind} ${k.scope} ${k.compute_ms}`).join(', '),
    );
  if (r.insightsDetail?.length) {
    L.push('', `Insights pages and JSON, as a trust admin of RLQ, each alone ${r.insightsDetail[0].ms.length} times`);
    L.push(`  ${'view'.padEnd(40)} ${'client p50/p95/max ms'.padEnd(26)} server p50/p95 ms`);
    for (const v of r.insightsDetail)
      L.push(`  ${v.name.padEnd(40)} ${`${n(v.client.p50)}/${n(v.client.p95)}/${n(v.worst)}`.padEnd(26)} ${n(v.server.p50)}/${n(v.server.p95)}`);
  }
  const i = r.import;
  if (i) {
    L.push('', `Import: ${i.rows.toLocaleString('en-GB')} rows (${n(i.bytes / 2 ** 20)} MB CSV)`);
    L.push(
      `  through the API (POST, staged in ${n(i.api.stagedSeconds, 2)} s; completed in ${n(i.api.seconds, 2)} s): ${n(i.rows / i.api.seconds, 0)} rows/s, status ${i.api.status}, accepted ${i.api.accepted}, rejected ${i.api.rejected}`,
    );
    L.push(
      `  raw COPY into a text table: ${n(i.copy.textSeconds, 2)} s = ${n(i.rows / i.copy.textSeconds, 0)} rows/s; into a waiting_list_entry-shaped table with its indexes: ${n(i.copy.typedIndexedSeconds, 2)} s = ${n(i.rows / i.copy.typedIndexedSeconds, 0)} rows/s`,
    );
    L.push(`  API / raw COPY (indexed): ${n(i.api.seconds / i.copy.typedIndexedSeconds, 1)}x the time`);
  }
  const m = r.matching;
  if (m) {
    L.push('', `Matching run: POST /v1/matching/runs ${JSON.stringify(m.body)}, ${m.runs} runs`);
    L.push(
      `  wall p50/max ${n(m.wall.p50)}/${n(m.wall.max)} ms (server ${n(m.serverMs.p50)}/${n(m.serverMs.max)} ms); cohort ${m.cohortSize.toLocaleString('en-GB')}, free slots ${m.freeSlots.toLocaleString('en-GB')}, proposed ${m.proposed.toLocaleString('en-GB')}, read ${m.scanned.toLocaleString('en-GB')}`,
    );
    L.push(
      `  bands (waiting/cleared): ${m.bands.map((b) => `${b.band}+ ${b.waiting.toLocaleString('en-GB')}/${b.cleared.toLocaleString('en-GB')}`).join(', ')}`,
    );
  }
  L.push('', 'Targets (issue #5; stated for 1M entries)');
  for (const t of r.targets) L.push(`  ${t.name.padEnd(52)} ${t.value.padEnd(16)} ${t.met ? 'met' : 'NOT met'}`);
  L.push('');
  return L.join('\n');
}

async function main() {
  const startedAt = new Date();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
  };
  if (args['no-build']) log('--no-build: using dist/ as it is');
  else ensureBuilt();

  const pgInfo = await startPostgres(path.join(DIR, 'pg'));
  stops.push(pgInfo.stop);
  const redis = await startRedis(path.join(DIR, 'redis'));
  stops.push(redis.stop);
  const databaseUrl = await ensureDatabase(pgInfo, DATABASE, { recreate: !args.reuse });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  stops.push(() => db.end());

  log('Migrating and seeding');
  await prepareDatabase(databaseUrl);
  let dataSet;
  const have = Number((await db.query(`SELECT count(*) FROM waiting_list_entry`)).rows[0].count);
  if (args.reuse && have > 0) {
    const refs = Number((await db.query(`SELECT count(*) FROM referral`)).rows[0].count);
    dataSet = { entries: have, referrals: refs, rows: have + refs, seconds: null, reused: true };
    log(`--reuse: ${have} entries and ${refs} referrals already there`);
  } else {
    log(`seed:scale: ${settings.entries} entries, ${settings.referrals} referrals`);
    dataSet = await seedScale(databaseUrl, { entries: settings.entries, referrals: settings.referrals });
    log(`seed:scale: ${dataSet.rows} rows in ${dataSet.seconds.toFixed(1)} s (${Math.round(dataSet.rowsPerSecond)} rows/s)`);
  }

  const keyFile = path.join(DIR, 'dev-issuer.json');
  const env = {
    ...(await benchAppEnv({ databaseUrl, redisUrl: `redis://127.0.0.1:${redis.port}`, queuePrefix: '{bench-scale}', keyFile })),
    // The console's pages are measured with a session cookie sealed here; nobody signs in.
    OIDC_ISSUER_URL: 'http://127.0.0.1:9/not-used',
    OIDC_CLIENT_ID: 'bench',
    OIDC_CLIENT_SECRET: 'bench',
    CONSOLE_SESSION_SECRET: randomBytes(32).toString('hex'),
    // The api's own request histogram gives each page's server time (scraped before and after each page's load).
    METRICS_TOKEN: randomBytes(24).toString('hex'),
  };
  log('Capturing the statements the services run (dist/)');
  const captured = await captureStatements(databaseUrl);
  apps = await startApps(env);
  log(`api (pid ${apps.api.pid}) and worker (pid ${apps.worker.pid}) ready on ${apps.base}`);

  const reads = [];
  const explainText = [];
  const only = args['console-only'] || args['insights-only'];
  for (const [k, s] of only ? [] : SCENARIOS.entries()) {
    const token = await signDevToken(keyFile, { roles: [s.role], ods: s.ods });
    const { statements, items } = captured[k];
    const check = await fetch(apps.base + s.path, { headers: { authorization: `Bearer ${token}` } });
    const body = await check.json();
    if (!check.ok) throw new Error(`${s.path}: HTTP ${check.status} ${JSON.stringify(body).slice(0, 300)}`);
    const perPage = body.items?.length ?? 1;
    log(`${s.name}: ${perPage} items per page (service call: ${items}); ${statements.length} statement(s)`);
    const api = await loadWith(apps.base + s.path, { authorization: `Bearer ${token}` }, settings);
    log(`  API: p50 ${n(api.p50)} p95 ${n(api.p95)} p99 ${n(api.p99)} ms, ${n(api.perSecond, 0)} req/s`);
    const direct = await directLoop(databaseUrl, statements, settings);
    log(`  SQL: p50 ${n(direct.p50)} p95 ${n(direct.p95)} p99 ${n(direct.p99)} ms, ${n(direct.perSecond, 0)} per s`);
    const plans = await explain(db, statements);
    explainText.push(
      `=== ${s.name}: GET ${s.path} (as ${s.role} ${s.ods})`,
      ...plans.flatMap((p) => [
        '',
        p.sql,
        `-- values: ${JSON.stringify(p.values)}`,
        '',
        p.plan,
        `-- indexes used: ${p.indexes.join(', ') || 'none'}; sequential scans: ${p.seqScans.join(', ') || 'none'}; sort node: ${p.sorted ? 'yes' : 'no'}`,
      ]),
      '',
      '',
    );
    reads.push({
      name: s.name,
      kind: s.kind,
      path: s.path,
      role: s.role,
      ods: s.ods,
      itemsPerPage: perPage,
      api,
      direct,
      ratioP95: api.p95 / direct.p95,
      explain: plans.map(({ plan, ...rest }) => ({ ...rest, planLines: plan.split('\n').length })),
    });
  }

  let pages = [];
  if (!args['insights-only']) {
    log(`Console pages: ${settings.connections} connections, ${settings.seconds} s each`);
    pages = await consolePages(db, apps, env);
  }

  let insights = null;
  let insightsViewsDetail = null;
  let matching = null;
  let insightsRefresh = null;
  if (args['insights-only']) {
    // Where the views read kept figures (insight_figures), the worker refreshes them at boot: measured
    // once that refresh is in, as the pages are used, and how long the refresh took.
    if ((await db.query(`SELECT to_regclass('insight_figures') AS t`)).rows[0].t) {
      const t0 = Date.now();
      const { rows } = await waitForRefresh(db, startedAt);
      const whole = rows.find((r) => r.kind === 'refresh');
      insightsRefresh = { waitedMs: Date.now() - t0, rows: rows.length - 1, computeMs: whole.compute_ms, byKind: rows.filter((r) => r !== whole) };
      log(
        `insights figures refreshed by the worker: ${rows.length - 1} rows in ${n(whole.compute_ms / 1000)} s (waited ${n(insightsRefresh.waitedMs / 1000)} s)`,
      );
    }
    log(`Insights pages and JSON: each alone, ${args.times} times`);
    insightsViewsDetail = await insightsDetail(apps, env, keyFile, Number(args.times));
  } else if (!args['console-only']) {
    log('Insights views: each alone, 3 times');
    insights = await insightsViews(apps, env);

    log('Matching run: declaring T&O capacity, then 5 runs');
    matching = await matchingRuns(apps.base, keyFile);
    log(
      `  p50 ${n(matching.wall.p50)} ms (server ${n(matching.serverMs.p50)} ms): ${matching.proposed} of ${matching.cohortSize} proposed, ${matching.scanned} read`,
    );
  }

  mkdirSync(RESULTS, { recursive: true });
  let importResult = null;
  if (!args['no-import'] && !only) {
    const csv = path.join(DIR, 'import.csv');
    const tag = `I${Date.now().toString(36).toUpperCase()}`;
    const bytes = await writeCsv(csv, settings.importRows, tag);
    log(`Import: ${settings.importRows} rows, ${(bytes / 2 ** 20).toFixed(1)} MB; raw COPY first`);
    const copy = await rawCopy(db, csv);
    const importToken = await signDevToken(keyFile, { roles: ['booking_clerk'], ods: 'RLQ' });
    log('Import through the API');
    const api = await importThroughApi(apps.base, importToken, csv, bytes);
    log(`  ${api.status} in ${api.seconds.toFixed(2)} s: ${api.accepted} accepted, ${api.rejected} rejected`);
    importResult = { rows: settings.importRows, bytes, api, copy };
  }

  const worstWorklistP95 = Math.max(...reads.filter((x) => x.kind === 'worklist').map((x) => x.api.p95));
  const worstRatio = Math.max(...reads.map((x) => x.ratioP95));
  const result = {
    startedAt: startedAt.toISOString(),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)) },
    settings,
    appEnv: reportedAppSettings(env),
    dataSet,
    reads,
    consolePages: pages,
    insights,
    insightsDetail: insightsViewsDetail,
    insightsRefresh,
    import: importResult,
    matching,
    targets: [
      ...(importResult
        ? [
            {
              name: `${settings.importRows}-row import through the API < 15 s`,
              value: `${n(importResult.api.seconds, 1)} s`,
              met: importResult.api.status === 'completed' && importResult.api.seconds < 15,
            },
          ]
        : []),
      ...(reads.length
        ? [
            { name: 'worklist p95 (API, worst scenario) < 25 ms', value: `${n(worstWorklistP95)} ms`, met: worstWorklistP95 < 25 },
            { name: 'API p95 / direct SQL p95 (worst scenario) <= 3x', value: `${n(worstRatio, 2)}x`, met: worstRatio <= 3 },
          ]
        : []),
      ...(pages.length
        ? [
            {
              name: 'console page p95 (worst page) < 50 ms',
              value: `${n(Math.max(...pages.map((x) => x.p95)))} ms`,
              met: Math.max(...pages.map((x) => x.p95)) < 50,
            },
          ]
        : []),
      ...(insights
        ? [
            {
              name: 'insights view (worst, HTML pages; PDF apart) < 2 s',
              value: `${n(Math.max(...insights.filter((x) => !x.path.includes('.pdf')).map((x) => x.worst)))} ms`,
              met: Math.max(...insights.filter((x) => !x.path.includes('.pdf')).map((x) => x.worst)) < 2000,
            },
          ]
        : []),
      ...(insightsViewsDetail
        ? [
            {
              name: 'insights page or JSON (worst load) < 2 s',
              value: `${n(Math.max(...insightsViewsDetail.map((x) => x.worst)))} ms`,
              met: Math.max(...insightsViewsDetail.map((x) => x.worst)) < 2000,
            },
          ]
        : []),
      ...(pages.length
        ? [
            {
              name: 'console page server-time p95 (worst page) < 50 ms',
              value: `${n(Math.max(...pages.map((x) => x.server.p95)))} ms`,
              met: Math.max(...pages.map((x) => x.server.p95)) < 50,
            },
          ]
        : []),
    ],
    logs: {
      warnings: apps.api.warnings + apps.worker.warnings,
      errors: apps.api.errors + apps.worker.errors,
      last: [...apps.api.lastProblems, ...apps.worker.lastProblems],
    },
  };
  process.stdout.write(report(result));
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(path.join(RESULTS, `${stamp}-scale.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(path.join(RESULTS, `${stamp}-scale-explain.txt`), explainText.join('\n'));
  log(`Results written to bench/results/${stamp}-scale.json and ${stamp}-scale-explain.txt`);
  if (result.logs.errors > 0) log(`api/worker error lines: ${result.logs.last.join('\n')}`);
}

let code = 0;
try {
  await main();
} catch (e) {
  log(`Scale benchmark failed: ${e.stack ?? e}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
