// What each insights page shows, built from the figures for a scope: the planning charts (funnel,
// weeks waited, capacity heat map, what-if), the equity charts with the skew flag, and the weekly
// report, which is both together. Shared by the console pages, the CSV downloads and the report.
// Drawn from a source of figures: the kept ones (InsightFigures.reader(), what every page reads) or
// the live queries (InsightQueries, the same shapes).
import { SKEW_ACTION, skewInWords, type SkewFinding } from '#domain';
import { deprivationSkew, type InsightScope, type InsightSource } from '#workflow';
import { SPECIALTIES } from '../console/console-pages.js';
import type { Chart } from './charts.js';
import { DIMENSIONS, capacityChart, equityChart, funnelChart, waitsChart, whatIfChart, type BuiltChart } from './insight-charts.js';

export const CHART_NAMES = ['funnel', 'waits', 'capacity', 'what-if', ...DIMENSIONS.map((d) => `equity-${d.key}`)] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export const specialtyName = (code: string) => SPECIALTIES[code] ?? `treatment function ${code}`;

export interface InsightsRequest {
  readonly scope: InsightScope;
  /** 'trust' or 'group', as in the address. */
  readonly scopeParam: 'trust' | 'group';
  readonly specialty: string | null;
}

const csvHref = (name: string, r: InsightsRequest) =>
  `/console/insights/data/${name}.csv?${new URLSearchParams({ scope: r.scopeParam, ...(r.specialty ? { specialty: r.specialty } : {}) }).toString()}`;

/** One chart by name, with its CSV rows. */
export async function buildChart(q: InsightSource, name: ChartName, r: InsightsRequest): Promise<BuiltChart> {
  const href = csvHref(name, r);
  switch (name) {
    case 'funnel':
      return funnelChart(await q.funnel(r.scope), href);
    case 'waits':
      return waitsChart(await q.waits(r.scope), href);
    case 'capacity':
      return capacityChart(await q.capacity(r.scope), href);
    case 'what-if': {
      const specialty = r.specialty ?? (await q.busiestSpecialty()) ?? '110';
      return whatIfChart(await q.whatIf(specialty), specialtyName(specialty), csvHref(name, { ...r, specialty }));
    }
    default: {
      const dim = DIMENSIONS.find((d) => `equity-${d.key}` === name)!;
      return equityChart(dim, (await q.equity(r.scope)).rows, href);
    }
  }
}

export async function planningCharts(q: InsightSource, r: InsightsRequest): Promise<Chart[]> {
  const built = await Promise.all((['funnel', 'waits', 'capacity', 'what-if'] as const).map((n) => buildChart(q, n, r)));
  return built.map((b) => b.chart);
}

export interface SkewView {
  readonly flagged: boolean;
  readonly text: string;
  readonly action: string | null;
}

export function skewView(f: SkewFinding, deprivationKnown: boolean): SkewView {
  const words = skewInWords(f, deprivationKnown);
  return { ...words, action: words.flagged ? SKEW_ACTION : null };
}

export async function equityCharts(q: InsightSource, r: InsightsRequest): Promise<{ charts: Chart[]; skew: SkewView }> {
  const { rows, deprivationKnown } = await q.equity(r.scope);
  const charts = await Promise.all(DIMENSIONS.map((d) => equityChart(d, rows, csvHref(`equity-${d.key}`, r))));
  return { charts: charts.map((c) => c.chart), skew: skewView(deprivationSkew(rows), deprivationKnown) };
}
