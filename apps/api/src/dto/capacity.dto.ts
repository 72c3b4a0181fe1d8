// Bodies of the capacity and matching-run routes.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';

export class CapacityWeekDto {
  @ApiProperty({ example: '2026-12-07', description: 'The Monday the week starts on' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be YYYY-MM-DD' })
  weekStart!: string;

  @ApiProperty({ example: 5, description: 'Slots that week instead of weeklySlots' })
  @IsInt({ message: '$property must be a whole number' })
  @Min(0)
  @Max(10000)
  slots!: number;
}

/** PUT /v1/capacity/:ods/:specialty (the contract of api.md, with an optional site and per-week overrides). */
export class CapacityDeclarationDto {
  @ApiPropertyOptional({ example: 20, description: 'Slots a week offered to the group' })
  @IsInt({ message: '$property must be a whole number' })
  @Min(0)
  @Max(10000)
  weeklySlots!: number;

  @ApiPropertyOptional({ example: '2026-11-01' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be YYYY-MM-DD' })
  fromDate!: string;

  @ApiPropertyOptional({ example: '2027-03-31' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be YYYY-MM-DD' })
  toDate!: string;

  @ApiPropertyOptional({
    example: 'RJC02',
    description: "The site the slots are at; defaults to the trust's main site. Each site of a trust is declared on its own.",
  })
  @IsOptional()
  @Matches(/^[A-Z0-9]{3,6}$/, { message: '$property must be an ODS site code' })
  siteOds?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "The service of the directory the slots are for (GET /v1/directory/sites); without it, the site's default service for the treatment function, which accepts every procedure and excludes no one",
  })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a service id (a UUID)' })
  serviceId?: string;

  @ApiPropertyOptional({ type: [CapacityWeekDto], description: 'Weeks (Mondays between fromDate and toDate) with a different number of slots' })
  @IsOptional()
  @IsArray({ message: '$property must be an array' })
  @ArrayMaxSize(110)
  @ValidateNested({ each: true })
  @Type(() => CapacityWeekDto)
  weeks?: CapacityWeekDto[];
}

/** POST /v1/matching/runs. */
export class MatchingRunDto {
  @ApiProperty({ example: '110', description: 'Treatment function code' })
  @Matches(/^\d{3}$/, { message: '$property must be a 3-digit treatment function code' })
  specialtyCode!: string;

  @ApiProperty({ example: 52, description: 'Only patients who have waited at least this many whole weeks' })
  @IsInt({ message: '$property must be a whole number' })
  @Min(0)
  @Max(520)
  minWeeks!: number;

  @ApiPropertyOptional({ example: 60, description: 'Largest travel distance proposed, in miles (default 60)' })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(1000)
  radiusMiles?: number;

  @ApiPropertyOptional({ example: 26, description: 'Weeks of declared capacity to use, from next week (default 26)' })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(104)
  horizonWeeks?: number;
}
