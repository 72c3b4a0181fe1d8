// Scale-out: 2 API and 3 worker processes (as deployed, from dist/) on one Postgres and one
// Redis. 500 referrals driven through every stage at once, requests spread across both APIs;
// then every step must have happened exactly once, and the reconciler must have had one leader
// at a time (and hand over when its leader stops).
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Queue } from 'bullmq';
import { QUEUE_NAMES } from '#queue';
import { Cluster } from './cluster.js';
import { Driver, expectExactlyOnce, verify } from './journeys.js';

const REFERRALS = Number(process.env.SCALE_REFERRALS ?? 500);
const CONCURRENCY = Number(process.env.SCALE_CONCURRENCY ?? 100);
const APIS = 2;
const WORKERS = 3;
/** The reconciler's advisory lock (apps/worker/src/loops/reconciler.ts, LOCK_KEY 7,351,902,204) as pg_locks shows a bigint key. */
const LEADER_LOCK = `locktype = 'advisory' AND classid = 1 AND objid = 3056934908 AND objsubid = 1 AND granted`;
/** The automated steps of one journey: screen, make-offers, transfer, decision and discharge dispatch, six notifications. */
const JOBS_PER_REFERRAL = 11;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let summary = '';
afterAll(() => {
  if (summary) process.stdout.write(`\n${summary}\n\n`);
});

/** CPU seconds (user + system) a live process has used so far, from /proc (Linux); 0 elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Samples who holds the reconciler's lock until stopped: the most holders seen at once, and every holder. */
function watchLeaderLock(databaseUrl: string) {
  const db = new pg.Client({ connectionString: databaseUrl });
  const seen = { samples: 0, maxHolders: 0, holders: new Set<number>(), withoutLeader: 0 };
  let stop = false;
  const done = (async () => {
    await db.connect();
    try {
      while (!stop) {
        const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE ${LEADER_LOCK}`);
        seen.samples++;
        seen.maxHolders = Math.max(seen.maxHolders, rows.length);
        if (rows.length === 0) seen.withoutLeader++;
        for (const r of rows) seen.holders.add(r.pid);
        await sleep(200);
      }
    } finally {
      await db.end();
    }
  })();
  done.catch(() => {}); // awaited (and so reported) by stop()
  return {
    seen,
    async stop() {
      stop = true;
      await done;
    },
  };
}

describe('scale-out: 2 APIs and 3 workers on one Postgres and Redis', () => {
  it(`${REFERRALS} referrals through every stage, every step exactly once`, async () => {
    const cluster = new Cluster('scale-out');
    let lock: ReturnType<typeof watchLeaderLock> | undefined;
    try {
      const t0 = Date.now();
      await cluster.start({ apis: APIS, workers: WORKERS });
      const startup = (Date.now() - t0) / 1000;
      // A worker takes the reconciler's lock within its first pass (RECONCILE_INTERVAL_MS is 1 s in the harness).
      const firstLeader = await (async () => {
        for (let i = 0; i < 300 && cluster.leaderships.length === 0; i++) await sleep(100);
        return cluster.leaderships[0];
      })();
      expect(firstLeader).toBeDefined();
      lock = watchLeaderLock(cluster.databaseUrl);
      const dbSize = async () => {
        const c = new pg.Client({ connectionString: cluster.databaseUrl });
        await c.connect();
        try {
          return Number((await c.query(`SELECT pg_database_size(current_database()) AS n`)).rows[0].n);
        } finally {
          await c.end();
        }
      };
      const sizeBefore = await dbSize();

      const driver = new Driver(cluster);
      await driver.init();
      const t1 = Date.now();
      const { ids, errors } = await driver.run(REFERRALS, CONCURRENCY, 'scale');
      const driven = (Date.now() - t1) / 1000;
      // What the 5 processes used, for a reader on a busier or quieter machine than this one.
      const cpu = cluster.procs.map((p) => `${p.name} ${cpuSeconds(p.child.pid).toFixed(0)}`).join(', ');
      const v = await verify(cluster, driver, ids, errors);
      await lock.stop();
      // For docs/scaling.md: what a discharged referral costs on disk (tables and indexes, no WAL).
      const kbPerReferral = ((await dbSize()) - sizeBefore) / 1024 / REFERRALS;
      const tableBytes = async (db: pg.Client, table: string) =>
        (
          await db.query<{ rows: number; bytes: number }>(`SELECT count(*)::int AS rows, pg_total_relation_size($1::regclass)::float8 AS bytes FROM ${table}`, [
            table,
          ])
        ).rows[0];

      // Exactly once, as the fault suite means it.
      expectExactlyOnce(v, REFERRALS);

      // Both APIs served the journeys.
      const hits = cluster.apiHits;
      expect(hits).toHaveLength(APIS);
      const requests = hits.reduce((a, b) => a + b, 0);
      for (const h of hits) expect(h).toBeGreaterThan((0.8 * requests) / APIS);

      const db = new pg.Client({ connectionString: cluster.databaseUrl });
      await db.connect();
      const queues = QUEUE_NAMES.map((n) => new Queue(n, { connection: { host: '127.0.0.1', port: cluster.redis.port }, prefix: '{faults-scale-out}' }));
      try {
        // Each automated step's job had exactly one run that did the work; any further run of it
        // (a redelivery) ended as "skipped" (the handler's guard: already done). The router logs both.
        const { rows: steps } = await db.query<{ job_id: string; job_name: string }>(
          `SELECT job_id, job_name FROM outbox_message WHERE referral_id = ANY($1::uuid[])`,
          [ids],
        );
        expect(steps).toHaveLength(REFERRALS * JOBS_PER_REFERRAL);
        const notOnce = steps
          .filter((s) => cluster.jobRuns.get(s.job_id)?.done !== 1)
          .map((s) => `${s.job_id}: ${JSON.stringify(cluster.jobRuns.get(s.job_id) ?? 'never ran')}`);
        expect(notOnce).toEqual([]);
        const skippedRuns = [...cluster.jobRuns.values()].reduce((n, r) => n + r.skipped, 0);
        const audit = await tableBytes(db, 'audit_event');
        const timeline = await tableBytes(db, 'timeline_event');
        // The effects of the dispatch steps, one of each kind per referral (also a unique key).
        const { rows: dispatches } = await db.query<{ kind: string; n: number }>(
          `SELECT kind, count(*)::int AS n FROM dispatch WHERE referral_id = ANY($1::uuid[]) AND kind IN ('DISCHARGE_SUMMARY', 'TRANSFER') GROUP BY kind ORDER BY kind`,
          [ids],
        );
        expect(dispatches.map((d) => d.n)).toEqual([REFERRALS, REFERRALS]);
        // No job left failed (or waiting) in any queue; every job completed once in BullMQ's books.
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')));
        const total = (k: string) => counts.reduce((n, c) => n + (c[k] ?? 0), 0);
        expect({ failed: total('failed'), waiting: total('waiting'), active: total('active'), delayed: total('delayed') }).toEqual({
          failed: 0,
          waiting: 0,
          active: 0,
          delayed: 0,
        });
        // Besides the referrals' steps: the staff worklist emails the reminder sweep sent meanwhile
        // (one per team per STAFF_EMAIL_BATCH_MS, no referral), each also run exactly once.
        const { rows: staff } = await db.query<{ job_id: string }>(`SELECT job_id FROM outbox_message WHERE job_name = 'staff-notification.send'`);
        expect(staff.filter((s) => cluster.jobRuns.get(s.job_id)?.done !== 1).map((s) => s.job_id)).toEqual([]);
        expect(total('completed')).toBe(REFERRALS * JOBS_PER_REFERRAL + staff.length);
        // The work was shared: every worker ran jobs.
        expect([...cluster.jobsByProc.keys()].sort()).toEqual(Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`));

        // One leader at a time, and the same one throughout (nobody killed it).
        expect(lock.seen.maxHolders).toBe(1);
        expect(lock.seen.withoutLeader).toBe(0);
        expect(lock.seen.holders.size).toBe(1);
        expect(cluster.leaderships).toEqual([firstLeader]);

        // The leader stops (SIGTERM, graceful): one of the other two takes over, alone.
        await cluster.signal(firstLeader.proc, 'SIGTERM');
        for (let i = 0; i < 200 && cluster.leaderships.length < 2; i++) await sleep(100);
        expect(cluster.leaderships).toHaveLength(2);
        expect(cluster.leaderships[1].proc).not.toBe(firstLeader.proc);
        const { rows: holders } = await db.query(`SELECT pid FROM pg_locks WHERE ${LEADER_LOCK}`);
        expect(holders).toHaveLength(1);
        await sleep(1500); // more than one reconcile interval: the third worker still does not lead
        expect(cluster.leaderships).toHaveLength(2);

        // No process logged an error or died, other than the leader we stopped.
        expect(cluster.errorLogs.filter((l) => !l.startsWith(`${firstLeader.proc}: exited (`))).toEqual([]);

        summary = [
          `Scale-out (${APIS} API + ${WORKERS} worker processes, one Postgres, one Redis):`,
          '| referrals | concurrency | start-up (s) | driven (s) | requests per API | jobs (per worker) | jobs run twice (second skipped) | dup. events | dup. notifications | leader lock holders at once (max) | database KiB per referral |',
          '|---|---|---|---|---|---|---|---|---|---|---|',
          `| ${REFERRALS} | ${CONCURRENCY} | ${startup.toFixed(1)} | ${driven.toFixed(1)} | ${hits.join(' / ')} | ${steps.length} (${[
            ...cluster.jobsByProc.entries(),
          ]
            .sort()
            .map(([, n]) => n)
            .join(
              ' / ',
            )}) | ${skippedRuns} | ${v.duplicateEvents} | ${v.duplicateNotifications + v.duplicateSends} | ${lock.seen.maxHolders} (${lock.seen.samples} samples) | ${kbPerReferral.toFixed(1)} |`,
          `CPU seconds used by the processes (start-up included): ${cpu}.`,
          `Postgres: audit_event ${audit.rows} rows, ${(audit.bytes / Math.max(1, audit.rows)).toFixed(0)} B each with indexes; timeline_event ${timeline.rows} rows, ${(timeline.bytes / Math.max(1, timeline.rows)).toFixed(0)} B each.`,
        ].join('\n');
      } finally {
        await Promise.all(queues.map((q) => q.close()));
        await db.end();
      }
    } finally {
      await lock?.stop().catch(() => {});
      await cluster.stop();
    }
  });
});
