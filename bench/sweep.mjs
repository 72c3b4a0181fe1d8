// `npm run bench:sweep`: the benchmark (`bench/run.mjs --quick`) once per setting of the apps, to
// see what a setting changes on this machine. BENCH_SWEEP lists the settings, comma-separated; each
// is either DB_POOL_SIZE x WORKER_CONCURRENCY ("10x10") or variables of the apps joined by "+"
// ("OUTBOX_DIRECT_ENQUEUE=true+LOG_LEVEL=info"). The default is "5x4,10x10,20x20".
// BENCH_SWEEP_REPEATS (default 2) runs the whole list that many times, interleaved (A B C A B C),
// so a machine that drifts during the sweep touches every setting alike. Each run measures its
// own pgbench (before and after), so every ratio is against the machine as it was at that time.
// Prints a table (means, and every run's ratio and machine CPU per transition) and writes
// bench/results/<timestamp>-sweep.json. Other BENCH_* settings of run.mjs apply to every run
// (BENCH_REFERRALS defaults to 600 here).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { log, root } from '../scripts/lib/local-services.mjs';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { round } from './lib/stats.mjs';

const { values: args } = parseArgs({ options: { 'no-build': { type: 'boolean' } }, strict: true });

/**
 * "5x4,10x10,OUTBOX_DIRECT_ENQUEUE=true" -> [{ label, env }, ...]; anything else is refused with
 * the reason.
 */
function parseSweep(text) {
  return text.split(',').map((raw) => {
    const s = raw.trim();
    const m = /^(\d+)\s*x\s*(\d+)$/.exec(s);
    if (m && Number(m[1]) >= 1 && Number(m[2]) >= 1) return { label: `${m[1]}x${m[2]}`, env: { DB_POOL_SIZE: m[1], WORKER_CONCURRENCY: m[2] } };
    const pairs = s.split('+').map((kv) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv.trim()));
    if (s && pairs.every(Boolean)) return { label: s, env: Object.fromEntries(pairs.map((p) => [p[1], p[2]])) };
    throw new Error(`BENCH_SWEEP: "${s}" is neither DB_POOL_SIZE x WORKER_CONCURRENCY (for example 10x10) nor NAME=value[+NAME=value]`);
  });
}

const settings = parseSweep(process.env.BENCH_SWEEP || '5x4,10x10,20x20');
const repeats = Number(process.env.BENCH_SWEEP_REPEATS || 2);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`BENCH_SWEEP_REPEATS must be a whole number from 1 (got "${process.env.BENCH_SWEEP_REPEATS}")`);

/** The benchmark running now, so a signal to the sweep reaches it (it stops everything it started). */
let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`${sig}: stopping the benchmark in hand`);
    if (!current) process.exit(130);
    // SIGTERM whatever came: a Ctrl-C has already sent the child its SIGINT, and it handles each
    // signal once (a second SIGINT would kill it before it stopped what it started).
    current.kill('SIGTERM');
    current.once('close', () => process.exit(130));
  });
}

/**
 * One quick benchmark with the apps' pool sizes set; resolves with its result file's content, or
 * null (with the reason logged) when it wrote none. A run whose journeys partly failed still
 * writes its file and exits non-zero: its figures are kept and its errors counted.
 */
function runOnce({ label, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bench', 'run.mjs'), '--quick', '--no-build'], {
      cwd: root,
      env: { ...process.env, BENCH_REFERRALS: process.env.BENCH_REFERRALS || '600', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    // Its table (stdout) is in its result file; its progress (stderr) is passed on, indented.
    let out = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(String(d).replace(/^(?=.)/gm, '  '));
    });
    child.on('error', reject);
    // 'close', not 'exit': by then its output has been read to the end.
    child.on('close', (code) => {
      current = null;
      const file = /Results written to (\S+\.json)/.exec(out)?.[1];
      if (!file) {
        log(`sweep: the benchmark with ${label} exited ${code} without a result; that run is left out`);
        return resolve(null);
      }
      resolve(JSON.parse(readFileSync(path.join(root, file), 'utf8')));
    });
  });
}

/** The figures compared across settings, from one run's result. */
function figures(r) {
  const peak = r.crosstrust.peak;
  const per = (k) => (peak.sampled.cpuMs[k] ?? 0) / peak.measured.transitions.total;
  return {
    pgbenchTps: r.limits.pgbenchMeanTps,
    transitionsPerSecond: peak.measured.perSecond.transitions,
    ratio: r.ratios.transitionsPerPgbenchTps,
    cpuMsPerTransition: {
      machine: per('machine'),
      api: per('api'),
      worker: per('worker'),
      postgres: per('postgres (all)'),
      redis: per('redis'),
      'load generator': per('load generator'),
    },
    peakP95Ms: peak.measured.commandToJobCommitMs.all.p95,
    halfPeakP95Ms: r.crosstrust.halfPeak.measured.commandToJobCommitMs.all.p95,
    errors: peak.load.errorCount + r.crosstrust.halfPeak.load.errorCount,
  };
}

/** NaN for no values: a setting whose every run was lost shows as such. */
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

if (!args['no-build']) ensureBuilt();
const startedAt = new Date();
const dir = path.join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-sweep.json`);
const runs = [];
let missing = 0;
for (let k = 0; k < repeats; k++) {
  for (const s of settings) {
    log(`sweep: ${s.label} (round ${k + 1} of ${repeats})`);
    const result = await runOnce(s);
    if (result) runs.push({ setting: s.label, round: k + 1, ...figures(result) });
    else missing++;
    // Written after every run: a sweep stopped halfway keeps what it measured.
    writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), repeats, settings, runs, missing }, null, 2) + '\n');
  }
}
const rows = settings.map((s) => {
  const mine = runs.filter((r) => r.setting === s.label);
  const cpu = (k) => mean(mine.map((r) => r.cpuMsPerTransition[k]));
  return {
    setting: s.label,
    ratio: mean(mine.map((r) => r.ratio)),
    ratios: mine.map((r) => round(r.ratio, 3)),
    machineCpuMsEach: mine.map((r) => round(r.cpuMsPerTransition.machine, 2)),
    transitionsPerSecond: mean(mine.map((r) => r.transitionsPerSecond)),
    machineCpuMs: cpu('machine'),
    postgresCpuMs: cpu('postgres'),
    apiCpuMs: cpu('api'),
    workerCpuMs: cpu('worker'),
    peakP95Ms: mean(mine.map((r) => r.peakP95Ms)),
    halfPeakP95Ms: mean(mine.map((r) => r.halfPeakP95Ms)),
    errors: mine.reduce((n, r) => n + r.errors, 0),
  };
});
const pad = (v, n) => String(v).padStart(n);
const width = Math.max(11, ...rows.map((r) => r.setting.length));
const lines = [
  '',
  `Sweep ${startedAt.toISOString()}: ${repeats} round(s), ${process.env.BENCH_REFERRALS || 600} referrals a run at concurrency ${process.env.BENCH_CONCURRENCY || 32}`,
  `  ${'setting'.padEnd(width)} ${pad('ratio', 6)} ${pad('(each run)', 20)} ${pad('trans/s', 8)} ${pad('CPU ms/transition: machine', 27)} ${pad('(each run)', 20)} ${pad('postgres', 9)} ${pad('api', 6)} ${pad('worker', 7)} ${pad('p95 peak', 9)} ${pad('p95 half', 9)} ${pad('errors', 7)}`,
  ...rows.map(
    (r) =>
      `  ${r.setting.padEnd(width)} ${pad(round(r.ratio, 3), 6)} ${pad(r.ratios.join(' '), 20)} ${pad(round(r.transitionsPerSecond, 1), 8)} ${pad(round(r.machineCpuMs, 2), 27)} ${pad(r.machineCpuMsEach.join(' '), 20)} ${pad(round(r.postgresCpuMs, 2), 9)} ${pad(round(r.apiCpuMs, 2), 6)} ${pad(round(r.workerCpuMs, 2), 7)} ${pad(round(r.peakP95Ms, 0), 9)} ${pad(round(r.halfPeakP95Ms, 0), 9)} ${pad(r.errors, 7)}`,
  ),
  '',
];
process.stdout.write(lines.join('\n'));
writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), repeats, settings, runs, missing, rows }, null, 2) + '\n');
log(`Results written to ${path.relative(root, file)}`);
if (missing > 0 || rows.some((r) => r.errors > 0)) process.exitCode = 1;
