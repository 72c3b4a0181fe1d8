// Bodies of the patient-initiated mutual aid (PIDMAS) routes.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { COHORT_BANDS, REASON_CODE } from '#domain';

/** POST /v1/pidmas/cohorts. */
export class PidmasCohortDto {
  @ApiProperty({ example: '110', description: 'Treatment function code of the cohort' })
  @Matches(/^\d{3}$/, { message: '$property must be a 3-digit treatment function code' })
  specialtyCode!: string;

  @ApiProperty({ example: 52, enum: COHORT_BANDS, description: 'The weeks-waited band: entries that have waited at least this many whole weeks' })
  @IsInt({ message: '$property must be a whole number' })
  @IsIn([...COHORT_BANDS], { message: `$property must be one of the cohort bands: ${COHORT_BANDS.join(', ')}` })
  minWeeks!: number;
}

/** POST /v1/pidmas/opt-ins/:id/review. */
export class PidmasReviewDto {
  @ApiProperty({ enum: ['suitable', 'not_suitable'], description: 'Whether moving is clinically and socially appropriate' })
  @IsIn(['suitable', 'not_suitable'], { message: '$property must be suitable or not_suitable' })
  decision!: 'suitable' | 'not_suitable';

  @ApiPropertyOptional({
    example: 'CARING_RESPONSIBILITIES',
    description: 'Required when not suitable: a code of GET /v1/pidmas/reason-codes, or a trust code',
  })
  @IsOptional()
  @Matches(REASON_CODE, { message: '$property must be an upper-case reason code' })
  reasonCode?: string;
}

/** GET /v1/pidmas/opt-ins. */
export class PidmasOptInQueryDto {
  @ApiPropertyOptional({ enum: ['awaiting_review', 'no_capacity'], description: 'awaiting_review (default) or no_capacity' })
  @IsOptional()
  @IsIn(['awaiting_review', 'no_capacity'], { message: '$property must be awaiting_review or no_capacity' })
  list?: 'awaiting_review' | 'no_capacity';

  @ApiPropertyOptional({ example: 100, description: 'At most this many (default 100, at most 500)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(500)
  limit?: number;
}
