// Bodies of the service directory and group routes.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';

const POSTCODE = /^[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}$/;
const PHONE = /^[0-9 +()-]{6,30}$/;

/** PUT /v1/directory/sites/:siteOds. */
export class SiteDto {
  @ApiProperty({ example: 'Stratford Hospital' })
  @IsString({ message: '$property must be text' })
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiProperty({ example: 'Arden Street, Stratford-upon-Avon', description: 'As a patient would write it on an envelope, without the postcode' })
  @IsString({ message: '$property must be text' })
  @MinLength(1)
  @MaxLength(300)
  address!: string;

  @ApiProperty({ example: 'CV37 6NX', description: 'Must be in the postcode tables (its position comes from there)' })
  @Matches(POSTCODE, { message: '$property must be a UK postcode' })
  postcode!: string;

  @ApiPropertyOptional({ type: String, example: '01632 960 208', nullable: true, description: "The site's booking team, when it is not the trust's number" })
  @IsOptional()
  @Matches(PHONE, { message: '$property must be a phone number' })
  bookingPhone?: string | null;
}

/** POST /v1/directory/sites/:siteOds/services and PUT /v1/directory/services/:id. */
export class ServiceDto {
  @ApiProperty({ example: '110', description: 'Treatment function code (a service keeps the one it was made with)' })
  @Matches(/^\d{3}$/, { message: '$property must be a 3-digit treatment function code' })
  treatmentFunction!: string;

  @ApiProperty({ example: 'Upper limb surgery' })
  @IsString({ message: '$property must be text' })
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['O06-O08', 'T52-T54'],
    description: 'OPCS-4 codes (W371), prefixes (W37) or ranges (W37-W42) accepted; empty: every procedure of the treatment function',
  })
  @IsArray({ message: '$property must be an array' })
  @ArrayMaxSize(200)
  @IsString({ each: true, message: '$property must be OPCS-4 codes or ranges' })
  procedures!: string[];

  @ApiPropertyOptional({
    type: Number,
    example: 40,
    nullable: true,
    description: 'Highest BMI the service takes (a patient whose BMI is not recorded is not excluded)',
  })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 1 }, { message: '$property must be a number with at most one decimal place' })
  @Min(10)
  @Max(99.9)
  maxBmi?: number | null;

  @ApiPropertyOptional({ type: 'integer', example: 3, nullable: true, description: 'Highest ASA grade (1-5) the service takes' })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(5)
  maxAsaGrade?: number | null;

  @ApiPropertyOptional({ type: 'integer', example: 18, nullable: true, description: 'Youngest age, in whole years, the service takes' })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number' })
  @Min(0)
  @Max(120)
  minAgeYears?: number | null;

  @ApiPropertyOptional({ type: String, example: 'Day-case surgery: arrange for someone to take you home.', nullable: true })
  @IsOptional()
  @IsString({ message: '$property must be text' })
  @MaxLength(2000)
  bookingGuidance?: string | null;
}

export class MainSiteDto extends SiteDto {
  @ApiProperty({ example: 'RWP01', description: "ODS code of the trust's main site" })
  @Matches(/^[A-Z0-9]{3,6}$/, { message: '$property must be an ODS site code' })
  ods!: string;
}

/** POST /v1/group/trusts. */
export class NewTrustDto {
  @ApiProperty({ example: 'RWP', description: 'ODS code of the trust' })
  @Matches(/^[A-Z0-9]{3}$/, { message: '$property must be a 3-character ODS trust code' })
  ods!: string;

  @ApiProperty({ example: 'Worcestershire Acute Hospitals NHS Trust' })
  @IsString({ message: '$property must be text' })
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: String, example: '01632 960 404', nullable: true })
  @IsOptional()
  @Matches(PHONE, { message: '$property must be a phone number' })
  bookingPhone?: string | null;

  @ApiPropertyOptional({ type: String, example: 'Monday to Friday, 9am to 5pm', nullable: true })
  @IsOptional()
  @IsString({ message: '$property must be text' })
  @MaxLength(200)
  bookingPhoneHours?: string | null;

  @ApiProperty({ type: () => MainSiteDto })
  @ValidateNested()
  @Type(() => MainSiteDto)
  mainSite!: MainSiteDto;
}
