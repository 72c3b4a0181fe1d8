// Request bodies of the clinical package routes: the package itself (also sent when a referral is
// opened), a request for information and its answer, and return to referrer with advice.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { LATERALITIES, type Laterality } from '#domain';
import { IsSnomedConcept } from './validators.js';

/** Present and not null: validate it (null clears a field; absent keeps it). */
const given = ValidateIf((_o: object, v: unknown) => v !== undefined && v !== null);

export class CodedConceptDto {
  @ApiProperty({ example: '239873007', description: 'SNOMED CT concept id (6 to 18 digits, Verhoeff check digit)' })
  @IsSnomedConcept()
  code!: string;

  @ApiProperty({ example: 'Osteoarthritis of knee', description: 'The words it was recorded with' })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(500)
  text!: string;
}

export class AnticoagulationDto {
  @ApiProperty({ description: 'Whether the patient takes an anticoagulant' })
  @IsBoolean({ message: '$property must be true or false' })
  taking!: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Apixaban 5 mg twice daily', description: 'Which, when taking one (required then)' })
  @given
  @IsString()
  @MaxLength(500)
  medication?: string | null;
}

export class ClinicalInformationDto {
  @ApiPropertyOptional({ type: CodedConceptDto, nullable: true, description: 'The diagnosis (SNOMED CT); null clears it' })
  @given
  @IsObject({ message: '$property must be an object' })
  @ValidateNested()
  @Type(() => CodedConceptDto)
  diagnosis?: CodedConceptDto | null;

  @ApiPropertyOptional({ enum: LATERALITIES, nullable: true })
  @given
  @IsIn(LATERALITIES, { message: `$property must be one of ${LATERALITIES.join(', ')}` })
  laterality?: Laterality | null;

  @ApiPropertyOptional({
    type: [CodedConceptDto],
    nullable: true,
    description: 'Relevant comorbidities (SNOMED CT), at most 30; the list sent replaces the one held',
  })
  @given
  @IsArray({ message: '$property must be a list' })
  @ArrayMaxSize(30)
  @ValidateNested({ each: true })
  @Type(() => CodedConceptDto)
  comorbidities?: CodedConceptDto[] | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 31.4, description: 'Body mass index, 10 to 100, one decimal place at most' })
  @given
  @IsNumber({ maxDecimalPlaces: 1 }, { message: '$property must be a number with at most one decimal place' })
  @Min(10)
  @Max(100)
  bmi?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 2, description: 'ASA physical status, 1 to 5 (ASA I to V)' })
  @given
  @IsInt({ message: '$property must be 1 to 5 (ASA I to V)' })
  @Min(1, { message: '$property must be 1 to 5 (ASA I to V)' })
  @Max(5, { message: '$property must be 1 to 5 (ASA I to V)' })
  asaGrade?: number | null;

  @ApiPropertyOptional({ type: AnticoagulationDto, nullable: true })
  @given
  @IsObject({ message: '$property must be an object' })
  @ValidateNested()
  @Type(() => AnticoagulationDto)
  anticoagulation?: AnticoagulationDto | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Walks with a stick; manages stairs slowly' })
  @given
  @IsString()
  @MaxLength(500)
  mobility?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: "The referral letter's text (20,000 characters at most)" })
  @given
  @IsString()
  @MaxLength(20_000)
  referralLetter?: string | null;
}

export class InformationRequestDto {
  @ApiProperty({ example: 'Please send the latest knee X-ray report and the HbA1c result.', description: 'The question for the referring team' })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(4000)
  question!: string;
}

export class InformationAnswerDto {
  @ApiProperty({ example: 'X-ray report attached; HbA1c 48 mmol/mol on 1 November.', description: "The referring team's answer" })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(4000)
  answer!: string;
}

export class ReturnWithAdviceDto {
  @ApiProperty({
    example: 'BMI above our site limit of 40: please refer to the weight management service first, then refer again.',
    description: 'Advice for the referrer: why not now, and what would make the referral acceptable',
  })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(4000)
  advice!: string;
}
