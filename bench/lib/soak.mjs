// The soak (`npm run bench -- --soak`): load at half of peak for a long while (10 minutes by
// default), sampled every few seconds, then judged: is the memory of every process flat, is every
// queue's depth bounded, did the api and worker log no error? docs/benchmarks.md ("Soak") explains
// each figure and threshold.
//
// SoakSampler records a time series; analyseSoak() is pure (samples in, verdicts out);
// formatSoakReport() prints it.
import pg from 'pg';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { percentile, round } from './stats.mjs';
import { childrenOf, postgresKb, rssKb } from './sampler.mjs';

/** Least-squares slope above which a process's memory counts as growing (see docs/benchmarks.md). */
export const SLOPE_LIMIT_MB_PER_MIN = 1;
/** The end of the soak may be at most this much above its post-warm-up start (a fraction). */
export const END_TOLERANCE = 0.1;
/** Start and end values are medians over this long a window, so one GC saw-tooth does not decide. */
export const EDGE_WINDOW_MS = 30_000;
/** A queue's depth below this many jobs never counts as growing (well under a second of jobs at half of peak). */
export const DEPTH_FLOOR = 20;
/** How many of the oldest completed jobs per queue are removed at the end to measure what one costs in Redis. */
export const CLEAN_SAMPLE = 5_000;

const MB = 1024 * 1024;

// ---------- sampling ----------

export class SoakSampler {
  samples = [];

  /**
   * @param procs name -> pid, or a function returning it (read at each sample)
   * @param postmasterPid a function returning Postgres's postmaster pid
   * @param redis { host, port }; prefix and queueNames as the apps use them
   * @param observerUrl a Postgres URL of the observer login (the outbox backlog is read with it)
   */
  constructor({ procs, postmasterPid, redis, prefix, queueNames, observerUrl, everyMs }) {
    this.procs = procs;
    this.postmasterPid = postmasterPid;
    this.prefix = prefix;
    this.queues = queueNames.map((n) => new Queue(n, { connection: redis, prefix }));
    /** For INFO and MEMORY USAGE: a connection of the sampler's own. */
    this.redis = new Redis({ host: redis.host, port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    this.db = new pg.Client({ connectionString: observerUrl, application_name: 'bench-soak-sampler' });
    this.db.on('error', () => {}); // the failed query reports it; a stopping Postgres must not crash us
    this.everyMs = everyMs;
  }

  async start(onSample) {
    await this.db.connect();
    await this.redis.connect();
    this.keysAtStart = await this.keyCensus();
    this.t0 = Date.now();
    this.onSample = onSample;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    return this;
  }

  /** One sample at a time: a slow one (a busy machine) delays the next instead of piling up. */
  tick() {
    this.running ??= this.sample()
      .then((s) => {
        this.samples.push(s);
        this.onSample?.(s);
      })
      .catch((e) => (this.lastError = e.message))
      .finally(() => (this.running = null));
    return this.running;
  }

  async sample() {
    const at = Date.now();
    const rssMb = {};
    for (const [name, pid] of Object.entries(this.procs)) {
      const kb = rssKb(typeof pid === 'function' ? pid() : pid);
      if (kb) rssMb[name] = kb / 1024;
    }
    const pm = this.postmasterPid();
    rssMb['postgres (all)'] = postgresKb(pm) / 1024;
    // Backends come and go with the apps' pools (and autovacuum workers): explains steps in Postgres's memory.
    const postgresProcesses = 1 + childrenOf(pm).length;
    const queues = {};
    for (const q of this.queues) {
      const c = await q.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      // Depth: every job on the queue not finished yet (waiting, delayed for a retry, or running).
      queues[q.name] = {
        depth: c.wait + c.prioritized + c.delayed + c.active,
        waiting: c.wait + c.prioritized,
        delayed: c.delayed,
        active: c.active,
        completed: c.completed,
        failed: c.failed,
      };
      queues[q.name].eventsBytes = Number((await this.redis.call('MEMORY', 'USAGE', q.toKey('events'))) ?? 0);
    }
    const usedMemory = Number(/used_memory:(\d+)/.exec(await this.redis.info('memory'))?.[1] ?? 0);
    const { rows } = await this.db.query(
      `SELECT count(*) FILTER (WHERE dispatched_at IS NULL)::int AS undispatched, count(*)::int AS unfinished
       FROM outbox_message WHERE completed_at IS NULL`,
    );
    return { tMs: at - this.t0, rssMb, postgresProcesses, redisUsedMb: usedMemory / MB, queues, outbox: rows[0] };
  }

  /**
   * What one more retained job costs in Redis, per queue, measured the only way that counts every
   * byte of it (its hash, its entry in the completed sorted set, the keyspace's own overhead): at
   * the end, remove up to CLEAN_SAMPLE of the oldest completed jobs with BullMQ's own clean and
   * divide the drop in used_memory by the number removed. Retained jobs are kept on purpose
   * (removeOnComplete: 24 h, 50,000 per queue), so Redis grows with them by design; the soak
   * judges what is left once they are accounted for. The hashes' own MEMORY USAGE (sampled from
   * the newest jobs) is kept beside it for comparison.
   */
  async bytesPerRetainedJob() {
    const out = {};
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await this.redis.info('memory'))?.[1] ?? 0);
    for (const q of this.queues) {
      const set = q.toKey('completed');
      const ids = await this.redis.zrange(set, -20, -1);
      const sizes = [];
      for (const id of ids) sizes.push(Number((await this.redis.call('MEMORY', 'USAGE', q.toKey(id))) ?? 0));
      const hash = sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0;
      const before = await usedMemory();
      const removed = (await q.clean(0, CLEAN_SAMPLE, 'completed')).length;
      const after = await usedMemory();
      out[q.name] = { hash, removed, total: removed ? Math.max(0, before - after) / removed : hash };
    }
    return out;
  }

  /**
   * Redis keys by kind (SCAN, so it does not block Redis): `<queue>:<name>` for the queue's own
   * keys, `<queue>:job` for a job's hash, `<queue>:job:<suffix>` for keys hanging off a job
   * (`lock`, `logs`...). Taken at the start and end: shows what, if anything, grows besides jobs.
   */
  async keyCensus() {
    const census = {};
    const names = new Set(this.queues.map((q) => q.name));
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const [queue, ...rest] = key.slice(this.prefix.length + 1).split(':');
        let kind;
        // Not a queue's: the apps' own keys (by their first segment, ids masked).
        if (!names.has(queue)) kind = `other:${queue.replace(/[0-9a-f-]{8,}/gi, '*')}`;
        else if (rest.length === 1 && /^[a-z-]+$/.test(rest[0])) kind = `${queue}:${rest[0]}`;
        else kind = `${queue}:job${rest.length > 1 ? `:${rest.at(-1)}` : ''}`;
        census[kind] = (census[kind] ?? 0) + 1;
      }
    } while (cursor !== '0');
    return census;
  }

  async stop() {
    clearInterval(this.timer);
    await this.running;
    await this.tick();
    let perJob = null;
    let keysAtEnd = null;
    try {
      // The census first: measuring a retained job's cost removes some of them.
      keysAtEnd = await this.keyCensus();
      perJob = await this.bytesPerRetainedJob();
    } catch (e) {
      this.lastError = `bytes per retained job: ${e.message}`;
    }
    await Promise.all(this.queues.map((q) => q.close().catch(() => {})));
    this.redis.disconnect();
    await this.db.end().catch(() => {});
    return {
      samples: this.samples,
      bytesPerRetainedJob: perJob,
      redisKeys: { atStart: this.keysAtStart, atEnd: keysAtEnd },
      lastError: this.lastError ?? null,
    };
  }
}

// ---------- analysis ----------

/** Least-squares fit of y on x: slope, its standard error and the intercept. */
export function leastSquares(xs, ys) {
  const n = xs.length;
  if (n < 2) return { slope: null, stderr: null, intercept: null };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx === 0) return { slope: null, stderr: null, intercept: null };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - intercept - slope * xs[i]) ** 2;
  const stderr = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : null;
  return { slope, stderr, intercept };
}

const median = (v) => percentile(v, 50);

/**
 * One memory series judged: start = median over the first EDGE_WINDOW_MS after the warm-up, end =
 * median over the last EDGE_WINDOW_MS, slope = least squares over every sample after the warm-up.
 * Flat: slope < SLOPE_LIMIT_MB_PER_MIN and end <= start * (1 + END_TOLERANCE) (falling is fine).
 */
export function judgeSeries(points, warmupMs, lastMs) {
  const after = points.filter((p) => p.tMs >= warmupMs);
  if (after.length < 3) return { verdict: 'too few samples', flat: false, samples: after.length };
  const startMb = median(after.filter((p) => p.tMs < warmupMs + EDGE_WINDOW_MS).map((p) => p.mb));
  const endMb = median(after.filter((p) => p.tMs > lastMs - EDGE_WINDOW_MS).map((p) => p.mb));
  const fit = leastSquares(
    after.map((p) => p.tMs / 60_000),
    after.map((p) => p.mb),
  );
  const slopeOk = fit.slope < SLOPE_LIMIT_MB_PER_MIN;
  const endOk = endMb <= startMb * (1 + END_TOLERANCE);
  const max = Math.max(...points.map((p) => p.mb));
  return {
    samples: after.length,
    startMb: round(startMb, 1),
    endMb: round(endMb, 1),
    maxMb: round(max, 1),
    slopeMbPerMin: round(fit.slope, 3),
    slopeStderr: round(fit.stderr, 3),
    endVsStart: round(endMb / startMb - 1, 3),
    flat: slopeOk && endOk,
    verdict:
      slopeOk && endOk
        ? 'flat'
        : `GROWING (${[!slopeOk && `slope >= ${SLOPE_LIMIT_MB_PER_MIN} MB/min`, !endOk && `end > start + ${END_TOLERANCE * 100}%`].filter(Boolean).join(', ')})`,
  };
}

/**
 * A depth series judged over the post-warm-up window. A system keeping up has the same worst case
 * all along; one falling behind grows without end, roughly linearly. Bounded when both
 *  - the least-squares trend over the window (slope x its length) adds less than the first
 *    half's worst case (or DEPTH_FLOOR), and
 *  - the second half's worst case is at most twice the first half's (or DEPTH_FLOOR).
 */
export function judgeDepth(points, warmupMs) {
  const values = points.map((p) => p.n);
  const after = points.filter((p) => p.tMs >= warmupMs);
  const mid = after.length ? (after[0].tMs + after.at(-1).tMs) / 2 : 0;
  const firstMax = Math.max(0, ...after.filter((p) => p.tMs < mid).map((p) => p.n));
  const secondMax = Math.max(0, ...after.filter((p) => p.tMs >= mid).map((p) => p.n));
  const fit = leastSquares(
    after.map((p) => p.tMs / 60_000),
    after.map((p) => p.n),
  );
  const trend = after.length >= 2 ? (fit.slope ?? 0) * ((after.at(-1).tMs - after[0].tMs) / 60_000) : 0;
  const bounded = after.length >= 2 && trend < Math.max(firstMax, DEPTH_FLOOR) && secondMax <= Math.max(2 * firstMax, DEPTH_FLOOR);
  return {
    max: Math.max(0, ...values),
    p95: percentile(values, 95) ?? 0,
    end: values.at(-1) ?? 0,
    firstHalfMax: firstMax,
    secondHalfMax: secondMax,
    trend: round(trend, 1),
    bounded,
  };
}

/**
 * Every verdict of a soak. Redis is judged on its used_memory beyond the jobs it retains on
 * purpose (and its capped event streams): the memory it would use had the retained jobs stayed
 * as many as at the first post-warm-up sample. Its RSS is shown, with that reason, not judged.
 */
export function analyseSoak({ samples, bytesPerRetainedJob }, { warmupMs, judged, informational = [] }) {
  const lastMs = samples.at(-1)?.tMs ?? 0;
  const memory = {};
  for (const name of [...judged, ...informational]) {
    const pts = samples.filter((s) => s.rssMb[name] !== undefined).map((s) => ({ tMs: s.tMs, mb: s.rssMb[name] }));
    memory[name] = { ...judgeSeries(pts, warmupMs, lastMs), judged: judged.includes(name) };
  }
  // Redis: used_memory minus what the retained jobs and event streams explain.
  const queueNames = Object.keys(samples[0]?.queues ?? {});
  const explained = (s) =>
    queueNames.reduce((sum, q) => sum + (s.queues[q].completed + s.queues[q].failed) * (bytesPerRetainedJob?.[q]?.total ?? 0) + s.queues[q].eventsBytes, 0) /
    MB;
  const base = samples.find((s) => s.tMs >= warmupMs) ?? samples[0];
  if (base && bytesPerRetainedJob) {
    const pts = samples.map((s) => ({ tMs: s.tMs, mb: s.redisUsedMb - explained(s) + explained(base) }));
    const retained = (s) => queueNames.reduce((sum, q) => sum + s.queues[q].completed + s.queues[q].failed, 0);
    memory['redis (used_memory beyond retained jobs)'] = {
      ...judgeSeries(pts, warmupMs, lastMs),
      judged: true,
      retainedJobs: { atWarmup: retained(base), atEnd: retained(samples.at(-1)) },
      rawUsedMemory: judgeSeries(
        samples.map((s) => ({ tMs: s.tMs, mb: s.redisUsedMb })),
        warmupMs,
        lastMs,
      ),
    };
  }
  const depth = {};
  for (const q of queueNames)
    depth[`queue ${q}`] = judgeDepth(
      samples.map((s) => ({ tMs: s.tMs, n: s.queues[q].depth })),
      warmupMs,
    );
  depth['outbox backlog (not yet relayed)'] = judgeDepth(
    samples.map((s) => ({ tMs: s.tMs, n: s.outbox.undispatched })),
    warmupMs,
  );
  depth['outbox unfinished (relayed or not)'] = judgeDepth(
    samples.map((s) => ({ tMs: s.tMs, n: s.outbox.unfinished })),
    warmupMs,
  );
  const failedJobs = Object.fromEntries(queueNames.map((q) => [q, (samples.at(-1)?.queues[q].failed ?? 0) - (samples[0]?.queues[q].failed ?? 0)]));
  return { warmupMs, lastMs, samples: samples.length, memory, depth, failedJobs };
}

// ---------- the report ----------

const num = (x, d = 1) => (x === null || x === undefined ? '-' : round(x, d).toLocaleString('en-GB'));

export function formatSoakReport(r) {
  const s = r.soak;
  const a = s.analysis;
  const pad = (x, n) => String(x).padEnd(n);
  const lines = [
    '',
    `crosstrust soak ${r.startedAt}: ${r.machine.cpus} CPUs, load average at start ${r.machine.loadAverageAtStart.join(' ')}, at end ${s.loadAverageAtEnd.join(' ')}`,
    `  ${num(s.minutes, 1)} min at ${num(s.rate, 2)} referrals/s (half of ${s.peakRate === null ? `BENCH_SOAK_RATE x 2` : `the peak's ${num(s.peakRate, 2)}/s`}), sampled every ${s.sampleSeconds} s (${a.samples} samples); the first ${num(a.warmupMs / 60_000, 1)} min is warm-up`,
    `  referrals: ${s.load.completed} of ${s.load.referrals} discharged, ${s.load.errorCount} failed, ${s.load.lateStarts} started late, ${s.load.retries} client retries`,
    `  command -> follow-up commit, all jobs: p50 / p95 / p99 ${num(s.measured.commandToJobCommitMs.all.p50, 0)} / ${num(s.measured.commandToJobCommitMs.all.p95, 0)} / ${num(s.measured.commandToJobCommitMs.all.p99, 0)} ms (n=${s.measured.commandToJobCommitMs.all.n}; the < 100 ms target of the main benchmark is reported there, not checked here)`,
    '',
    `Memory (MB): start = median of the ${EDGE_WINDOW_MS / 1000} s after warm-up, end = median of the last ${EDGE_WINDOW_MS / 1000} s; flat = slope < ${SLOPE_LIMIT_MB_PER_MIN} MB/min and end <= start + ${END_TOLERANCE * 100}%`,
    `  ${pad('process', 42)} ${pad('start', 8)} ${pad('end', 8)} ${pad('max', 8)} ${pad('slope MB/min (+-se)', 20)} verdict`,
  ];
  for (const [name, m] of Object.entries(a.memory)) {
    lines.push(
      `  ${pad(name, 42)} ${pad(num(m.startMb), 8)} ${pad(num(m.endMb), 8)} ${pad(num(m.maxMb), 8)} ${pad(`${num(m.slopeMbPerMin, 2)} (${num(m.slopeStderr, 2)})`, 20)} ${m.judged ? m.verdict : `${m.verdict}, not judged`}`,
    );
  }
  const rj = a.memory['redis (used_memory beyond retained jobs)'];
  if (rj) {
    lines.push(
      `  (Redis keeps completed jobs, 24 h / 50,000 per queue: ${rj.retainedJobs.atWarmup} -> ${rj.retainedJobs.atEnd} retained; its raw used_memory went ${num(rj.rawUsedMemory.startMb)} -> ${num(rj.rawUsedMemory.endMb)} MB, slope ${num(rj.rawUsedMemory.slopeMbPerMin, 2)} MB/min,`,
      `   its RSS follows; per retained job, from used_memory's drop when ${CLEAN_SAMPLE.toLocaleString('en-GB')} were removed at the end: ${Object.entries(
        s.bytesPerRetainedJob ?? {},
      )
        .map(([q, b]) => `${q} ${num(b.total, 0)} B (hash alone ${num(b.hash, 0)} B, n=${b.removed})`)
        .join(', ')})`,
    );
  }
  lines.push(
    '',
    `Queue depth (jobs not finished) and outbox, sampled; after warm-up, bounded = least-squares trend over the window < max(1st half's max, ${DEPTH_FLOOR})`,
    `  and 2nd half's max <= max(2 x 1st half's max, ${DEPTH_FLOOR})`,
  );
  for (const [name, d] of Object.entries(a.depth)) {
    lines.push(
      `  ${pad(name, 36)} max ${pad(d.max, 6)} p95 ${pad(d.p95, 6)} end ${pad(d.end, 6)} trend ${pad(num(d.trend), 7)} halves ${d.firstHalfMax}/${d.secondHalfMax}  ${d.bounded ? 'bounded' : 'GROWING'}`,
    );
  }
  lines.push(
    `  failed jobs during the soak: ${Object.entries(a.failedJobs)
      .map(([q, n]) => `${q} ${n}`)
      .join(', ')}`,
    '',
    `Logs of the soak window (api + worker): ${s.logs.error} error, ${s.logs.fatal} fatal, ${s.logs.notJson} not JSON (counted as errors), ${s.logs.warn} warn`,
    ...s.logs.last.map((l) => `  ${l}`),
    '',
    'Checks',
    ...s.checks.map((c) => `  ${c.ok ? 'ok    ' : 'FAILED'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`),
    '',
  );
  return lines.join('\n');
}
