// Samples, while a phase runs: the resident memory (VmRSS) of each process, Postgres as a whole,
// and how many jobs wait in each queue of crosstrust. Only /proc/<pid>/status is read: it is
// cheap, where smaps_rollup (PSS) walks page tables and took a large share of a core per sample.
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';

function status(pid) {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
const field = (text, name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
export const rssKb = (pid) => field(status(pid), 'VmRSS');

/** The pids of `parent`'s children (Linux keeps the list in /proc/<pid>/task/<pid>/children). */
export function childrenOf(parent) {
  try {
    return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Postgres's memory without counting shared buffers once per backend: the postmaster's RSS
 * (its share of shared memory included) plus each backend's private memory (RssAnon).
 */
export function postgresKb(postmaster) {
  return rssKb(postmaster) + childrenOf(postmaster).reduce((sum, pid) => sum + field(status(pid), 'RssAnon'), 0);
}

/** CPU time (user + system) of a process so far, in ms; null if it is gone. Clock ticks are 10 ms on Linux. */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * CPU time the whole machine has spent running something so far, in ms, all cores: user, nice,
 * system, irq and softirq. Not idle or iowait; not steal (time the hypervisor gave to another
 * guest: this machine did no work in it); not guest and guest_nice, which user and nice already
 * include.
 */
export function machineBusyMs() {
  const [user, nice, system, , , irq = 0, softirq = 0] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) * 10;
}

export class Sampler {
  /** name -> { maxKb, endKb } */
  rss = {};
  /** queue -> max waiting */
  maxWaiting = {};
  samples = 0;

  /**
   * @param procs name -> pid (a function returning the pid is read at each sample)
   * @param postmasterPid a function returning Postgres's postmaster pid
   */
  constructor(procs, postmasterPid, redis, prefix, queueNames, everyMs = 500) {
    this.procs = procs;
    this.postmasterPid = postmasterPid;
    this.queues = queueNames.map((n) => new Queue(n, { connection: redis, prefix }));
    this.everyMs = everyMs;
  }

  /** name -> { first, last } CPU ms; a process first seen after start() started in the phase: from 0. */
  cpu = {};
  /** Postgres pid -> { first, last } CPU ms. */
  pgCpu = {};

  cpuSample(atStart = false) {
    const read = { machine: machineBusyMs() };
    for (const [name, pid] of Object.entries(this.procs)) {
      const p = typeof pid === 'function' ? pid() : pid;
      if (p) read[name] = cpuMs(p);
    }
    // Postgres: every process seen, by pid, so a backend that exits (the pool closing an idle
    // connection) keeps the CPU it used in the phase up to its last sample.
    const pm = this.postmasterPid();
    for (const p of [pm, ...childrenOf(pm)]) {
      const ms = cpuMs(p);
      if (ms == null) continue;
      const c = (this.pgCpu[p] ??= { first: atStart ? ms : 0, last: ms });
      c.last = ms;
    }
    for (const [name, ms] of Object.entries(read)) {
      if (ms == null) continue;
      const c = (this.cpu[name] ??= { first: atStart ? ms : 0, last: ms });
      c.last = ms;
    }
    this.cpu['postgres (all)'] = { first: 0, last: Object.values(this.pgCpu).reduce((sum, c) => sum + c.last - c.first, 0) };
  }

  start() {
    this.cpuSample(true);
    this.timer = setInterval(() => {
      this.running ??= this.sample().finally(() => (this.running = null));
    }, this.everyMs);
    return this;
  }

  record(name, kb) {
    if (!kb) return;
    const r = (this.rss[name] ??= { maxKb: 0, endKb: 0 });
    r.maxKb = Math.max(r.maxKb, kb);
    r.endKb = kb;
  }

  async sample() {
    this.cpuSample();
    for (const [name, pid] of Object.entries(this.procs)) this.record(name, rssKb(typeof pid === 'function' ? pid() : pid));
    const pm = this.postmasterPid();
    this.record('postgres (all)', postgresKb(pm));
    for (const q of this.queues) {
      const waiting = await q.getWaitingCount().catch(() => 0);
      this.maxWaiting[q.name] = Math.max(this.maxWaiting[q.name] ?? 0, waiting);
    }
    this.samples++;
  }

  async stop() {
    clearInterval(this.timer);
    await this.running;
    await this.sample();
    await Promise.all(this.queues.map((q) => q.close()));
    const mb = (kb) => Math.round(kb / 102.4) / 10;
    return {
      samples: this.samples,
      rssMb: Object.fromEntries(Object.entries(this.rss).map(([k, v]) => [k, { max: mb(v.maxKb), end: mb(v.endKb) }])),
      maxWaiting: this.maxWaiting,
      /** CPU ms each process used during the phase (the load generator: up to its last sample). */
      cpuMs: Object.fromEntries(Object.entries(this.cpu).map(([k, v]) => [k, v.last - v.first])),
    };
  }
}
