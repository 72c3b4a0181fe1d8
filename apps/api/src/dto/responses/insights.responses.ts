// What GET /v1/insights/{chart} answers with: one chart's figures as published (apps/api/src/insights).
import { ApiProperty } from '@nestjs/swagger';

export class InsightChartView {
  @ApiProperty({ type: String, example: 'equity-deprivation' })
  chart!: string;

  @ApiProperty({ enum: ['trust', 'group'], description: "trust: the caller's trust's referrals; group: every trust's" })
  scope!: 'trust' | 'group';

  @ApiProperty({ type: String, example: 'Offers and acceptances by deprivation (imd decile)' })
  title!: string;

  @ApiProperty({ type: String, description: 'The chart in a sentence, as the console says it' })
  summary!: string;

  @ApiProperty({ type: [String], example: ['group', 'eligible', 'offered', 'accepted'] })
  columns!: string[];

  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
    description: 'One row per group or week, each cell as published: a count under suppressedBelow is "fewer than 5", never the number',
    example: [['Decile 1 (most deprived)', '40', '40', '8']],
  })
  rows!: string[][];

  @ApiProperty({ type: 'integer', example: 5, description: 'Counts from 1 to this less one are not given (NHS statistical disclosure)' })
  suppressedBelow!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-12-03T05:40:00.000Z',
    description: 'When these figures were computed: the worker computes them every INSIGHTS_REFRESH_MS (10 minutes by default) and when a trust admin asks',
  })
  computedAt!: string;
}

export class InsightRefreshView {
  @ApiProperty({ enum: ['asked'], description: 'The refresh is queued for the worker' })
  status!: 'asked';

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the figures in use now were computed; null: never yet' })
  computedAt!: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 41_000,
    description: 'How long the last refresh took to compute, in ms (about how long this one will)',
  })
  lastComputeMs!: number | null;
}
