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

  start() {
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
    };
  }
}
