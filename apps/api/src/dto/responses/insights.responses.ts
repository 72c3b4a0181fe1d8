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
}
