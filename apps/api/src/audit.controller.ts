// The audit trail of referrals the caller's trust is on, for its trust admins.
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { AuditService, CurrentCaller, RequirePermission, type Caller } from '#auth';
import { UUID_PATTERN } from '#domain';
import { IsDateTime } from './dto/validators.js';
import { AuditPage } from './dto/responses/audit.responses.js';

/** The largest audit event id Postgres's bigint holds: a larger cursor would fail in SQL, as a 500. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;

const IsAuditCursor = () =>
  ValidateBy({
    name: 'isAuditCursor',
    validator: {
      validate: (v) => typeof v === 'string' && /^\d{1,19}$/.test(v) && BigInt(v) <= MAX_BIGINT,
      defaultMessage: () => '$property must be the nextCursor of the previous page',
    },
  });

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: '$property must be a UUID' })
  referralId?: string;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsDateTime()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsDateTime()
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsAuditCursor()
  cursor?: string;

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(500)
  limit?: number;
}

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission('audit.read')
  @ApiOperation({ summary: "Who read or changed referrals the caller's trust is on, newest first" })
  @ApiOkResponse({ type: AuditPage })
  list(@CurrentCaller() caller: Caller, @Query() q: AuditQueryDto): Promise<AuditPage> {
    return this.audit.list(caller.ods!, {
      referralId: q.referralId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      cursor: q.cursor,
      limit: q.limit,
    });
  }
}
