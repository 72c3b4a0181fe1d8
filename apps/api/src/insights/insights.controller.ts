// The insights pages for trust admins (docs/insights.md): planning (funnel, weeks waited, capacity
// heat map, matching what-if) and equity (offers and acceptances by group, the skew flag), for the
// trust's own referrals or the whole group's; each chart's data as CSV; the weekly report as HTML and
// PDF. Aggregates only: every patient count goes through the disclosure rule before it is shown.
// Every view reads the figures the worker last computed (insight_figures) and says when that was; a
// trust admin may ask for them now (a form, POST-redirect-GET).
import { Controller, Get, Inject, Param, Post, Query, Req, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { Public } from '#auth';
import { APP_CONFIG, type AppConfig } from '#config';
import { DISCLOSURE_THRESHOLD, SKEW_MIN_OFFERED } from '#domain';
import { InsightFigures, type KeptInsights } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from '../console/console-access.js';
import { ConsoleErrorsFilter } from '../console/console-errors.filter.js';
import { securityHeaders } from '../console/console-headers.js';
import { SPECIALTIES } from '../console/console-pages.js';
import { renderForSession, seeOther } from '../console/console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from '../console/console-request.js';
import { IdentityProvider } from '../console/identity-provider.js';
import { renderPage } from '../console/views.js';
import { OKABE_ITO } from './charts.js';
import { CHART_NAMES, buildChart, equityCharts, planningCharts, specialtyName, type InsightsRequest } from './insights-model.js';
import { INSIGHTS_CSS, REPORT_CSS } from './insights-styles.js';
import { htmlToPdf } from './report-pdf.js';

const UK_TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });
const UK_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
/** "05:40 on 3 December 2026", UK time; and the instant itself for a <time> element. */
const ukTime = (d: Date) => ({ text: `${UK_TIME.format(d)} on ${UK_DAY.format(d)}`, time: UK_TIME.format(d), iso: d.toISOString() });

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/insights')
export class InsightsController {
  constructor(
    private readonly figures: InsightFigures,
    private readonly idp: IdentityProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ConsoleAccess('insights.read')
  async planning(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const r = this.request(req, query);
    const source = this.figures.reader();
    const charts = await planningCharts(source, r);
    return renderForSession(req, res, this.idp, 'insights-planning.njk', {
      ...this.common(req, r, 'planning'),
      freshness: await this.freshness(source, query, '/console/insights'),
      title: 'Insights: planning',
      charts,
      specialtyItems: Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text, selected: value === (r.specialty ?? '') })),
    });
  }

  @Get('equity')
  @ConsoleAccess('insights.read')
  async equity(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const r = this.request(req, query);
    const source = this.figures.reader();
    const { charts, skew } = await equityCharts(source, r);
    return renderForSession(req, res, this.idp, 'insights-equity.njk', {
      ...this.common(req, r, 'equity'),
      freshness: await this.freshness(source, query, '/console/insights/equity'),
      title: 'Insights: equity',
      charts,
      skew,
    });
  }

  /**
   * A trust admin asks for the figures now: the worker's refresh job, through the outbox. Back to the
   * page they were on (planning or equity, same scope and specialty), which says it is under way.
   */
  @Post('refresh')
  @ConsoleAccess('insights.refresh')
  async refresh(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const back = form.page === 'equity' ? '/console/insights/equity' : '/console/insights';
    const scope = form.scope === 'group' ? 'group' : 'trust';
    const specialty = typeof form.specialty === 'string' && form.specialty in SPECIALTIES ? form.specialty : null;
    await this.figures.requestRefresh();
    const q = new URLSearchParams({ scope, ...(specialty ? { specialty } : {}), refresh: 'asked' });
    return seeOther(res, `${back}?${q.toString()}#figures-as-at`);
  }

  @Get('insights.css')
  @ConsoleAccess('insights.read')
  stylesheet(@Res({ passthrough: true }) res: ConsoleResponse): string {
    res.header('content-type', 'text/css; charset=utf-8');
    res.header('cache-control', 'private, max-age=3600');
    return INSIGHTS_CSS;
  }

  @Get('report.css')
  @ConsoleAccess('insights.read')
  reportStylesheet(@Res({ passthrough: true }) res: ConsoleResponse): string {
    res.header('content-type', 'text/css; charset=utf-8');
    res.header('cache-control', 'private, max-age=3600');
    return REPORT_CSS;
  }

  @Get('data/:file')
  @ConsoleAccess('insights.read')
  async csv(
    @Param('file') file: string,
    @Query() query: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res({ passthrough: true }) res: ConsoleResponse,
  ): Promise<StreamableFile> {
    const name = file.replace(/\.csv$/, '');
    if (!file.endsWith('.csv') || !(CHART_NAMES as readonly string[]).includes(name))
      throw new ConsolePageError(404, 'Page not found', 'There is no chart data at this address.');
    const r = this.request(req, query);
    const { csv } = await buildChart(this.figures.reader(), name, r);
    res.header('cache-control', 'no-store');
    // A spreadsheet opening the file must not run a cell as a formula.
    const body = Readable.from(csv.map((row) => [...row])).pipe(stringify({ escape_formulas: true, record_delimiter: '\r\n' }));
    return new StreamableFile(body, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${name}-${r.scopeParam}.csv"` });
  }

  @Get('report')
  @ConsoleAccess('insights.read')
  async report(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const r = this.request(req, query);
    securityHeaders(res, null);
    return this.reportHtml(req, r, false);
  }

  @Get('report.pdf')
  @ConsoleAccess('insights.read')
  async reportPdf(
    @Query() query: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res({ passthrough: true }) res: ConsoleResponse,
  ): Promise<StreamableFile> {
    const r = this.request(req, query);
    const pdf = await htmlToPdf(await this.reportHtml(req, r, true), this.config.insights.chromiumPath);
    res.header('cache-control', 'no-store');
    return new StreamableFile(pdf, { type: 'application/pdf', disposition: `attachment; filename="weekly-report-${r.scopeParam}.pdf"` });
  }

  /** The report's HTML: linked stylesheet when served, the styles inside when printed (nothing is fetched then). */
  private async reportHtml(req: ConsoleRequest, r: InsightsRequest, standalone: boolean): Promise<string> {
    const now = new Date();
    const source = this.figures.reader();
    const [planning, equity] = await Promise.all([planningCharts(source, r), equityCharts(source, r)]);
    return renderPage('insights-report.njk', {
      title: `Weekly report: ${this.scopeName(req, r)}`,
      scopeName: this.scopeName(req, r),
      generated: now.toISOString(),
      asAt: ukTime(source.asAt ?? now),
      charts: [...planning, ...equity.charts],
      skew: equity.skew,
      css: standalone ? REPORT_CSS : null,
      threshold: DISCLOSURE_THRESHOLD,
    });
  }

  /** When the page's figures were computed, how often they are, and the form that asks for them now. */
  private async freshness(source: KeptInsights, query: Record<string, unknown>, action: string) {
    const every = this.config.insights.refreshMs;
    const lastMs = query.refresh === 'asked' ? ((await this.figures.lastRefresh())?.computeMs ?? null) : null;
    return {
      asAt: ukTime(source.asAt ?? new Date()),
      every: every === 0 ? null : every >= 120_000 ? `${Math.round(every / 60_000)} minutes` : `${Math.round(every / 1000)} seconds`,
      asked: query.refresh === 'asked',
      // Roughly how long the asked-for refresh takes: the last one's time, rounded up to the next 10 seconds.
      expectSeconds: lastMs === null ? null : Math.max(10, Math.ceil(lastMs / 10_000) * 10),
      page: action.endsWith('/equity') ? 'equity' : 'planning',
    };
  }

  private request(req: ConsoleRequest, query: Record<string, unknown>): InsightsRequest {
    const scope = query.scope ?? 'trust';
    if (scope !== 'trust' && scope !== 'group') throw new ConsolePageError(400, 'There is a problem', 'The scope must be "trust" or "group".');
    const specialty = query.specialty === undefined || query.specialty === '' ? null : query.specialty;
    if (specialty !== null && (typeof specialty !== 'string' || !(specialty in SPECIALTIES)))
      throw new ConsolePageError(400, 'There is a problem', 'The specialty must be one of the treatment function codes listed on the page.');
    return { scope: scope === 'group' ? null : req.caller!.ods!, scopeParam: scope, specialty };
  }

  private scopeName(req: ConsoleRequest, r: InsightsRequest): string {
    return r.scope === null ? 'the group' : (req.consoleSession?.trustName ?? r.scope);
  }

  private common(req: ConsoleRequest, r: InsightsRequest, page: 'planning' | 'equity') {
    const q = (scope: string) => `?${new URLSearchParams({ scope, ...(r.specialty ? { specialty: r.specialty } : {}) }).toString()}`;
    const base = page === 'planning' ? '/console/insights' : '/console/insights/equity';
    return {
      scopeName: this.scopeName(req, r),
      scopeParam: r.scopeParam,
      specialty: r.specialty,
      specialtyName: r.specialty ? specialtyName(r.specialty) : null,
      scopeLinks: [
        { href: `${base}${q('trust')}`, text: `${req.consoleSession?.trustName ?? 'Your trust'}'s referrals`, current: r.scopeParam === 'trust' },
        { href: `${base}${q('group')}`, text: 'The whole group', current: r.scopeParam === 'group' },
      ],
      pageLinks: [
        { href: `/console/insights${q(r.scopeParam)}`, text: 'Planning', current: page === 'planning' },
        { href: `/console/insights/equity${q(r.scopeParam)}`, text: 'Equity', current: page === 'equity' },
      ],
      reportHref: `/console/insights/report?scope=${r.scopeParam}`,
      reportPdfHref: `/console/insights/report.pdf?scope=${r.scopeParam}`,
      threshold: DISCLOSURE_THRESHOLD,
      skewMinimum: SKEW_MIN_OFFERED,
      palette: OKABE_ITO,
    };
  }
}
