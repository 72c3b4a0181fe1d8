// The machine's limits, measured on the same Postgres and Redis as crosstrust: pgbench's
// TPC-B-like transaction rate, and what plain BullMQ (no Nest, no database) moves per second.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { log, root } from '../../scripts/lib/local-services.mjs';
import { adminClient } from './services.mjs';
import { track } from './children.mjs';

function findPgbench() {
  for (const p of [process.env.PGBENCH_BIN, '/usr/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (p && spawnSync(p, ['--version']).status === 0) return p;
  }
  const which = spawnSync('sh', ['-c', 'command -v pgbench']).stdout?.toString().trim();
  if (which) return which;
  throw new Error('pgbench was not found: install the Debian package postgresql-client (apt-get install postgresql-client), or set PGBENCH_BIN');
}

/** Runs a child to completion (tracked, so a Ctrl-C stops it); resolves with its output. */
function run(bin, args, env) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ out, err }) : reject(new Error(`${path.basename(bin)} exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`)),
    );
  });
}

/**
 * pgbench in its own database: initialised at `scale`, then the default TPC-B-like script with
 * `clients` clients for `seconds`. Returns transactions per second (without connection time).
 */
export async function runPgbench(pgInfo, { scale, clients, seconds }) {
  const bin = findPgbench();
  const admin = adminClient(pgInfo);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS pgbench WITH (FORCE)`);
    await admin.query(`CREATE DATABASE pgbench`);
  } finally {
    await admin.end();
  }
  const env = { ...process.env, PGPASSWORD: pgInfo.password };
  const conn = ['-h', '127.0.0.1', '-p', String(pgInfo.port), '-U', pgInfo.user];
  log(`pgbench: initialising scale ${scale}`);
  await run(bin, ['-i', '-q', '-s', String(scale), ...conn, 'pgbench'], env);
  log(`pgbench: ${clients} clients for ${seconds} s`);
  const jobs = Math.min(clients, 2);
  const { out } = await run(bin, ['-c', String(clients), '-j', String(jobs), '-T', String(seconds), ...conn, 'pgbench'], env);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`could not read pgbench's output:\n${out}`);
  return { scale, clients, threads: jobs, seconds, tps, latencyMs, transactions, version: spawnSync(bin, ['--version']).stdout.toString().trim() };
}

export async function dropPgbench(pgInfo) {
  const admin = adminClient(pgInfo);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS pgbench WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Plain BullMQ in a child process of its own (bench/bullmq-baseline.mjs); resolves with its result. */
export async function runBullmqBaseline(redisUrl, { jobs, concurrency }) {
  log(`Plain BullMQ: ${jobs} jobs, concurrency ${concurrency}`);
  const { out } = await run(process.execPath, [path.join(root, 'bench', 'bullmq-baseline.mjs')], {
    ...process.env,
    REDIS_URL: redisUrl,
    BENCH_BULLMQ_JOBS: String(jobs),
    BENCH_BULLMQ_CONCURRENCY: String(concurrency),
  });
  return JSON.parse(out.trim().split('\n').at(-1));
}
