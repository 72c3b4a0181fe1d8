// What a phase did, read afterwards from where it is recorded: the timeline and the outbox in
// Postgres, the completed jobs in BullMQ, and pg_stat_statements. Runs as the observer login.
import { Queue } from 'bullmq';
import { summary, sleep } from './stats.mjs';

/** The human steps: one timeline event per API command, by a person (not the worker). */
const HUMAN_EVENT = `actor_role <> 'system'`;
/** The automated steps: the first event each worker step writes (notifications are counted as jobs). */
export const AUTOMATED_EVENTS = ['screening_passed', 'screening_failed', 'offers_made', 'transfer_dispatched', 'discharge_summary_sent'];
/** A command's event and the event its follow-up job commits, with the job between them. */
export const FOLLOW_UPS = [
  { job: 'referral.screen', from: 'referral_opened', to: 'screening_passed' },
  { job: 'referral.make-offers', from: 'clinical_review_suitable', to: 'offers_made' },
  { job: 'transfer.dispatch', from: 'consent_accepted', to: 'transfer_dispatched' },
  { job: 'discharge.dispatch', from: 'discharged', to: 'discharge_summary_sent' },
];

const ms = (rows, col = 'ms') => rows.map((r) => Number(r[col]));

/**
 * Waits until every job the phase's referrals started has finished and every MESH message they
 * queued has been sent and acknowledged (the MESH stand-in acknowledges at once; the worker's MESH
 * loops send and read the acknowledgements after the jobs that queued them); returns when the last
 * of those was recorded. Before 2026-12-03 12:15 UTC only the jobs were waited for, and the MESH
 * sending of a phase's last referrals ran into the next phase.
 */
export async function waitDrained(db, salt, seconds = 180) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const { rows } = await db.query(
      `WITH phase AS (SELECT id FROM referral WHERE pathway_id LIKE $1)
       SELECT (SELECT count(*) FROM outbox_message WHERE referral_id IN (SELECT id FROM phase) AND completed_at IS NULL)::int AS open,
              (SELECT count(*) FROM dispatch WHERE referral_id IN (SELECT id FROM phase) AND status IN ('QUEUED', 'SENT', 'DELIVERED'))::int AS sending,
              GREATEST((SELECT max(completed_at) FROM outbox_message WHERE referral_id IN (SELECT id FROM phase)),
                       (SELECT max(acknowledged_at) FROM dispatch WHERE referral_id IN (SELECT id FROM phase))) AS last`,
      [`${salt}-%`],
    );
    const { open, sending, last } = rows[0];
    if (open === 0 && sending === 0) return last ? last.getTime() : Date.now();
    if (Date.now() > end) throw new Error(`${open} jobs and ${sending} MESH messages of phase ${salt} still unfinished after ${seconds} s`);
    await sleep(200);
  }
}

/** Transitions, jobs and latencies of the referrals whose pathway id starts with `salt`. */
export async function measurePhase(db, salt, startedAt, endedAt) {
  const phase = `SELECT id FROM referral WHERE pathway_id LIKE $1`;
  const p = [`${salt}-%`];
  const seconds = (endedAt - startedAt) / 1000;
  const counts = (
    await db.query(
      `SELECT count(*) FILTER (WHERE ${HUMAN_EVENT})::int AS human,
              count(*) FILTER (WHERE type = ANY($2::text[]))::int AS automated,
              count(*)::int AS events
       FROM timeline_event WHERE referral_id IN (${phase})`,
      [...p, AUTOMATED_EVENTS],
    )
  ).rows[0];
  const discharged = (await db.query(`SELECT count(*)::int AS n FROM referral WHERE pathway_id LIKE $1 AND status = 'DISCHARGED'`, p)).rows[0].n;
  const jobs = (
    await db.query(
      `SELECT job_name, count(*)::int AS n
       FROM outbox_message WHERE referral_id IN (${phase}) AND completed_at IS NOT NULL GROUP BY job_name ORDER BY job_name`,
      p,
    )
  ).rows;
  const totalJobs = jobs.reduce((s, j) => s + j.n, 0);

  // Command to follow-up commit: from the command's timeline event to the event its job commits.
  const followUps = {};
  for (const f of FOLLOW_UPS) {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM b.at - a.at) * 1000 AS ms
       FROM timeline_event a JOIN timeline_event b ON b.referral_id = a.referral_id AND b.type = $3
       WHERE a.type = $2 AND a.referral_id IN (${phase})`,
      [...p, f.from, f.to],
    );
    followUps[`${f.from} -> ${f.to}`] = summary(ms(rows));
  }
  // The same for every job, notifications included: the outbox row is written with the command,
  // and completed_at once the job's own transaction has committed.
  const byJob = {};
  const all = [];
  const { rows: jobRows } = await db.query(
    `SELECT job_name, extract(epoch FROM completed_at - created_at) * 1000 AS ms, extract(epoch FROM dispatched_at - created_at) * 1000 AS relay
     FROM outbox_message WHERE referral_id IN (${phase}) AND completed_at IS NOT NULL`,
    p,
  );
  const relay = [];
  for (const r of jobRows) {
    (byJob[r.job_name] ??= []).push(Number(r.ms));
    all.push(Number(r.ms));
    relay.push(Number(r.relay));
  }
  const transitions = counts.human + counts.automated;
  return {
    seconds,
    discharged,
    transitions: { human: counts.human, automated: counts.automated, total: transitions, timelineEvents: counts.events },
    perSecond: {
      transitions: transitions / seconds,
      human: counts.human / seconds,
      automated: counts.automated / seconds,
      jobs: totalJobs / seconds,
      referrals: discharged / seconds,
    },
    jobs: Object.fromEntries(jobs.map((j) => [j.job_name, j.n])),
    totalJobs,
    followUpMs: followUps,
    commandToJobCommitMs: { all: summary(all), ...Object.fromEntries(Object.entries(byJob).map(([k, v]) => [k, summary(v)])) },
    outboxRelayMs: summary(relay),
  };
}

/** Queue lag (processedOn - timestamp) of the jobs BullMQ completed between `from` and `to`. */
export async function queueLag(connection, prefix, queueNames, from, to) {
  const lags = [];
  const byQueue = {};
  for (const name of queueNames) {
    const q = new Queue(name, { connection, prefix });
    try {
      const mine = [];
      const total = await q.getCompletedCount();
      for (let i = 0; i < total; i += 1000) {
        for (const j of await q.getJobs(['completed'], i, i + 999)) {
          if (j && j.timestamp >= from && j.timestamp <= to && j.processedOn) mine.push(j.processedOn - j.timestamp);
        }
      }
      byQueue[name] = summary(mine);
      lags.push(...mine);
    } finally {
      await q.close();
    }
  }
  return { all: summary(lags), ...byQueue };
}

// ---------- pg_stat_statements ----------

// (\y is a word boundary in Postgres regular expressions; \b would be a backspace.)
const UTILITY = `s.query ~* '^\\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|DEALLOCATE|DISCARD|SHOW)\\y'`;

export async function resetStatements(db) {
  // The view lives in each database that has the extension; the library is preloaded cluster-wide.
  await db.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
  await db.query(`SELECT pg_stat_statements_reset()`);
}

/**
 * Statements crosstrust's processes ran in its database since the reset (the observer's own
 * queries are another user and left out). Each is one round trip with node-postgres; BEGIN and
 * COMMIT of Prisma's interactive transactions are round trips of their own and counted apart.
 */
export async function statements(db, database, appUser, transitions) {
  const scope = `FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid WHERE r.rolname = $1 AND d.datname = $2`;
  const params = [appUser, database];
  const t = (
    await db.query(
      `SELECT coalesce(sum(calls) FILTER (WHERE NOT (${UTILITY})), 0)::bigint AS statements,
              coalesce(sum(calls) FILTER (WHERE ${UTILITY}), 0)::bigint AS utility,
              coalesce(sum(calls) FILTER (WHERE s.query ~* '^\\s*BEGIN'), 0)::bigint AS begins,
              coalesce(sum(total_exec_time), 0) AS exec_ms,
              coalesce(sum(plans), 0)::bigint AS plans, coalesce(sum(total_plan_time), 0) AS plan_ms
       ${scope}`,
      params,
    )
  ).rows[0];
  const top = async (order, limit = 10, chars = 200) =>
    (
      await db.query(
        `SELECT regexp_replace(s.query, '\\s+', ' ', 'g') AS query, calls::bigint AS calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows::bigint AS rows,
                plans::bigint AS plans, total_plan_time AS plan_ms
         ${scope} ORDER BY ${order} DESC LIMIT ${limit}`,
        params,
      )
    ).rows.map((r) => ({
      query: r.query.slice(0, chars),
      calls: Number(r.calls),
      totalMs: Number(r.total_ms),
      meanMs: Number(r.mean_ms),
      rows: Number(r.rows),
      plans: Number(r.plans),
      planMs: Number(r.plan_ms),
    }));
  const statementsN = Number(t.statements);
  const utility = Number(t.utility);
  return {
    statements: statementsN,
    utilityStatements: utility,
    transactions: Number(t.begins),
    roundTrips: statementsN + utility,
    execMs: Number(t.exec_ms),
    // Zero unless planning is tracked (BENCH_TRACK_PLANNING=1): plans made (a prepared statement's
    // generic plan is made once per connection; a custom plan at every call) and their time.
    plans: Number(t.plans),
    planMs: Number(t.plan_ms),
    perTransition: { statements: statementsN / transitions, roundTrips: (statementsN + utility) / transitions, transactions: Number(t.begins) / transitions },
    topByTotalTime: await top('total_exec_time'),
    topByPlanTime: Number(t.plans) > 0 ? await top('total_plan_time') : [],
    topByCalls: await top('calls'),
    // Every statement (up to 100), in the JSON only: where a transition's round trips go.
    allByCalls: await top('calls', 100, 400),
  };
}

/** The tables a transition writes, for their update counters. */
const WRITTEN_TABLES = ['referral', 'outbox_message', 'notification', 'timeline_event'];

/**
 * Row updates so far on the tables a transition writes, and how many were HOT (heap-only: no
 * index entry written, because no indexed column changed and the page had room). Cumulative
 * counters (pg_stat_user_tables); a phase reads them before and after and takes the difference.
 */
export async function tableWrites(db) {
  const { rows } = await db.query(
    `SELECT relname, n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd, n_tup_hot_upd::bigint AS hot,
            (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)::int AS indexes
     FROM pg_stat_user_tables t WHERE relname = ANY($1::text[])`,
    [WRITTEN_TABLES],
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { inserts: Number(r.ins), updates: Number(r.upd), hotUpdates: Number(r.hot), indexes: r.indexes }]));
}

/** What changed between two tableWrites readings, with the share of updates that were HOT. */
export function tableWritesBetween(before, after) {
  return Object.fromEntries(
    Object.entries(after).map(([name, a]) => {
      const b = before[name] ?? { inserts: 0, updates: 0, hotUpdates: 0 };
      const updates = a.updates - b.updates;
      const hotUpdates = a.hotUpdates - b.hotUpdates;
      return [name, { inserts: a.inserts - b.inserts, updates, hotUpdates, hotShare: updates ? hotUpdates / updates : null, indexes: a.indexes }];
    }),
  );
}
