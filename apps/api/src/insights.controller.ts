// Insights for systems: one chart's figures as the console publishes them (counts under 5 hidden),
// for a trust admin's own trust or the whole group. The console's pages draw the same figures: those
// the worker last computed (insight_figures), with when that was.
import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { DISCLOSURE_THRESHOLD } from '#domain';
import { InsightFigures } from '#workflow';
import { SPECIALTIES } from './console/console-pages.js';
import { InsightChartView, InsightRefreshView } from './dto/responses/insights.responses.js';
import { CHART_NAMES, buildChart, type ChartName } from './insights/insights-model.js';

export class InsightChartParams {
  @ApiProperty({ enum: CHART_NAMES })
  @IsIn(CHART_NAMES, { message: `$property must be one of ${CHART_NAMES.join(', ')}` })
  chart!: ChartName;
}

export class InsightQueryDto {
  @ApiPropertyOptional({ enum: ['trust', 'group'], default: 'trust' })
  @IsOptional()
  @IsIn(['trust', 'group'], { message: '$property must be trust or group' })
  scope?: 'trust' | 'group';

  @ApiPropertyOptional({ description: 'The what-if: treatment function code (default: the one with most patients waiting to be referred)', example: '110' })
  @IsOptional()
  @IsIn(Object.keys(SPECIALTIES), { message: `$property must be one of ${Object.keys(SPECIALTIES).join(', ')}` })
  specialty?: string;
}

@ApiTags('insights')
@Controller('v1/insights')
export class InsightsApiController {
  constructor(private readonly figures: InsightFigures) {}

  @Get(':chart')
  @RequirePermission('insights.read')
  @ApiOperation({ summary: "One insights chart's figures (docs/insights.md), as published: aggregate counts, those under 5 given as words" })
  @ApiOkResponse({ type: InsightChartView })
  async chart(@CurrentCaller() caller: Caller, @Param() p: InsightChartParams, @Query() q: InsightQueryDto): Promise<InsightChartView> {
    const scopeParam = q.scope ?? 'trust';
    const source = this.figures.reader();
    const { chart, csv } = await buildChart(source, p.chart, {
      scope: scopeParam === 'group' ? null : caller.ods!,
      scopeParam,
      specialty: q.specialty ?? null,
    });
    const [columns, ...rows] = csv.map((r) => r.map(String));
    return {
      chart: p.chart,
      scope: scopeParam,
      title: chart.title,
      summary: chart.summary,
      columns,
      rows,
      suppressedBelow: DISCLOSURE_THRESHOLD,
      computedAt: (source.asAt ?? new Date()).toISOString(),
    };
  }

  @Post('refresh')
  @HttpCode(202)
  @RequirePermission('insights.refresh')
  @ApiOperation({
    summary:
      'Asks the worker to compute every insights figure now (it does so every INSIGHTS_REFRESH_MS anyway); computedAt of the charts moves on when it is done',
  })
  @ApiAcceptedResponse({ type: InsightRefreshView })
  async refresh(): Promise<InsightRefreshView> {
    await this.figures.requestRefresh();
    const last = await this.figures.lastRefresh();
    return { status: 'asked', computedAt: last?.computedAt.toISOString() ?? null, lastComputeMs: last?.computeMs ?? null };
  }
}
