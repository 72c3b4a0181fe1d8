// The api and worker processes, as deployed: node dist/apps/<app>/src/main.js with the
// environment a deployment gives them. Their output is scanned for warnings and errors.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { freePort, root } from '../../scripts/lib/local-services.mjs';
import { ensureDevIssuerKey } from '../../scripts/lib/dev-issuer.mjs';
import { sleep } from './stats.mjs';
import { stopChild, track } from './children.mjs';

export class App {
  warnings = 0;
  errors = 0;
  /** The last few warning/error lines, for the report (the apps redact patient data themselves). */
  lastProblems = [];
  /** The same with the time each was read (the last 50), for the soak's window. */
  problems = [];
  exitedEarly = null;
  stopping = false;

  constructor(name, app, env) {
    this.name = name;
    const extra = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'cpu-prof')}`] : [];
    this.child = track(
      spawn(process.execPath, [...extra, path.join(root, 'dist', 'apps', app, 'src', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    this.pid = this.child.pid;
    this.child.on('exit', (code, signal) => {
      if (!this.stopping) this.exitedEarly = `${name} exited (${signal ?? code})`;
    });
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.read(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
  }

  /** Lines by kind, for the soak (which counts those of its own window): pino warn, error, fatal, and not JSON. */
  counts = { warn: 0, error: 0, fatal: 0, notJson: 0 };

  read(line) {
    if (!line.trim()) return;
    // pino levels: 40 warn, 50 error, 60 fatal. Anything not JSON (a crash trace) is an error too.
    const m = /"level":(\d+)/.exec(line);
    const level = Number(m?.[1] ?? 50);
    if (level < 40) return;
    if (!m) this.counts.notJson++;
    else if (level >= 60) this.counts.fatal++;
    else if (level >= 50) this.counts.error++;
    else this.counts.warn++;
    if (level >= 50) this.errors++;
    else this.warnings++;
    this.lastProblems.push(`${this.name}: ${line.slice(0, 300)}`);
    if (this.lastProblems.length > 5) this.lastProblems.shift();
    this.problems.push({ at: Date.now(), line: `${this.name}: ${line.slice(0, 300)}` });
    if (this.problems.length > 50) this.problems.shift();
  }

  async stop() {
    this.stopping = true;
    await stopChild(this.child, 35_000);
  }
}

/** The settings of the apps a run reports beside its figures (unset: the app's default). */
export const REPORTED_APP_SETTINGS = [
  'WORKER_CONCURRENCY',
  'DB_POOL_SIZE',
  'OUTBOX_POLL_MS',
  'OUTBOX_DIRECT_ENQUEUE',
  'MESH_SEND_INTERVAL_MS',
  'MESH_POLL_INTERVAL_MS',
  'LOG_LEVEL',
];

/**
 * The environment a deployment gives the api and worker, for a benchmark: dev tokens signed with a
 * key of the run's own (made in `keyFile` if missing), on a free port, logging warnings and errors.
 */
export async function benchAppEnv({ databaseUrl, redisUrl, queuePrefix, keyFile }) {
  await ensureDevIssuerKey(keyFile);
  // The MESH stand-in's folder, emptied for each start: the default (.data/mesh) is shared with `npm start`
  // and earlier runs, whose acknowledgements the worker would read as strangers' (a warning each) and whose
  // thousands of files every inbox poll would list again.
  const meshDir = path.join(path.dirname(keyFile), 'mesh');
  await rm(meshDir, { recursive: true, force: true });
  return {
    ...process.env,
    NODE_ENV: 'development',
    AUTH_MODE: 'dev',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    AUTH_DEV_KEY_FILE: keyFile,
    PORT: String(await freePort()),
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    // The load generator is a handful of callers sending far more than a person would.
    RATE_LIMIT_PER_MINUTE: '1000000',
    // And all from one address: the per-address limit on requests without a valid token is not measured here.
    PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
    // A secret of the run's own, as a shared environment has (without one the api warns).
    OFFER_LINK_SECRET: randomBytes(32).toString('hex'),
    // The local channel keeps each message's text for `npm run messages` in development only; production
    // keeps none (measured: keeping it cost 20-25% of the quick run's transitions a second).
    LOCAL_MESSAGES_KEPT: '0',
    MESH_LOCAL_DIR: meshDir,
    // The MESH loops' pauses between passes (1 s and 2 s with the stand-in by default) are a latency
    // setting: a phase is measured until its messages are sent and acknowledged, and would otherwise
    // end waiting for a timer rather than working.
    MESH_SEND_INTERVAL_MS: process.env.MESH_SEND_INTERVAL_MS || '100',
    MESH_POLL_INTERVAL_MS: process.env.MESH_POLL_INTERVAL_MS || '200',
    // Node's own options for the api and worker only (e.g. --perf-basic-prof for a system profile); none by default.
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
  };
}

/** The reported settings as the run had them. */
export const reportedAppSettings = (env) => Object.fromEntries(REPORTED_APP_SETTINGS.map((k) => [k, env[k] ?? '(default)']));

/**
 * Resolves with the api's address once it answers /health/ready; throws if one of `apps` exits
 * first, or after 60 s, with the apps' last warnings and errors.
 */
export async function waitReady(env, apps) {
  const base = `http://127.0.0.1:${env.PORT}`;
  const problems = () => apps.flatMap((a) => a.lastProblems).join('\n');
  const end = Date.now() + 60_000;
  for (;;) {
    const dead = apps.find((a) => a.exitedEarly)?.exitedEarly;
    if (dead) throw new Error(`${dead}: ${problems()}`);
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return base;
    } catch {}
    if (Date.now() > end) throw new Error(`the api was not ready within 60 s: ${problems()}`);
    await sleep(100);
  }
}

/** Starts one api and one worker; resolves once the api answers /health/ready. */
export async function startApps(env) {
  const api = new App('api', 'api', env);
  const worker = new App('worker', 'worker', env);
  const base = await waitReady(env, [api, worker]);
  return { api, worker, base };
}
