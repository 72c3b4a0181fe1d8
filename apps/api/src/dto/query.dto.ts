// Query strings of the worklist and capacity routes.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { REFERRAL_STATUSES, WORKLIST_NAMES, worklistStatuses, type ReferralStatus, type WorklistName } from '#domain';
import { WORKLISTS } from '#workflow';
import { PageQueryDto } from './page-query.dto.js';

export class WorklistQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: WORKLIST_NAMES,
    description: "A named worklist: a fixed filter read from the caller's side of the referral (README, Worklists)",
  })
  @IsOptional()
  @IsIn(WORKLIST_NAMES, { message: `$property must be one of ${WORKLIST_NAMES.join(', ')}` })
  worklist?: WorklistName;

  @ApiPropertyOptional({ description: 'One status or several, comma-separated', example: 'AWAITING_CLINICAL_REVIEW' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s: string) => s.trim())
          .filter(Boolean)
      : value,
  )
  @IsIn(REFERRAL_STATUSES, { each: true, message: `$property must be one or more of ${REFERRAL_STATUSES.join(', ')}` })
  status?: ReferralStatus[];

  @ApiPropertyOptional({ example: '110' })
  @IsOptional()
  @Matches(/^\d{3}$/, { message: '$property must be a 3-digit treatment function code' })
  specialty?: string;

  @ApiPropertyOptional({ example: 52 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of weeks' })
  @Min(0)
  @Max(520)
  minWeeksWaited?: number;

  @ApiPropertyOptional({ enum: ['origin', 'receiving'] })
  @IsOptional()
  @IsIn(['origin', 'receiving'], { message: '$property must be origin or receiving' })
  side?: 'origin' | 'receiving';

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: '$property must be true or false' })
  needsAttention?: boolean;

  @ApiPropertyOptional({ enum: ['weeksWaited', 'priority'], default: 'weeksWaited' })
  @IsOptional()
  @IsIn(['weeksWaited', 'priority'], { message: '$property must be weeksWaited or priority' })
  sort?: 'weeksWaited' | 'priority';
}

/**
 * Filters that contradict the named worklist, each with its reason: a side other than the
 * worklist's, a status it never lists, needsAttention=false with needs-attention.
 */
export function worklistConflicts(q: WorklistQueryDto): Array<{ field: string; messages: string[] }> {
  if (!q.worklist) return [];
  const w = WORKLISTS[q.worklist];
  const out: Array<{ field: string; messages: string[] }> = [];
  if (q.side && w.side && q.side !== w.side) out.push({ field: 'side', messages: [`side must be ${w.side} (or left out) with worklist=${q.worklist}`] });
  if (q.status?.length && q.worklist !== 'needs-attention') {
    const allowed = worklistStatuses(q.worklist);
    const bad = q.status.filter((s) => !allowed.includes(s));
    if (bad.length) out.push({ field: 'status', messages: [`status ${bad.join(', ')} is never on worklist=${q.worklist} (it lists ${allowed.join(', ')})`] });
  }
  if (q.worklist === 'needs-attention' && q.needsAttention === false)
    out.push({ field: 'needsAttention', messages: ['needsAttention=false contradicts worklist=needs-attention'] });
  return out;
}
