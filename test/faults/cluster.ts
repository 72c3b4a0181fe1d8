// Fault-suite harness: its own Postgres, Redis, API and worker processes (as deployed, from
// dist/), which a test can kill, stop and restart, and a log of what every process printed.
// Several API processes (start({ apis: 2 })): `base` hands out their URLs in turn, so a client
// that asks for it per request spreads its requests across all of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDatabase, freePort, prisma, root, startPostgres, startRedis, type PgInfo } from '../../scripts/lib/local-services.mjs';
import { seed } from '../../prisma/seed.mjs';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  exited: boolean;
}

export class Cluster {
  pg!: PgInfo;
  redis!: { port: number; stop(): Promise<void> };
  databaseUrl = '';
  redisUrl = '';
  /** The first API's port (the only one unless start({ apis }) asked for more). */
  apiPort = 0;
  /** Every API's port, in start order. */
  apiPorts: number[] = [];
  /** Requests handed to each API by `base` (same order as apiPorts). */
  apiHits: number[] = [];
  readonly procs: Proc[] = [];
  /** notificationId -> how many times a channel sent it, read from the workers' logs. */
  readonly sends = new Map<string, number>();
  readonly errorLogs: string[] = [];
  /** Every line every process printed, for the check that no patient data reaches the logs. */
  readonly allLogs: string[] = [];
  /** jobId -> how each run of it ended ("job finished" lines of the workers' logs), with why a run skipped and the errors of runs that failed ("job failed"). */
  readonly jobRuns = new Map<string, { done: number; skipped: number; skippedBecause?: string[]; failed?: string[] }>();
  /** process name -> how many jobs it finished. */
  readonly jobsByProc = new Map<string, number>();
  /** Each time a worker took the reconciler's leader lock: which process, and when. */
  readonly leaderships: { proc: string; at: number }[] = [];
  private readonly dir: string;
  private pgPort = 0;
  private redisPort = 0;
  private workers = 0;
  private nextApi = 0;
  private stopping = false;

  constructor(readonly name: string) {
    this.dir = path.join(root, '.data', 'faults', `${name}-${process.pid}`);
  }

  /** An API's URL; with several APIs, each read hands out the next one. */
  get base(): string {
    if (this.apiPorts.length <= 1) return `http://127.0.0.1:${this.apiPort}`;
    const i = this.nextApi++ % this.apiPorts.length;
    this.apiHits[i]++;
    return `http://127.0.0.1:${this.apiPorts[i]}`;
  }

  env(): Record<string, string> {
    return {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'test',
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: `{faults-${this.name}}`,
      AUTH_DEV_KEY_FILE: process.env.AUTH_DEV_KEY_FILE!,
      PORT: String(this.apiPort),
      OUTBOX_POLL_MS: '50',
      RECONCILE_INTERVAL_MS: '1000',
      RECONCILE_GRACE_MS: '4000',
      JOB_LOCK_MS: '4000',
      DB_POOL_SIZE: '10',
      LOG_LEVEL: 'info',
      // This suite measures capacity and recovery, not the per-caller limit.
      RATE_LIMIT_PER_MINUTE: '1000000',
      PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
      NODE_OPTIONS: '',
    };
  }

  async start(opts: { workers?: number; apis?: number } = {}): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.pgPort = await freePort();
    this.pg = await startPostgres(path.join(this.dir, 'pg'), { port: this.pgPort });
    this.databaseUrl = await ensureDatabase(this.pg, 'crosstrust');
    this.redis = await startRedis(path.join(this.dir, 'redis'));
    this.redisPort = this.redis.port;
    this.redisUrl = `redis://127.0.0.1:${this.redisPort}`;
    const apis = opts.apis ?? 1;
    // freePort never gives one process the same port twice.
    while (this.apiPorts.length < apis) this.apiPorts.push(await freePort());
    this.apiPort = this.apiPorts[0]!;
    this.apiHits = this.apiPorts.map(() => 0);
    prisma(['migrate', 'deploy'], this.env());
    await seed(this.databaseUrl, { demoReferrals: false });
    this.apiPorts.forEach((port, i) => this.spawn('api', apis > 1 ? { name: `api-${i + 1}`, port } : {}));
    for (let i = 0; i < (opts.workers ?? 1); i++) this.startWorker();
    await this.waitReady();
  }

  private spawn(app: 'api' | 'worker', opts: { name?: string; port?: number } = {}): Proc {
    const name = opts.name ?? (app === 'worker' ? `worker-${++this.workers}` : 'api');
    // FAULT_PROFILE=1 writes a V8 tick log of each process (node --prof-process reads it).
    const prof =
      process.env.FAULT_PROFILE === '1'
        ? ['--prof', '--no-logfile-per-isolate', `--logfile=${path.join(root, 'test-output', `${this.name}-${name}.v8.log`)}`]
        : [];
    const child = spawn(process.execPath, [...prof, path.join(root, 'dist', 'apps', app, 'src', 'main.js')], {
      cwd: root,
      env: { ...this.env(), ...(opts.port ? { PORT: String(opts.port) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: Proc = { name, child, exited: false };
    child.on('exit', (code, signal) => {
      proc.exited = true;
      if (!this.stopping) this.errorLogs.push(`${name}: exited (${signal ?? code})`);
    });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.readLog(name, line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    this.procs.push(proc);
    return proc;
  }

  private readLog(name: string, line: string): void {
    this.allLogs.push(line);
    // Parse only the lines this harness reads: sends, job runs, leadership and errors (parsing every line costs CPU the system under test needs).
    if (
      !line.includes('notification recorded') &&
      !line.includes('job finished') &&
      !line.includes('job failed') &&
      !line.includes('runs the reconciler') &&
      !line.includes('"level":5') &&
      !line.includes('"level":6') &&
      line.startsWith('{')
    )
      return;
    let j: { level?: number; msg?: string; notificationId?: string; jobId?: string; outcome?: string; reason?: string; error?: string };
    try {
      j = JSON.parse(line);
    } catch {
      if (line.trim()) this.errorLogs.push(`${name}: ${line.slice(0, 300)}`);
      return;
    }
    if (j.msg === 'notification recorded by the local channel' && j.notificationId) {
      this.sends.set(j.notificationId, (this.sends.get(j.notificationId) ?? 0) + 1);
    }
    if (j.msg === 'job finished' && j.jobId) {
      const runs = this.jobRuns.get(j.jobId) ?? { done: 0, skipped: 0 };
      if (j.outcome === 'skipped') {
        runs.skipped++;
        runs.skippedBecause = [...(runs.skippedBecause ?? []), j.reason ?? ''];
      } else runs.done++;
      this.jobRuns.set(j.jobId, runs);
      this.jobsByProc.set(name, (this.jobsByProc.get(name) ?? 0) + 1);
    }
    // A run that failed (and is tried again): with its error, so a job that was not done once says why.
    if (j.msg === 'job failed' && j.jobId) {
      const runs = this.jobRuns.get(j.jobId) ?? { done: 0, skipped: 0 };
      runs.failed = [...(runs.failed ?? []), j.error ?? ''];
      this.jobRuns.set(j.jobId, runs);
    }
    if (j.msg === 'this worker now runs the reconciler') this.leaderships.push({ proc: name, at: Date.now() });
    if ((j.level ?? 0) >= 50) this.errorLogs.push(`${name}: ${line.slice(0, 300)}`);
  }

  startWorker(): Proc {
    return this.spawn('worker');
  }

  liveWorkers(): Proc[] {
    return this.procs.filter((p) => p.name.startsWith('worker') && !p.exited);
  }

  async killWorker(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const w = this.liveWorkers()[0];
    if (!w) throw new Error('no live worker to kill');
    await this.signal(w.name, signal);
  }

  /** Sends `signal` to the live process called `name` and waits for it to exit. */
  async signal(name: string, signal: NodeJS.Signals): Promise<void> {
    const w = this.procs.find((p) => p.name === name && !p.exited);
    if (!w) throw new Error(`no live process ${name}`);
    await new Promise<void>((resolve) => {
      w.child.once('exit', () => resolve());
      w.child.kill(signal);
    });
  }

  /** Stops Redis; it comes back empty (no persistence), as after a flush. */
  async stopRedis(): Promise<void> {
    await this.redis.stop();
  }

  async startRedis(): Promise<void> {
    this.redis = await startRedis(path.join(this.dir, 'redis'), { port: this.redisPort });
  }

  async stopPostgres(): Promise<void> {
    await this.pg.stop();
  }

  async startPostgres(): Promise<void> {
    this.pg = await startPostgres(path.join(this.dir, 'pg'), { port: this.pgPort });
  }

  /** Until every API answers ready. */
  async waitReady(seconds = 60): Promise<void> {
    const end = Date.now() + seconds * 1000;
    const ports = this.apiPorts.length ? this.apiPorts : [this.apiPort];
    const pending = new Set(ports);
    while (Date.now() < end) {
      for (const port of [...pending]) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/health/ready`);
          if (r.ok) pending.delete(port);
        } catch {}
      }
      if (pending.size === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`API not ready in ${seconds}s: ${this.errorLogs.slice(-5).join('\n')}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.procs
        .filter((p) => !p.exited)
        .map(
          (p) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
              p.child.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              p.child.kill('SIGTERM');
            }),
        ),
    );
    await this.redis?.stop().catch(() => {});
    await this.pg?.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
    // What went wrong, for a person reading a failed run: errors and exits of each process.
    mkdirSync(path.join(root, 'test-output'), { recursive: true });
    writeFileSync(path.join(root, 'test-output', `faults-${this.name}.log`), this.errorLogs.join('\n') + '\n');
  }
}
