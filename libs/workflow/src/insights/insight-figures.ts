// The insights' figures kept in insight_figures (docs/insights.md, "At scale"): the worker computes
// every chart's figures for the group and each trust with the live queries (InsightQueries), on a
// schedule and when a trust admin asks, and the pages, the report and GET /v1/insights/{chart} read
// those rows. At 1,000,000 referrals the funnel and equity passes take seconds each; a row is read in
// a millisecond. The rows hold what the queries return (aggregate counts, no patient row), so the
// disclosure rule and the skew flag are applied when the figures are drawn, exactly as before.
import { Injectable, Logger } from '@nestjs/common';
import { PrismaService, type SqlRunner } from '#persistence';
import { OnJob, type JobOutcome, type JobPayloads, type OutboxJob } from '#queue';
import { writeOutbox } from '../outbox/outbox.js';
import { InsightQueries, type CapacityCell, type EquityRow, type FunnelStage, type InsightScope, type WaitBandCount, type WhatIf } from './insight-queries.js';

/** What the charts are drawn from: the live queries, or the figures kept (InsightFigures.reader()). */
export interface InsightSource {
  funnel(scope: InsightScope): Promise<FunnelStage[]>;
  waits(scope: InsightScope): Promise<WaitBandCount[]>;
  capacity(scope: InsightScope): Promise<CapacityCell[]>;
  equity(scope: InsightScope): Promise<{ rows: EquityRow[]; deprivationKnown: boolean }>;
  busiestSpecialty(): Promise<string | null>;
  whatIf(specialtyCode: string): Promise<WhatIf>;
}

/** A source reading the kept figures, and when the oldest of those it read were computed. */
export interface KeptInsights extends InsightSource {
  /** The oldest computed_at of the rows read so far: what the page says its figures are "as at". */
  readonly asAt: Date | null;
}

const GROUP = 'group';
const scopeKey = (scope: InsightScope) => scope ?? GROUP;
// One refresh at a time across workers: the second waits, then computes from what is there then.
const REFRESH_LOCK = `hashtext('crosstrust.insights.refresh')`;

type Kind = 'funnel' | 'waits' | 'capacity' | 'equity' | 'busiest-specialty' | `what-if:${string}`;
/** The row a refresh writes about itself (group scope): how many rows it wrote; its compute_ms is the whole refresh's. */
const REFRESH_ROW = 'refresh';

@Injectable()
export class InsightFigures {
  private readonly logger = new Logger('InsightFigures');

  constructor(
    private readonly prisma: PrismaService,
    private readonly live: InsightQueries,
  ) {}

  /** The live query behind one kind of figures (what a refresh stores, and what a missing row is filled with). */
  private compute(kind: Kind, scope: InsightScope, now: Date): Promise<unknown> {
    if (kind === 'funnel') return this.live.funnel(scope, now);
    if (kind === 'waits') return this.live.waits(scope, now);
    if (kind === 'capacity') return this.live.capacity(scope, 12, now);
    if (kind === 'equity') return this.live.equity(scope, now);
    if (kind === 'busiest-specialty') return this.live.busiestSpecialty().then((specialty) => ({ specialty }));
    return this.live.whatIf(kind.slice('what-if:'.length), now);
  }

  /**
   * Every kind for the group and for each trust of the group, and the what-if for each specialty with
   * a waiting list or capacity, computed now and written together in one transaction (the pages never
   * see half a refresh), replacing what was kept. Returns how many rows and how long it took. The
   * figures are "as at" the moment this refresh got the lock: what was committed then is in them.
   * A refresh asked for while another runs waits for it, then computes again.
   */
  async refresh(): Promise<{ rows: number; ms: number }> {
    return this.prisma.sqlTransaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${REFRESH_LOCK})`);
      return this.computeAll(tx);
    });
  }

  /**
   * The worker's timer: a refresh when the kept figures are older than `maxAgeMs` (or there are none),
   * unless another worker is refreshing now (it will have them fresh). Null: nothing done.
   */
  async refreshIfDue(maxAgeMs: number): Promise<{ rows: number; ms: number } | null> {
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${REFRESH_LOCK}) AS locked`);
      if (!rows[0].locked) return null;
      const last = await this.lastRefresh();
      if (last && Date.now() - last.computedAt.getTime() < maxAgeMs) return null;
      return this.computeAll(tx);
    });
  }

  private async computeAll(tx: SqlRunner): Promise<{ rows: number; ms: number }> {
    const now = new Date();
    const started = Date.now();
    const { rows: trusts } = await this.prisma.sql.query<{ ods: string }>(`SELECT ods FROM trust ORDER BY ods`);
    const { rows: specialties } = await this.prisma.sql.query<{ code: string }>(
      `SELECT DISTINCT specialty_code AS code FROM waiting_list_entry WHERE status = 'open' AND referral_id IS NULL
       UNION SELECT DISTINCT specialty_code FROM capacity_week WHERE week_start >= $1::date`,
      [new Date(now.getTime() - 7 * 86_400_000).toISOString().slice(0, 10)],
    );
    const jobs: Array<{ kind: Kind; scope: InsightScope }> = [
      ...[null, ...trusts.map((t) => t.ods)].flatMap((scope) => (['funnel', 'waits', 'capacity', 'equity'] as const).map((kind) => ({ kind, scope }))),
      { kind: 'busiest-specialty', scope: null },
      ...specialties.map((s) => ({ kind: `what-if:${s.code}` as const, scope: null })),
    ];
    const computed: Array<{ kind: Kind; scope: string; figures: unknown; ms: number }> = [];
    // One after another: each pass is a whole-table aggregate, and the pages go on being served meanwhile.
    for (const j of jobs) {
      const t0 = Date.now();
      computed.push({ kind: j.kind, scope: scopeKey(j.scope), figures: await this.compute(j.kind, j.scope, now), ms: Date.now() - t0 });
    }
    computed.push({ kind: REFRESH_ROW as Kind, scope: GROUP, figures: { rows: computed.length }, ms: Date.now() - started });
    await tx.query(`DELETE FROM insight_figures`);
    await tx.query(
      `INSERT INTO insight_figures (kind, scope, figures, computed_at, compute_ms)
       SELECT k, s, f, $4, m FROM unnest($1::text[], $2::text[], $3::jsonb[], $5::int[]) AS x(k, s, f, m)`,
      [computed.map((c) => c.kind), computed.map((c) => c.scope), computed.map((c) => JSON.stringify(c.figures)), now, computed.map((c) => c.ms)],
    );
    const ms = Date.now() - started;
    this.logger.log({ rows: computed.length - 1, ms }, 'insights figures refreshed');
    return { rows: computed.length - 1, ms };
  }

  /** The worker's job: a trust admin asked for the figures now. */
  @OnJob('insights.refresh')
  async onRefreshJob(payload: JobPayloads['insights.refresh']): Promise<JobOutcome> {
    void payload;
    await this.refresh();
    return { outcome: 'done' };
  }

  /**
   * A trust admin asks for the figures now: an outbox row for the worker's refresh job. Asked twice in
   * the same second, one refresh.
   */
  async requestRefresh(now = new Date()): Promise<void> {
    const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '');
    const job: OutboxJob<'insights.refresh'> = { name: 'insights.refresh', payload: { reason: 'asked' }, jobId: `insights.refresh.asked.${stamp}` };
    await this.prisma.sqlTransaction((tx) => writeOutbox(tx, null, [job]));
  }

  /** When the last refresh computed the figures, and how long it took (in ms); null before the first. */
  async lastRefresh(): Promise<{ computedAt: Date; computeMs: number } | null> {
    const { rows } = await this.prisma.sql.query<{ computed_at: Date; compute_ms: number }>(
      `SELECT computed_at, compute_ms FROM insight_figures WHERE kind = $1 AND scope = $2`,
      [REFRESH_ROW, GROUP],
    );
    return rows[0] ? { computedAt: rows[0].computed_at, computeMs: rows[0].compute_ms } : null;
  }

  /** One row's figures; a row not there yet (a trust new to the group, a specialty with nothing) is computed now and kept. */
  private async read<T>(kind: Kind, scope: InsightScope): Promise<{ figures: T; computedAt: Date }> {
    const { rows } = await this.prisma.sql.query<{ figures: T; computed_at: Date }>(
      `SELECT figures, computed_at FROM insight_figures WHERE kind = $1 AND scope = $2`,
      [kind, scopeKey(scope)],
    );
    if (rows[0]) return { figures: rows[0].figures, computedAt: rows[0].computed_at };
    const now = new Date();
    const t0 = Date.now();
    const figures = (await this.compute(kind, scope, now)) as T;
    await this.prisma.sql.query(
      `INSERT INTO insight_figures (kind, scope, figures, computed_at, compute_ms) VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT (kind, scope) DO NOTHING`,
      [kind, scopeKey(scope), JSON.stringify(figures), now, Date.now() - t0],
    );
    return { figures, computedAt: now };
  }

  /** A source for one page or answer: reads the kept figures and remembers the oldest it read. */
  reader(): KeptInsights {
    let asAt: Date | null = null;
    const read = async <T>(kind: Kind, scope: InsightScope): Promise<T> => {
      const r = await this.read<T>(kind, scope);
      if (asAt === null || r.computedAt < asAt) asAt = r.computedAt;
      return r.figures;
    };
    return {
      get asAt() {
        return asAt;
      },
      funnel: (scope) => read<FunnelStage[]>('funnel', scope),
      waits: (scope) => read<WaitBandCount[]>('waits', scope),
      capacity: (scope) => read<CapacityCell[]>('capacity', scope),
      equity: (scope) => read<{ rows: EquityRow[]; deprivationKnown: boolean }>('equity', scope),
      busiestSpecialty: async () => (await read<{ specialty: string | null }>('busiest-specialty', null)).specialty,
      whatIf: (specialtyCode) => read<WhatIf>(`what-if:${specialtyCode}`, null),
    };
  }
}
