// The insights' charts from their figures: every patient count published through the disclosure
// rule first (libs/domain equity.ts), so a hidden count is neither drawn, nor in the table, nor in
// the CSV. Each builder returns the chart and its data rows for the CSV download.
import { SEX_NAMES, ETHNIC_CATEGORY_NAMES, SUPPRESSED_TEXT, publish, publishColumn, publishRate, type PublishedCount } from '#domain';
import { WHAT_IF_BANDS, type CapacityCell, type EquityDimension, type EquityRow, type FunnelStage, type WaitBandCount, type WhatIf } from '#workflow';
import { SEQUENTIAL_SCHEME, renderSvg, type Chart, type ChartTable } from './charts.js';

/** A chart with the rows of its CSV (header first). */
export interface BuiltChart {
  readonly chart: Chart;
  readonly csv: ReadonlyArray<ReadonlyArray<string | number>>;
}

const value = (c: PublishedCount) => c.value;
const cell = (c: PublishedCount) => c.text;
const weekLabel = (iso: string) => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const fullDate = (iso: string) => new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function table(head: string[], rows: string[][]): ChartTable {
  return { head, rows, numeric: head.map((_, i) => i > 0) };
}

export async function funnelChart(stages: FunnelStage[], csvHref: string): Promise<BuiltChart> {
  const counts = stages.map((s) => publish(s.referrals));
  const id = 'funnel';
  const first = stages[0]?.referrals ?? 0;
  const treated = stages.find((s) => s.stage === 'Treated')?.referrals ?? 0;
  const summary =
    first === 0
      ? 'No referrals yet.'
      : `Of ${counts[0].text} referrals opened, ${counts[1].text} passed screening, ${counts[3].text} patients accepted an offer and ${publish(treated).text} have been treated.`;
  const svg = await renderSvg(
    {
      width: 480,
      height: 240,
      data: { values: stages.map((s, i) => ({ stage: s.stage, order: i, referrals: value(counts[i]) })) },
      mark: { type: 'bar', color: '#0072B2' },
      encoding: {
        y: { field: 'stage', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 240 } },
        x: { field: 'referrals', type: 'quantitative', title: 'Referrals' },
      },
    },
    id,
  );
  return {
    chart: {
      id,
      title: 'Referrals by stage reached',
      summary,
      svg,
      table: table(
        ['Stage', 'Referrals'],
        stages.map((s, i) => [s.stage, cell(counts[i])]),
      ),
      csvHref,
    },
    csv: [['stage', 'referrals'], ...stages.map((s, i) => [s.stage, cell(counts[i])])],
  };
}

export async function waitsChart(bands: WaitBandCount[], csvHref: string): Promise<BuiltChart> {
  const origin = publishColumn(bands.map((b) => b.originList));
  const moved = publishColumn(bands.map((b) => b.transferred));
  const id = 'waits';
  const long = bands.slice(-3);
  const longOrigin = publish(long.reduce((a, b) => a + b.originList, 0));
  const summary = `${longOrigin.text} patients on the origin lists have waited 65 weeks or more; ${publish(bands.reduce((a, b) => a + b.transferred, 0)).text} have been transferred.`;
  const svg = await renderSvg(
    {
      width: 480,
      height: 240,
      data: {
        values: bands.flatMap((b, i) => [
          { band: b.band, order: i, list: 'Origin list', patients: value(origin[i]) },
          { band: b.band, order: i, list: 'Transferred', patients: value(moved[i]) },
        ]),
      },
      mark: 'bar',
      encoding: {
        x: { field: 'band', type: 'nominal', sort: { field: 'order' }, title: 'Weeks waited', axis: { labelAngle: -30 } },
        xOffset: { field: 'list' },
        y: { field: 'patients', type: 'quantitative', title: 'Patients' },
        color: { field: 'list', type: 'nominal', title: null, legend: { orient: 'top' } },
      },
    },
    id,
  );
  return {
    chart: {
      id,
      title: 'Weeks waited: origin list against transferred',
      summary,
      svg,
      table: table(
        ['Weeks waited', 'Origin list', 'Transferred'],
        bands.map((b, i) => [b.band, cell(origin[i]), cell(moved[i])]),
      ),
      csvHref,
    },
    csv: [['weeks_waited', 'origin_list', 'transferred'], ...bands.map((b, i) => [b.band, cell(origin[i]), cell(moved[i])])],
  };
}

/** Slots are not patients: shown as they are (the capacity page shows them too). */
export async function capacityChart(cells: CapacityCell[], csvHref: string): Promise<BuiltChart> {
  const id = 'capacity';
  const free = cells.reduce((a, c) => a + Math.max(0, c.slots - c.used), 0);
  const sites = new Set(cells.map((c) => c.siteOds)).size;
  const empty = cells.filter((c) => c.slots - c.used <= 0).length;
  const summary = cells.length
    ? `${free.toLocaleString('en-GB')} free slots across ${sites} ${sites === 1 ? 'site' : 'sites'} over the next 12 weeks; ${empty} site-weeks have none free.`
    : 'No capacity declared for the next 12 weeks.';
  const svg = await renderSvg(
    {
      width: 480,
      height: { step: 28 },
      data: { values: cells.map((c) => ({ site: c.siteName, week: weekLabel(c.weekStart), order: c.weekStart, free: Math.max(0, c.slots - c.used) })) },
      mark: { type: 'rect', stroke: 'white' },
      encoding: {
        x: { field: 'week', type: 'ordinal', sort: { field: 'order' }, title: 'Week commencing', axis: { labelAngle: -45 } },
        y: { field: 'site', type: 'nominal', title: null },
        color: { field: 'free', type: 'quantitative', title: 'Free slots', scale: { scheme: SEQUENTIAL_SCHEME } },
      },
    },
    id,
  );
  const rows = cells.length
    ? cells.map((c) => [c.siteName, fullDate(c.weekStart), String(c.slots), String(c.used), String(Math.max(0, c.slots - c.used))])
    : [['No capacity declared', '', '', '', '']];
  return {
    chart: {
      id,
      title: 'Capacity per site and week: free slots',
      summary,
      svg,
      table: table(['Site', 'Week commencing', 'Slots', 'Taken', 'Free'], rows),
      csvHref,
    },
    csv: [
      ['site', 'week_commencing', 'slots', 'taken', 'free'],
      ...cells.map((c) => [c.siteName, c.weekStart, c.slots, c.used, Math.max(0, c.slots - c.used)]),
    ],
  };
}

export async function whatIfChart(w: WhatIf, specialtyName: string, csvHref: string): Promise<BuiltChart> {
  const id = 'what-if';
  const published = w.weeks.map((wk) => Object.fromEntries(WHAT_IF_BANDS.map((b) => [b, publish(wk.over[b])])));
  const milestone = (m: number) =>
    w.clearedBy[m]
      ? `no one would wait over ${m} weeks from the week commencing ${fullDate(w.clearedBy[m])}`
      : `the capacity runs out: patients would still be waiting over ${m} weeks after 26 weeks`;
  const summary =
    w.cohort === 0
      ? `No one on the group's ${specialtyName} waiting lists is waiting to be referred.`
      : `${publish(w.cohort).text} patients waiting for ${specialtyName}: with the group's declared capacity, served longest waiter first, ${milestone(65)}; ${milestone(52)}.`;
  const svg = await renderSvg(
    {
      width: 480,
      height: 240,
      data: {
        values: w.weeks.flatMap((wk, i) => WHAT_IF_BANDS.map((b) => ({ week: wk.weekStart, band: `over ${b} weeks`, patients: value(published[i][b]) }))),
      },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'week', type: 'temporal', title: 'Week commencing', axis: { format: '%d %b' } },
        y: { field: 'patients', type: 'quantitative', title: 'Patients still waiting' },
        color: { field: 'band', type: 'nominal', title: null, sort: WHAT_IF_BANDS.map((b) => `over ${b} weeks`), legend: { orient: 'top' } },
        strokeDash: { field: 'band', type: 'nominal', sort: WHAT_IF_BANDS.map((b) => `over ${b} weeks`) },
      },
    },
    id,
  );
  const head = ['Week commencing', 'Free slots', ...WHAT_IF_BANDS.map((b) => `Over ${b} weeks`)];
  const rows = w.weeks.map((wk, i) => [fullDate(wk.weekStart), String(wk.freeSlots), ...WHAT_IF_BANDS.map((b) => cell(published[i][b]))]);
  return {
    chart: { id, title: `What-if: how the group's capacity would clear ${specialtyName}`, summary, svg, table: table(head, rows), csvHref },
    csv: [
      ['week_commencing', 'free_slots', ...WHAT_IF_BANDS.map((b) => `over_${b}_weeks`)],
      ...w.weeks.map((wk, i) => [wk.weekStart, wk.freeSlots, ...WHAT_IF_BANDS.map((b) => cell(published[i][b]))]),
    ],
  };
}

export const DIMENSIONS: ReadonlyArray<{ key: EquityDimension; title: string; groupName: (g: string | null) => string }> = [
  { key: 'age', title: 'Age', groupName: (g) => g ?? 'Not known' },
  { key: 'sex', title: 'Sex', groupName: (g) => (g ? (SEX_NAMES[g] ?? g) : 'Not recorded') },
  { key: 'ethnicity', title: 'Ethnic category', groupName: (g) => (g ? (ETHNIC_CATEGORY_NAMES[g] ?? g) : 'Not recorded') },
  {
    key: 'deprivation',
    title: 'Deprivation (IMD decile)',
    groupName: (g) => (g ? `Decile ${g}${g === '1' ? ' (most deprived)' : g === '10' ? ' (least deprived)' : ''}` : 'Not known'),
  },
  { key: 'distance', title: 'Distance to the nearest site offered', groupName: (g) => g ?? 'Not known' },
];

const GROUP_ORDER: Record<EquityDimension, (g: string | null) => number> = {
  age: (g) => (g ? Number.parseInt(g, 10) : 999),
  sex: (g) => (g ? ['1', '2', '9', 'X'].indexOf(g) : 99),
  ethnicity: (g) => (g ? g.charCodeAt(0) : 999),
  deprivation: (g) => (g ? Number(g) : 99),
  distance: (g) => (g ? Number.parseInt(g.replace('under ', '0'), 10) : 999),
};

const EQUITY_HEAD = [
  'Group',
  'Eligible',
  'Offered',
  'Accepted',
  'Declined',
  'Still waiting',
  'Accepted of offered',
  'Median weeks at transfer',
  'Median weeks after',
];

export async function equityChart(dimension: (typeof DIMENSIONS)[number], all: EquityRow[], csvHref: string): Promise<BuiltChart> {
  const rows = all.filter((r) => r.dimension === dimension.key).sort((a, b) => GROUP_ORDER[dimension.key](a.group) - GROUP_ORDER[dimension.key](b.group));
  const col = (k: 'eligible' | 'offered' | 'accepted' | 'declined' | 'waiting') => publishColumn(rows.map((r) => r[k]));
  const [eligible, offered, accepted, declined, waiting] = [col('eligible'), col('offered'), col('accepted'), col('declined'), col('waiting')];
  const id = `equity-${dimension.key}`;
  const rate = (i: number) => publishRate(accepted[i], offered[i], rows[i].accepted, rows[i].offered);
  // A median of fewer than 5 patients would describe one of them.
  const median = (i: number, v: number | null) => (accepted[i].value === null || rows[i].accepted < 5 || v === null ? 'not shown' : v.toFixed(1));
  const shown = rows.map((r, i) => ({ group: dimension.groupName(r.group), rate: rate(i) }));
  const rated = shown.filter((s) => s.rate.endsWith('%'));
  const summary = rated.length
    ? `Share of patients offered a transfer who accepted, by ${dimension.title.toLowerCase()}: ${rated.map((s) => `${s.group} ${s.rate}`).join(', ')}.`
    : `Too few patients offered a transfer to show acceptance by ${dimension.title.toLowerCase()}.`;
  const svg = await renderSvg(
    {
      width: 420,
      height: { step: 26 },
      data: {
        values: shown.map((s, i) => ({ group: s.group, order: i, accepted: s.rate.endsWith('%') ? Number.parseInt(s.rate, 10) : null })),
      },
      mark: { type: 'bar', color: '#009E73' },
      encoding: {
        y: { field: 'group', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 320 } },
        x: { field: 'accepted', type: 'quantitative', title: 'Accepted of those offered (%)', scale: { domain: [0, 100] } },
      },
    },
    id,
  );
  const tableRows = rows.map((r, i) => [
    shown[i].group,
    cell(eligible[i]),
    cell(offered[i]),
    cell(accepted[i]),
    cell(declined[i]),
    cell(waiting[i]),
    shown[i].rate,
    median(i, r.weeksBefore),
    median(i, r.weeksAfter),
  ]);
  return {
    chart: { id, title: `Offers and acceptances by ${dimension.title.toLowerCase()}`, summary, svg, table: table(EQUITY_HEAD, tableRows), csvHref },
    csv: [
      [
        'group',
        'eligible',
        'offered',
        'accepted',
        'declined',
        'still_waiting',
        'accepted_of_offered',
        'median_weeks_at_transfer',
        'median_weeks_after_transfer',
      ],
      ...tableRows,
    ],
  };
}

export { SUPPRESSED_TEXT };
