// `npm run bench` (`-- --quick` for a fast check): in one run, on one Postgres and one Redis it
// starts itself in .data/bench/, measures
//   1. the machine's limits: pgbench (TPC-B-like) and plain BullMQ;
//   2. crosstrust as deployed (api and worker processes from dist/), driven through the HTTP API
//      by a load generator in its own process: at its peak (a fixed number of journeys in flight),
//      then at half of that peak rate;
// and prints a table and the ratios, and writes bench/results/<timestamp>.json (and latest.json).
// `--soak` (or `--soak-minutes N`) runs the soak instead: no limits, the peak (or BENCH_SOAK_RATE),
// then half of the peak for 10 minutes (N), sampled, judged and written to <timestamp>-soak.json;
// the process exits non-zero when a check of it fails (bench/lib/soak.mjs).
// Every process it started is stopped at the end, on failure and on Ctrl-C. docs/benchmarks.md
// explains each figure.
import { fork } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, log, prisma, root } from '../scripts/lib/local-services.mjs';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { seed } from '../prisma/seed.mjs';
import { BENCH_DIR, adminClient, observerUrl, startBenchServices } from './lib/services.mjs';
import { dropPgbench, runBullmqBaseline, runPgbench } from './lib/limits.mjs';
import { benchAppEnv, reportedAppSettings, startApps } from './lib/apps.mjs';
import { Sampler } from './lib/sampler.mjs';
import { measurePhase, queueLag, resetStatements, statements, tableWrites, tableWritesBetween, waitDrained } from './lib/measure.mjs';
import { formatReport } from './lib/report.mjs';
import { stopAll, stopChild, track } from './lib/children.mjs';
import { SoakSampler, analyseSoak, formatSoakReport } from './lib/soak.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'no-build': { type: 'boolean' },
    soak: { type: 'boolean' },
    'soak-minutes': { type: 'string' },
    'also-fsync-off': { type: 'boolean' },
    'fsync-off': { type: 'boolean' },
  },
  strict: true,
});
const quick = args.quick === true;
/** --no-build: run the dist/ there is (for instance while sources are mid-edit and do not compile). */
const noBuild = args['no-build'] === true || process.env.BENCH_NO_BUILD === '1';
/** --soak, or --soak-minutes N: the soak instead of the benchmark. */
const soak = args.soak === true || args['soak-minutes'] !== undefined;
/** --also-fsync-off: after the durable run, the same again with fsync, synchronous_commit and full_page_writes off. */
const alsoFsyncOff = args['also-fsync-off'] === true || process.env.BENCH_ALSO_FSYNC_OFF === '1';
/** --fsync-off: only the fsync-off setting (the runs recorded before issue 20 were all of this kind). */
const fsyncOffOnly = args['fsync-off'] === true;
const int = (name, full, fast) => {
  const v = process.env[name];
  return v ? Number(v) : quick ? fast : full;
};
const settings = {
  pgbenchScale: int('BENCH_PGBENCH_SCALE', 10, 10),
  pgbenchClients: int('BENCH_PGBENCH_CLIENTS', 8, 8),
  pgbenchSeconds: int('BENCH_PGBENCH_SECONDS', 20, 5),
  bullmqJobs: int('BENCH_BULLMQ_JOBS', 20_000, 2_000),
  bullmqConcurrency: int('BENCH_BULLMQ_CONCURRENCY', 50, 50),
  referrals: int('BENCH_REFERRALS', 2_000, 300),
  concurrency: int('BENCH_CONCURRENCY', 32, 32),
  warmupReferrals: int('BENCH_WARMUP_REFERRALS', 50, 20),
  halfPeakSeconds: int('BENCH_HALF_SECONDS', 30, 10),
};
if (soak) {
  const positive = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${v}")`);
    return n;
  };
  settings.soakMinutes = positive('--soak-minutes', args['soak-minutes'] ?? process.env.BENCH_SOAK_MINUTES ?? 10);
  /** Referrals/s to offer; without it the peak phase runs and the soak offers half of its rate. */
  settings.soakRate = process.env.BENCH_SOAK_RATE ? positive('BENCH_SOAK_RATE', process.env.BENCH_SOAK_RATE) : null;
  settings.soakSampleSeconds = positive('BENCH_SOAK_SAMPLE_SECONDS', process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 5);
  /** Not judged: memory settles to the half-peak load first (at most half of the soak). */
  settings.soakWarmupSeconds = Math.min(positive('BENCH_SOAK_WARMUP_SECONDS', process.env.BENCH_SOAK_WARMUP_SECONDS ?? 60), (settings.soakMinutes * 60) / 2);
  for (const k of ['pgbenchScale', 'pgbenchClients', 'pgbenchSeconds', 'bullmqJobs', 'bullmqConcurrency', 'halfPeakSeconds']) delete settings[k];
}
const DATABASE = 'crosstrust';
const QUEUE_PREFIX = '{bench}';
const QUEUES = ['workflow', 'dispatch', 'notifications'];
/** Issue 20's target: the peak's transitions per second at least this share of pgbench's TPS. */
const TARGET_RATIO = 0.25;

let services = null;
let apps = null;
/** The load generator of the phase running, for the RSS sampler. */
let currentLoad = null;
let stopping = null;

/** Stops the apps, every other child, Redis and Postgres, once. */
function cleanup() {
  stopping ??= (async () => {
    // The load first (it would only see errors from an api going away), then the apps, then the rest.
    if (currentLoad) await stopChild(currentLoad, 5_000);
    await Promise.all([apps?.api.stop(), apps?.worker.stop()]);
    await stopAll(10_000);
    await services?.stop();
  })();
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: stopping everything the benchmark started`);
    cleanup().finally(() => process.exit(130));
  });
}

/**
 * Runs the load generator in its own process; resolves with its result. It first gets ready (its
 * modules, the dev tokens every journey will carry, the timeline watcher's connection) and says so;
 * `onReady` runs then, before it is told to go: what is measured starts with the first command.
 */
function runLoad(cfg, onProgress, onReady = () => {}) {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(path.join(root, 'bench', 'load-generator.mjs'), [], {
        env: { ...process.env, BENCH_LOAD: JSON.stringify(cfg) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    let result = null;
    child.on('message', (m) => {
      if (m.type === 'ready') {
        onReady();
        child.send({ type: 'go' });
      } else if (m.type === 'progress' && onProgress) onProgress(m);
      else if (m.type === 'progress') log(`  ${cfg.salt}: ${m.finished}/${cfg.referrals} journeys done, ${m.inFlight} in flight, ${m.errors} errors`);
      else if (m.type === 'result') result = m.result;
      else if (m.type === 'error') reject(new Error(`load generator: ${m.message}`));
    });
    child.on('exit', (code) => (result ? resolve({ ...result, pid: child.pid }) : reject(new Error(`load generator exited (${code}) without a result`))));
    currentLoad = child;
  });
}

/** A sampler of the apps, Redis and Postgres (and `more` processes), with the queues' depths. */
function appSampler(ctx, more = {}) {
  return new Sampler(
    { api: apps.api.pid, worker: apps.worker.pid, redis: services.redisPid, ...more },
    services.postmasterPid,
    ctx.redis,
    QUEUE_PREFIX,
    QUEUES,
  );
}

/** How long the apps are watched with nothing to do, after the warm-up. */
const IDLE_MS = 5_000;

/**
 * CPU each process uses with no load at all (timers, polls, blocking reads of the queues), in ms per
 * second: what every phase pays whatever its load, and part of its CPU per transition.
 */
async function idleCpu(ctx) {
  const sampler = appSampler(ctx).start();
  const started = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const { cpuMs } = await sampler.stop();
  const seconds = (Date.now() - started) / 1000;
  const perSecond = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, Math.round((v / seconds) * 10) / 10]));
  log(
    `idle (${seconds.toFixed(1)} s, no load): CPU ms per second ${Object.entries(perSecond)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return { seconds, cpuMsPerSecond: perSecond };
}

/** One measured phase: load, wait until every job has run, then read what happened. */
async function phase(name, ctx, cfg, { withStatements }) {
  const salt = `B${name}-${Date.now().toString(36)}`;
  if (withStatements) await resetStatements(ctx.db);
  const writesBefore = withStatements ? await tableWrites(ctx.db) : null;
  const sampler = appSampler(ctx, { 'load generator': () => currentLoad?.pid });
  let sampling = false;
  log(
    `${name}: ${cfg.mode === 'rate' ? `${cfg.referrals} referrals at ${cfg.rate.toFixed(2)}/s` : `${cfg.referrals} referrals, ${cfg.concurrency} at a time`}`,
  );
  let sampled;
  let load;
  let endedAt;
  try {
    // Sampling starts when the load generator is ready, so its start-up is not counted as load.
    const loadCfg = { ...cfg, salt, base: apps.base, keyFile: ctx.keyFile, observerUrl: ctx.observerUrl, nhsOffset: ctx.nhsOffset };
    load = await runLoad(loadCfg, undefined, () => {
      sampler.start();
      sampling = true;
    });
    ctx.nhsOffset += cfg.referrals * 2 + 10;
    endedAt = await waitDrained(ctx.db, salt);
  } finally {
    if (!sampling) sampler.start();
    sampled = await sampler.stop();
  }
  if (load.errorCount > 0) log(`${name}: ${load.errorCount} journeys failed, e.g. ${load.errors[0]}`);
  const measured = await measurePhase(ctx.db, salt, load.startedAt, endedAt);
  const out = {
    salt,
    concurrency: cfg.concurrency,
    rate: cfg.rate ?? null,
    load,
    measured,
    sampled,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  if (withStatements) out.statements = await statements(ctx.db, DATABASE, services.pgInfo.user, measured.transitions.total);
  // Backends report their counters at most once a second: read them once that has passed.
  if (writesBefore) {
    await new Promise((r) => setTimeout(r, 1_500));
    out.tableWrites = tableWritesBetween(writesBefore, await tableWrites(ctx.db));
  }
  out.queueLagMs = await queueLag(ctx.redis, QUEUE_PREFIX, QUEUES, load.startedAt, endedAt);
  const f = measured.commandToJobCommitMs.all;
  log(
    `${name}: ${measured.perSecond.transitions.toFixed(1)} transitions/s, ${measured.perSecond.jobs.toFixed(1)} jobs/s, command -> follow-up p50 ${f.p50?.toFixed(0)} ms, p95 ${f.p95?.toFixed(0)} ms`,
  );
  return out;
}

/** The api and worker log lines so far, by kind (see App.counts). */
const logCounts = () => Object.fromEntries(['warn', 'error', 'fatal', 'notJson'].map((k) => [k, apps.api.counts[k] + apps.worker.counts[k]]));

/** The soak: half of peak for settings.soakMinutes, sampled every few seconds, then judged. */
async function soakPhase(ctx, rate, peakRate) {
  const seconds = settings.soakMinutes * 60;
  const salt = `Bsoak-${Date.now().toString(36)}`;
  const referrals = Math.max(1, Math.round(rate * seconds));
  const sampler = new SoakSampler({
    procs: { api: apps.api.pid, worker: apps.worker.pid, redis: services.redisPid, 'load generator': () => currentLoad?.pid },
    postmasterPid: services.postmasterPid,
    redis: ctx.redis,
    prefix: QUEUE_PREFIX,
    queueNames: QUEUES,
    observerUrl: ctx.observerUrl,
    everyMs: settings.soakSampleSeconds * 1000,
  });
  log(
    `soak: ${referrals} referrals at ${rate.toFixed(2)}/s for ${settings.soakMinutes} min, sampled every ${settings.soakSampleSeconds} s; the first ${settings.soakWarmupSeconds} s is warm-up`,
  );
  const logsBefore = logCounts();
  const since = Date.now();
  let progress = { finished: 0, inFlight: 0, errors: 0 };
  let lastLogged = -Infinity;
  const mb = (x) => (x === undefined ? '-' : Math.round(x));
  await sampler.start((s) => {
    if (s.tMs - lastLogged < 30_000) return;
    lastLogged = s.tMs;
    const depth = QUEUES.map((q) => s.queues[q].depth).join('/');
    const now = logCounts();
    log(
      `  soak ${(s.tMs / 60_000).toFixed(1)}/${settings.soakMinutes} min: ${progress.finished}/${referrals} journeys done, ${progress.inFlight} in flight, ${progress.errors} errors; ` +
        `RSS MB api ${mb(s.rssMb.api)} worker ${mb(s.rssMb.worker)} postgres ${mb(s.rssMb['postgres (all)'])} (${s.postgresProcesses} processes) redis ${mb(s.rssMb.redis)}; depth ${depth}; outbox backlog ${s.outbox.undispatched}; ` +
        `error lines ${now.error + now.fatal + now.notJson - logsBefore.error - logsBefore.fatal - logsBefore.notJson}`,
    );
  });
  let load;
  let sampled;
  try {
    load = await runLoad(
      {
        mode: 'rate',
        rate,
        referrals,
        concurrency: settings.concurrency,
        salt,
        base: apps.base,
        keyFile: ctx.keyFile,
        observerUrl: ctx.observerUrl,
        nhsOffset: ctx.nhsOffset,
      },
      (m) => (progress = m),
    );
    ctx.nhsOffset += referrals * 2 + 10;
  } finally {
    // The samples cover the offered load, not the drain after it.
    sampled = await sampler.stop();
  }
  const endedAt = await waitDrained(ctx.db, salt);
  const logsAfter = logCounts();
  const logs = {
    ...Object.fromEntries(Object.keys(logsAfter).map((k) => [k, logsAfter[k] - logsBefore[k]])),
    last: [...apps.api.problems, ...apps.worker.problems]
      .filter((p) => p.at >= since)
      .sort((a, b) => a.at - b.at)
      .slice(-10)
      .map((p) => p.line),
  };
  const measured = await measurePhase(ctx.db, salt, load.startedAt, endedAt);
  const analysis = analyseSoak(sampled, {
    warmupMs: settings.soakWarmupSeconds * 1000,
    judged: ['api', 'worker', 'postgres (all)'],
    // Redis is judged on used_memory beyond its retained jobs (analyseSoak); the load generator is ours.
    informational: ['redis', 'load generator'],
  });
  const errorLines = logs.error + logs.fatal + logs.notJson;
  const checks = [
    ...Object.entries(analysis.memory)
      .filter(([, m]) => m.judged)
      .map(([name, m]) => ({ name: `memory flat: ${name}`, ok: m.flat, detail: `${m.verdict}, ${m.slopeMbPerMin} MB/min, ${m.startMb} -> ${m.endMb} MB` })),
    ...Object.entries(analysis.depth).map(([name, d]) => ({
      name: `bounded: ${name}`,
      ok: d.bounded,
      detail: `max ${d.max}, trend ${d.trend}, halves ${d.firstHalfMax}/${d.secondHalfMax}`,
    })),
    { name: 'no error or fatal log lines (api, worker)', ok: errorLines === 0, detail: `${errorLines}` },
    {
      name: 'every referral discharged',
      ok: load.errorCount === 0 && measured.discharged === referrals,
      detail: `${measured.discharged}/${referrals}, ${load.errorCount} failed${load.errors[0] ? `, e.g. ${load.errors[0]}` : ''}`,
    },
    {
      name: 'api and worker still running',
      ok: !apps.api.exitedEarly && !apps.worker.exitedEarly,
      detail: apps.api.exitedEarly ?? apps.worker.exitedEarly ?? '',
    },
  ];
  if (sampled.lastError) checks.push({ name: 'every sample taken', ok: false, detail: sampled.lastError });
  return {
    minutes: settings.soakMinutes,
    rate,
    peakRate,
    referrals,
    sampleSeconds: settings.soakSampleSeconds,
    salt,
    load,
    measured,
    logs,
    analysis,
    checks,
    ok: checks.every((c) => c.ok),
    bytesPerRetainedJob: sampled.bytesPerRetainedJob,
    redisKeys: sampled.redisKeys,
    samples: sampled.samples,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The soak run: the apps, a warm-up, the peak (unless BENCH_SOAK_RATE), the soak; throws when a check fails. */
async function soakRun(ctx, { startedAt, machine, env }) {
  await phase(
    'warm-up',
    ctx,
    { mode: 'closed', referrals: settings.warmupReferrals, concurrency: Math.min(8, settings.concurrency) },
    { withStatements: false },
  );
  let peak = null;
  if (settings.soakRate === null)
    peak = await phase('peak', ctx, { mode: 'closed', referrals: settings.referrals, concurrency: settings.concurrency }, { withStatements: false });
  const peakRate = peak ? peak.measured.perSecond.referrals : null;
  const rate = peak ? peakRate / 2 : settings.soakRate;
  const soakResult = await soakPhase(ctx, rate, peakRate);
  const result = {
    mode: 'soak',
    startedAt: startedAt.toISOString(),
    quick,
    machine,
    settings,
    appEnv: reportedAppSettings(env),
    peak,
    soak: soakResult,
  };
  process.stdout.write(formatSoakReport(result));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-soak.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`Results written to ${path.relative(root, file)}`);
  const failed = soakResult.checks.filter((c) => !c.ok);
  if (failed.length > 0) throw new Error(`soak: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join('; ')}`);
  log('soak: every check passed');
}

/** A fresh crosstrust database, migrated and seeded, and the api and worker started on it. */
async function startCrosstrust() {
  const databaseUrl = await ensureDatabase(services.pgInfo, DATABASE, { recreate: true });
  const keyFile = path.join(BENCH_DIR, 'dev-issuer.json');
  const env = await benchAppEnv({ databaseUrl, redisUrl: services.redisUrl, queuePrefix: QUEUE_PREFIX, keyFile });
  log('Migrating and seeding the crosstrust database');
  prisma(['migrate', 'deploy'], env);
  await seed(databaseUrl, { demoReferrals: false });
  // Capacity is not what this benchmark measures: the seed's 20 slots a week would run out after
  // about 1,100 accepted offers and every later journey would end in 422 NO_CAPACITY_LEFT.
  const owner = new pg.Client({ connectionString: databaseUrl });
  await owner.connect();
  try {
    await owner.query('UPDATE capacity_week SET slots = 1000000');
  } finally {
    await owner.end();
  }
  apps = await startApps(env);
  log(`api (pid ${apps.api.pid}) and worker (pid ${apps.worker.pid}) ready on ${apps.base}`);
  const db = new pg.Client({ connectionString: observerUrl(services.pgInfo, DATABASE) });
  // Postgres going away (a Ctrl-C stops it) must not crash the run before it has cleaned up.
  db.on('error', (e) => log(`observer connection: ${e.message}`));
  await db.connect();
  return { env, db, keyFile, observerUrl: observerUrl(services.pgInfo, DATABASE), redis: { host: '127.0.0.1', port: services.redisPort }, nhsOffset: 0 };
}

/**
 * One commit setting of Postgres, as it is running: pgbench, crosstrust (warm-up, peak, half of
 * peak), the apps stopped and the phases' writes checkpointed, pgbench again. The machine's limit
 * can move within the run (a shared host, frequency, another tenant), so the ratio is taken against
 * the mean of the two pgbench runs and both are shown.
 */
async function measureSetting(bullmq) {
  const setting = services.durable ? 'durable commits' : 'fsync off';
  const pgbench = await runPgbench(services.pgInfo, { scale: settings.pgbenchScale, clients: settings.pgbenchClients, seconds: settings.pgbenchSeconds });
  await dropPgbench(services.pgInfo);
  log(`pgbench (${setting}): ${pgbench.tps.toFixed(1)} TPS`);
  const ctx = await startCrosstrust();
  let peak;
  let halfPeak;
  let idle;
  try {
    // A few journeys first, unmeasured: JIT, connection pools and caches warm up.
    await phase(
      'warm-up',
      ctx,
      { mode: 'closed', referrals: settings.warmupReferrals, concurrency: Math.min(8, settings.concurrency) },
      { withStatements: false },
    );
    idle = await idleCpu(ctx);
    peak = await phase('peak', ctx, { mode: 'closed', referrals: settings.referrals, concurrency: settings.concurrency }, { withStatements: true });
    const rate = peak.measured.perSecond.referrals / 2;
    halfPeak = await phase(
      'half-peak',
      ctx,
      { mode: 'rate', rate, referrals: Math.max(30, Math.round(rate * settings.halfPeakSeconds)), concurrency: settings.concurrency },
      { withStatements: false },
    );
  } finally {
    await ctx.db.end();
  }
  // What the apps logged while measured (not their shutdown).
  const appProblems = [apps.api, apps.worker];
  const logs = {
    warnings: appProblems.reduce((s, a) => s + a.warnings, 0),
    errors: appProblems.reduce((s, a) => s + a.errors, 0),
    last: appProblems.flatMap((a) => a.lastProblems),
  };
  await Promise.all([apps.api.stop(), apps.worker.stop()]);
  const admin = adminClient(services.pgInfo);
  await admin.connect();
  try {
    await admin.query('CHECKPOINT');
  } finally {
    await admin.end();
  }
  const pgbenchAfter = await runPgbench(services.pgInfo, { scale: settings.pgbenchScale, clients: settings.pgbenchClients, seconds: settings.pgbenchSeconds });
  await dropPgbench(services.pgInfo);
  log(`pgbench after (${setting}): ${pgbenchAfter.tps.toFixed(1)} TPS (before: ${pgbench.tps.toFixed(1)})`);
  const pgbenchTps = (pgbench.tps + pgbenchAfter.tps) / 2;
  const result = {
    durability: services.durable ? 'durable' : 'fsync-off',
    appEnv: reportedAppSettings(ctx.env),
    limits: { pgbench, pgbenchAfter, pgbenchMeanTps: pgbenchTps, bullmq },
    crosstrust: { idle, peak, halfPeak },
    ratios: {
      transitionsPerPgbenchTps: peak.measured.perSecond.transitions / pgbenchTps,
      transitionsPerPgbenchTpsBefore: peak.measured.perSecond.transitions / pgbench.tps,
      transitionsPerPgbenchTpsAfter: peak.measured.perSecond.transitions / pgbenchAfter.tps,
      jobsPerBullmqJobs: peak.measured.perSecond.jobs / bullmq.jobsPerSecond,
    },
    logs,
  };
  result.budget = referralBudget(peak, pgbenchTps, os.cpus().length, TARGET_RATIO);
  result.targets = {
    transitionsRatio: result.ratios.transitionsPerPgbenchTps >= TARGET_RATIO,
    halfPeakP95: (halfPeak.measured.commandToJobCommitMs.all.p95 ?? Infinity) < 100,
  };
  return result;
}

/**
 * What a referral cost the machine at the peak, against what it may cost for the ratio to reach
 * `target`: at that ratio the machine makes target x pgbench TPS transitions a second, so with every
 * core busy a referral (its transitions per referral) may take cores x 1,000 ms / (target x TPS) per
 * transition. Null when the peak was not sampled.
 */
function referralBudget(peak, pgbenchTps, cores, target) {
  const m = peak.measured;
  const machine = peak.sampled?.cpuMs?.machine;
  if (!machine || !m.discharged) return null;
  const transitionsPerReferral = m.transitions.total / m.discharged;
  const byProcess = Object.fromEntries(Object.entries(peak.sampled.cpuMs).map(([k, v]) => [k, v / m.discharged]));
  return {
    target,
    cores,
    transitionsPerReferral,
    machineCpuMsPerReferral: machine / m.discharged,
    cpuMsPerReferral: byProcess,
    /** A pgbench transaction's share of the machine: cores x 1,000 ms / TPS. */
    pgbenchTransactionMs: (cores * 1000) / pgbenchTps,
    budgetMsPerReferral: (transitionsPerReferral * cores * 1000) / (target * pgbenchTps),
  };
}

async function main() {
  const startedAt = new Date();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
  };
  if (noBuild) log('--no-build: using dist/ as it is');
  else ensureBuilt();
  // Durable commits first: they are the headline, as production runs them.
  services = await startBenchServices({ durable: !fsyncOffOnly });

  if (soak) {
    const ctx = await startCrosstrust();
    try {
      return await soakRun(ctx, { startedAt, machine, env: ctx.env });
    } finally {
      await ctx.db.end();
    }
  }

  const bullmq = await runBullmqBaseline(services.redisUrl, { jobs: settings.bullmqJobs, concurrency: settings.bullmqConcurrency });
  log(`plain BullMQ: ${bullmq.jobsPerSecond.toFixed(0)} jobs/s`);
  const headline = await measureSetting(bullmq);
  let fsyncOff = null;
  if (alsoFsyncOff && !fsyncOffOnly) {
    await services.restartPostgres({ durable: false });
    fsyncOff = await measureSetting(bullmq);
  }
  const result = {
    startedAt: startedAt.toISOString(),
    quick,
    machine,
    settings,
    ...headline,
    fsyncOff,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  process.stdout.write(formatReport(result));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  if (!quick) copyFileSync(file, path.join(dir, 'latest.json'));
  log(`Results written to ${path.relative(root, file)}${quick ? '' : ' and bench/results/latest.json'}`);
  const failed = [headline, fsyncOff].filter(Boolean).reduce((n, r) => n + r.crosstrust.peak.load.errorCount + r.crosstrust.halfPeak.load.errorCount, 0);
  if (failed > 0) throw new Error(`${failed} journeys failed`);
}

let code = 0;
try {
  await main();
} catch (e) {
  log(`Benchmark failed: ${e.stack ?? e}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
