// The insights pages for trust admins (docs/insights.md): planning (funnel, weeks waited, capacity
// heat map, matching what-if) and equity (offers and acceptances by group, the skew flag), for the
// trust's own referrals or the whole group's; each chart's data as CSV; the weekly report as HTML and
// PDF. Aggregates only: every patient count goes through the disclosure rule before it is shown.
import { Controller, Get, Inject, Param, Query, Req, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { Public } from '#auth';
import { APP_CONFIG, type AppConfig } from '#config';
import { DISCLOSURE_THRESHOLD, SKEW_MIN_OFFERED } from '#domain';
import { InsightQueries } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from '../console/console-access.js';
import { ConsoleErrorsFilter } from '../console/console-errors.filter.js';
import { securityHeaders } from '../console/console-headers.js';
import { SPECIALTIES } from '../console/console-pages.js';
import { renderForSession } from '../console/console-render.js';
import type { ConsoleRequest, ConsoleResponse } from '../console/console-request.js';
import { IdentityProvider } from '../console/identity-provider.js';
import { renderPage } from '../console/views.js';
import { OKABE_ITO } from './charts.js';
import { CHART_NAMES, buildChart, equityCharts, planningCharts, specialtyName, type InsightsRequest } from './insights-model.js';
import { INSIGHTS_CSS, REPORT_CSS } from './insights-styles.js';
import { htmlToPdf } from './report-pdf.js';

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/insights')
export class InsightsController {
  constructor(
    private readonly insights: InsightQueries,
    private readonly idp: IdentityProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ConsoleAccess('insights.read')
  async planning(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const r = this.request(req, query);
    const charts = await planningCharts(this.insights, r);
    return renderForSession(req, res, this.idp, 'insights-planning.njk', {
      ...this.common(req, r, 'planning'),
      title: 'Insights: planning',
      charts,
      specialtyItems: Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text, selected: value === (r.specialty ?? '') })),
    });
  }

  @Get('equity')
  @ConsoleAccess('insights.read')
  async equity(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const r = this.request(req, query);
    const { charts, skew } = await equityCharts(this.insights, r);
    return renderForSession(req, res, this.idp, 'insights-equity.njk', { ...this.common(req, r, 'equity'), title: 'Insights: equity', charts, skew });
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
    const { csv } = await buildChart(this.insights, name, r);
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
    const [planning, equity] = await Promise.all([planningCharts(this.insights, r, now), equityCharts(this.insights, r, now)]);
    return renderPage('insights-report.njk', {
      title: `Weekly report: ${this.scopeName(req, r)}`,
      scopeName: this.scopeName(req, r),
      generated: now.toISOString(),
      charts: [...planning, ...equity.charts],
      skew: equity.skew,
      css: standalone ? REPORT_CSS : null,
      threshold: DISCLOSURE_THRESHOLD,
    });
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
