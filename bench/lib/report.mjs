// The benchmark's result as a readable table for the terminal.
import { round } from './stats.mjs';

const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 1) => (x === null || x === undefined ? '-' : round(x, d).toLocaleString('en-GB'));
const lat = (s) => (s && s.n ? `${num(s.p50)} / ${num(s.p95)} / ${num(s.p99)} ms (n=${s.n})` : '-');

function rows(title, pairs) {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return [``, title, ...pairs.map(([k, v]) => `  ${pad(k, w)}  ${v}`)];
}

/** Each process's CPU per transition, and the machine's; "other processes" is what the machine spent besides ours (another tenant, the system). */
function cpuPerTransition(cpuMs, transitions) {
  const ours = Object.entries(cpuMs).filter(([k]) => k !== 'machine');
  const others = (cpuMs.machine ?? 0) - ours.reduce((sum, [, v]) => sum + v, 0);
  return [...Object.entries(cpuMs), ['other processes', others]].map(([k, v]) => `${k} ${num(v / transitions, 2)}`).join(', ');
}

function phaseLines(name, ph) {
  const m = ph.measured;
  const out = rows(
    `${name}: ${ph.load.completed}/${ph.load.referrals} referrals discharged in ${num(m.seconds)} s (${ph.load.mode === 'rate' ? `${num(ph.rate, 2)} referrals/s offered` : `concurrency ${ph.concurrency}`})`,
    [
      ['stage transitions/s', `${num(m.perSecond.transitions)}  (human ${num(m.perSecond.human)}, automated ${num(m.perSecond.automated)})`],
      ['jobs/s (all queues)', num(m.perSecond.jobs)],
      ['referrals/s', num(m.perSecond.referrals, 2)],
      ['command -> follow-up commit', `p50 / p95 / p99  ${lat(m.commandToJobCommitMs.all)}`],
      ...Object.entries(m.followUpMs).map(([k, v]) => [`  ${k}`, lat(v)]),
      ...Object.entries(m.commandToJobCommitMs)
        .filter(([k]) => k !== 'all')
        .map(([k, v]) => [`  job ${k}`, lat(v)]),
      ['outbox relay (row -> queue)', lat(m.outboxRelayMs)],
      ['queue lag (added -> started)', lat(ph.queueLagMs.all)],
      [
        'max jobs waiting',
        Object.entries(ph.sampled.maxWaiting)
          .map(([q, n]) => `${q} ${n}`)
          .join(', '),
      ],
      [
        'HTTP command latency',
        Object.entries(ph.load.httpLatencyMs)
          .map(([k, v]) => `${k} ${num(v.p95, 0)}`)
          .join(', ') + ' ms (p95)',
      ],
      ['client retries / errors', `${ph.load.retries} / ${ph.load.errorCount}`],
      ['machine load average at the end', (ph.loadAverageAtEnd ?? []).join(' ')],
      [
        'RSS max / end (MB)',
        Object.entries(ph.sampled.rssMb)
          .map(([k, v]) => `${k} ${num(v.max)}/${num(v.end)}`)
          .join(', '),
      ],
      ...(ph.sampled.cpuMs ? [['CPU ms per transition', cpuPerTransition(ph.sampled.cpuMs, m.transitions.total)]] : []),
    ],
  );
  if (ph.statements) {
    const s = ph.statements;
    out.push(
      ...rows('  database (pg_stat_statements, api + worker)', [
        ['statements per transition', `${num(s.perTransition.statements, 2)} (+ ${num(s.utilityStatements / m.transitions.total, 2)} BEGIN/COMMIT)`],
        ['round trips per transition', num(s.perTransition.roundTrips, 2)],
        ['transactions per transition', num(s.perTransition.transactions, 2)],
        ['statements per referral', num(s.statements / m.discharged, 1)],
        ['time executing, ms per transition', num(s.execMs / m.transitions.total, 2)],
        ...(s.plans
          ? [['plans made per transition, ms planning per transition', `${num(s.plans / m.transitions.total, 2)}, ${num(s.planMs / m.transitions.total, 2)}`]]
          : []),
        ...Object.entries(ph.tableWrites ?? {}).map(([table, w]) => [
          `${table} (${w.indexes} indexes)`,
          `${w.inserts} inserts, ${w.updates} updates, ${w.hotUpdates} HOT (${w.hotShare === null ? '-' : `${num(w.hotShare * 100, 0)}%`})`,
        ]),
      ]),
    );
    const timed = (q) => `${pad(num(q.totalMs, 0) + ' ms', 11)} ${pad(q.calls + ' calls', 13)} `;
    const planned = (q) => `${pad(num(q.planMs, 0) + ' ms', 11)} ${pad(q.calls + ' calls', 13)} ${pad(q.plans + ' plans', 13)}`;
    for (const [title, list, figures] of [
      ['  top 10 by total time', s.topByTotalTime, timed],
      ['  top 10 by calls', s.topByCalls, timed],
      ...(s.topByPlanTime?.length ? [['  top 10 by planning time', s.topByPlanTime, planned]] : []),
    ]) {
      out.push('', title);
      for (const q of list) out.push(`    ${figures(q)}${q.query.slice(0, 110)}`);
    }
  }
  return out;
}

const SETTING = {
  durable: 'durable commits (fsync, synchronous_commit, full_page_writes on)',
  'fsync-off': 'fsync, synchronous_commit and full_page_writes off',
};

export function formatReport(r) {
  const lines = [
    '',
    `crosstrust benchmark ${r.startedAt}${r.quick ? ' (--quick)' : ''}: ${r.machine.cpus} CPUs, load average at start ${r.machine.loadAverageAtStart.join(' ')}${r.loadAverageAtEnd ? `, at the end ${r.loadAverageAtEnd.join(' ')}` : ''}`,
    `Postgres: ${SETTING[r.durability ?? 'fsync-off']}`,
    ...settingLines(r),
    ...(r.fsyncOff ? ['', `==== The same again with ${SETTING['fsync-off']} ====`, ...settingLines(r.fsyncOff)] : []),
    '',
  ];
  return lines.join('\n');
}

/** One commit setting's limits, phases and ratios. */
function settingLines(r) {
  return [
    ...rows('Limits of this machine', [
      [
        'pgbench TPS',
        `${num(r.limits.pgbench.tps)} (TPC-B-like, scale ${r.limits.pgbench.scale}, ${r.limits.pgbench.clients} clients, ${r.limits.pgbench.seconds} s, latency ${num(r.limits.pgbench.latencyMs, 2)} ms)`,
      ],
      ...(r.limits.pgbenchAfter
        ? [
            [
              'pgbench TPS after crosstrust',
              `${num(r.limits.pgbenchAfter.tps)} (latency ${num(r.limits.pgbenchAfter.latencyMs, 2)} ms); the ratio below uses the mean, ${num(r.limits.pgbenchMeanTps)}`,
            ],
          ]
        : []),
      ['plain BullMQ jobs/s', `${num(r.limits.bullmq.jobsPerSecond)} (${r.limits.bullmq.jobs} jobs, concurrency ${r.limits.bullmq.concurrency})`],
    ]),
    ...(r.crosstrust.idle
      ? rows(`Idle, after the warm-up (${num(r.crosstrust.idle.seconds, 1)} s, no load)`, [
          [
            'CPU ms per second',
            Object.entries(r.crosstrust.idle.cpuMsPerSecond)
              .map(([k, v]) => `${k} ${num(v, 1)}`)
              .join(', '),
          ],
        ])
      : []),
    ...phaseLines('Peak', r.crosstrust.peak),
    ...phaseLines('Half of peak', r.crosstrust.halfPeak),
    ...rows('Ratios and targets', [
      ['transitions/s / pgbench TPS', `${num(r.ratios.transitionsPerPgbenchTps, 3)}  (target >= 0.25: ${r.targets.transitionsRatio ? 'met' : 'NOT met'})`],
      ...(r.ratios.transitionsPerPgbenchTpsAfter !== undefined
        ? [['  against pgbench before / after', `${num(r.ratios.transitionsPerPgbenchTpsBefore, 3)} / ${num(r.ratios.transitionsPerPgbenchTpsAfter, 3)}`]]
        : []),
      ...(r.budget
        ? [
            [
              'machine CPU per referral at the peak',
              `${num(r.budget.machineCpuMsPerReferral)} ms (${num(r.budget.transitionsPerReferral, 1)} transitions; a pgbench transaction ${num(r.budget.pgbenchTransactionMs, 2)} ms)`,
            ],
            [
              `  the most it may be for ${r.budget.target}`,
              `${num(r.budget.budgetMsPerReferral)} ms, with all ${r.budget.cores} cores busy: ${num(r.budget.machineCpuMsPerReferral / r.budget.budgetMsPerReferral, 1)} times over`,
            ],
          ]
        : []),
      ['jobs/s / plain BullMQ jobs/s', num(r.ratios.jobsPerBullmqJobs, 3)],
      [
        'p95 command -> follow-up at half peak',
        `${num(r.crosstrust.halfPeak.measured.commandToJobCommitMs.all.p95)} ms  (target < 100 ms: ${r.targets.halfPeakP95 ? 'met' : 'NOT met'})`,
      ],
      ['api / worker warnings, errors', `${r.logs.warnings} warnings, ${r.logs.errors} errors`],
    ]),
  ];
}
