// Query strings of the waiting-list import and long-waiters routes.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PageQueryDto } from './page-query.dto.js';

export class ImportUploadQueryDto {
  @ApiPropertyOptional({
    enum: ['full', 'partial'],
    default: 'full',
    description:
      "full: the file is the trust's whole waiting list, and open entries it does not list are closed; partial: only the rows given are added or updated",
  })
  @IsOptional()
  @IsIn(['full', 'partial'], { message: '$property must be full or partial' })
  mode?: 'full' | 'partial';
}

export class ImportErrorsQueryDto {
  @ApiPropertyOptional({ description: 'errors.nextCursor from the previous page' })
  @IsOptional()
  @IsString()
  errorsCursor?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000, description: 'Row errors per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(1000)
  errorsLimit?: number;
}

export class LongWaitersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 52, description: 'Only entries that have waited at least this many weeks' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of weeks' })
  @Min(0)
  @Max(520)
  minWeeks?: number;

  @ApiPropertyOptional({ example: '110', description: 'Treatment function code' })
  @IsOptional()
  @Matches(/^\d{3}$/, { message: '$property must be a 3-digit treatment function code' })
  specialty?: string;
}
