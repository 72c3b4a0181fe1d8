// `npm run bench:request-cost`: what one HTTP request costs the api in CPU, route by route, with
// nothing else busy: one api process (no worker), a few connections (autocannon), the api's
// user + system CPU from /proc over the measured seconds divided by the requests answered.
// It separates what every request pays (Nest, Fastify, logging, security headers: a route that
// does nothing) from what a route adds (the token, the rate limit, SQL, the JSON of a referral).
// Its own Postgres and Redis in .data/request-cost/ (so it can run beside `npm run bench`'s
// folder), a fresh database with the seed's demo referrals. Writes
// bench/results/<timestamp>-request-cost.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { ensureServices, log, prisma, root } from '../scripts/lib/local-services.mjs';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { signDevToken } from '../scripts/lib/dev-issuer.mjs';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';
import { seed } from '../prisma/seed.mjs';
import { App, benchAppEnv, waitReady } from './lib/apps.mjs';
import { cpuMs, machineBusyMs } from './lib/sampler.mjs';
import { round } from './lib/stats.mjs';

const { values: args } = parseArgs({ options: { 'no-build': { type: 'boolean' } }, strict: true });
const SECONDS = Number(process.env.BENCH_REQUEST_SECONDS || 8);
const CONNECTIONS = Number(process.env.BENCH_REQUEST_CONNECTIONS || 4);

/** A valid (mod 11) NHS number from the 999 test range, distinct for each n. */
function nhsNumber(n) {
  for (let k = n; ; k++) {
    const number = withCheckDigit(String(999_300_000 + k));
    if (number) return { number, next: k + 1 };
  }
}

if (!args['no-build']) ensureBuilt();
const services = await ensureServices('request-cost', { database: 'crosstrust', recreateDatabase: true });
let api = null;
let stopping = null;
/** Stops the api, then Postgres and Redis, once (at the end, on a failure, and on Ctrl-C). */
const cleanup = () =>
  (stopping ??= (async () => {
    await api?.stop();
    await services.stop();
  })());
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().finally(() => process.exit(130)));
try {
  const env = await benchAppEnv({
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    queuePrefix: '{request-cost}',
    keyFile: path.join(root, '.data', 'request-cost', 'dev-issuer.json'),
  });
  prisma(['migrate', 'deploy'], env);
  await seed(services.databaseUrl, { demoReferrals: true });
  api = new App('api', 'api', env);
  const base = await waitReady(env, [api]);
  const db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
  const referralId = (await db.query(`SELECT id FROM referral WHERE origin_ods = 'RLQ' ORDER BY created_at LIMIT 1`)).rows[0]?.id;
  await db.end();
  if (!referralId) throw new Error('the seed made no referral of RLQ');
  const auth = async (roles, ods) => ({
    authorization: `Bearer ${await signDevToken(env.AUTH_DEV_KEY_FILE, { roles, ods, sub: `request-cost-${roles[0]}` })}`,
  });
  const clinician = await auth(['clinician'], 'RLQ');
  const clerk = await auth(['booking_clerk'], 'RLQ');

  // Opening a referral is the one command that can be repeated without end: each request a new patient and pathway.
  let nextNhs = 0;
  let pathway = 0;
  const openBody = () => {
    const { number, next } = nhsNumber(nextNhs);
    nextNhs = next;
    return JSON.stringify({
      patient: {
        nhsNumber: number,
        familyName: 'Costpatient',
        givenName: 'Sam',
        dateOfBirth: '1960-05-01',
        postcode: 'HR1 2ER',
        gpPracticeOds: 'M81001',
        email: 'sam@example.com',
      },
      specialtyCode: '110',
      procedureCode: 'W371',
      rttClockStart: '2025-01-06',
      pathwayId: `COST-${process.pid}-${pathway++}`,
      priority: 'P4',
    });
  };
  const routes = [
    { name: 'GET /health/live (does nothing)', method: 'GET', path: '/health/live', headers: {} },
    { name: 'GET /v1/referrals/:id (the view)', method: 'GET', path: `/v1/referrals/${referralId}`, headers: clinician },
    { name: 'GET /v1/referrals (worklist, 25)', method: 'GET', path: '/v1/referrals?side=origin&limit=25', headers: clerk },
    { name: 'POST /v1/referrals (open)', method: 'POST', path: '/v1/referrals', headers: { ...clerk, 'content-type': 'application/json' }, body: openBody },
  ];
  const results = [];
  for (const r of routes) {
    const request = { method: r.method, path: r.path, headers: r.headers, ...(r.body ? { setupRequest: (req) => ({ ...req, body: r.body() }) } : {}) };
    const cannon = (seconds) => autocannon({ url: base, connections: CONNECTIONS, duration: seconds, requests: [request] });
    await cannon(2); // warm-up: JIT, pools, caches
    const cpu0 = cpuMs(api.pid);
    const machine0 = machineBusyMs();
    const out = await cannon(SECONDS);
    const apiMs = cpuMs(api.pid) - cpu0;
    const machineMs = machineBusyMs() - machine0;
    const n = out.requests.total;
    results.push({
      route: r.name,
      requests: n,
      perSecond: n / SECONDS,
      non2xx: out.non2xx,
      apiCpuMsPerRequest: apiMs / n,
      machineCpuMsPerRequest: machineMs / n,
      latencyMs: { p50: out.latency.p50, p99: out.latency.p99 },
    });
    log(
      `${r.name}: ${n} requests, ${(n / SECONDS).toFixed(0)}/s, api CPU ${(apiMs / n).toFixed(3)} ms a request${out.non2xx ? `, ${out.non2xx} not 2xx` : ''}`,
    );
  }
  const w = Math.max(...results.map((r) => r.route.length));
  process.stdout.write(
    [
      '',
      `CPU per request, one api process, ${CONNECTIONS} connections, ${SECONDS} s a route`,
      `  ${'route'.padEnd(w)}  ${'req/s'.padStart(6)}  ${'api CPU ms'.padStart(10)}  ${'machine CPU ms'.padStart(14)}  ${'p50 / p99 ms'.padStart(12)}`,
      ...results.map(
        (r) =>
          `  ${r.route.padEnd(w)}  ${String(round(r.perSecond, 0)).padStart(6)}  ${String(round(r.apiCpuMsPerRequest, 3)).padStart(10)}  ${String(round(r.machineCpuMsPerRequest, 3)).padStart(14)}  ${`${r.latencyMs.p50} / ${r.latencyMs.p99}`.padStart(12)}`,
      ),
      '',
    ].join('\n'),
  );
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-request-cost.json`);
  writeFileSync(file, JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, results }, null, 2) + '\n');
  log(`Results written to ${path.relative(root, file)}`);
  if (results.some((r) => r.non2xx > 0)) process.exitCode = 1;
} finally {
  await cleanup();
}
