// The body of PUT /v1/referrals/:id/additional-requirements: the whole record, field by field
// (unknown fields are refused). The same rules as the forms' (libs/domain/src/additional-requirements.ts).
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import {
  CONTACT_METHODS,
  INFORMATION_FORMATS,
  INTERPRETER_LANGUAGES,
  MOBILITY_NEEDS,
  PATIENT_TRANSPORT_ELIGIBILITY,
  REQUIREMENT_TEXT_MAX,
  type ContactMethod,
  type InformationFormat,
  type InterpreterLanguage,
  type MobilityNeed,
  type PatientTransportEligibility,
} from '#domain';

const oneOf = (list: Record<string, string>) => ({ message: `$property must be one of ${Object.keys(list).join(', ')}` });
const eachOf = (list: Record<string, string>) => ({ each: true, message: `$property must list only ${Object.keys(list).join(', ')}` });
/** null or absent: none. */
const unlessNone = ValidateIf((_o, v) => v !== null && v !== undefined);

export class AdditionalRequirementsDto {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'The patient needs help with transport to their appointments' })
  @IsOptional()
  @IsBoolean({ message: '$property must be true or false' })
  transportNeeded?: boolean;

  @ApiPropertyOptional({
    enum: Object.keys(PATIENT_TRANSPORT_ELIGIBILITY),
    default: 'not_assessed',
    description: 'Whether they qualify for non-emergency patient transport (PTS)',
  })
  @IsOptional()
  @IsIn(Object.keys(PATIENT_TRANSPORT_ELIGIBILITY), oneOf(PATIENT_TRANSPORT_ELIGIBILITY))
  patientTransportEligibility?: PatientTransportEligibility;

  @ApiPropertyOptional({
    enum: Object.keys(INTERPRETER_LANGUAGES),
    nullable: true,
    example: 'bfi',
    description: 'ISO 639-3 code of the language an interpreter is needed for (`bfi`: British Sign Language, first in the list); null: none',
  })
  @unlessNone
  @IsIn(Object.keys(INTERPRETER_LANGUAGES), oneOf(INTERPRETER_LANGUAGES))
  interpreterLanguage?: InterpreterLanguage | null;

  @ApiPropertyOptional({
    enum: Object.keys(INFORMATION_FORMATS),
    isArray: true,
    description: 'Accessible Information Standard: formats information must be sent in',
  })
  @IsOptional()
  @IsArray({ message: '$property must be a list' })
  @ArrayMaxSize(Object.keys(INFORMATION_FORMATS).length)
  @IsIn(Object.keys(INFORMATION_FORMATS), eachOf(INFORMATION_FORMATS))
  informationFormats?: InformationFormat[];

  @ApiPropertyOptional({ enum: Object.keys(CONTACT_METHODS), nullable: true, description: 'Accessible Information Standard: how to contact the patient' })
  @unlessNone
  @IsIn(Object.keys(CONTACT_METHODS), oneOf(CONTACT_METHODS))
  contactMethod?: ContactMethod | null;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'A carer or escort comes with the patient' })
  @IsOptional()
  @IsBoolean({ message: '$property must be true or false' })
  escort?: boolean;

  @ApiPropertyOptional({ enum: Object.keys(MOBILITY_NEEDS), isArray: true })
  @IsOptional()
  @IsArray({ message: '$property must be a list' })
  @ArrayMaxSize(Object.keys(MOBILITY_NEEDS).length)
  @IsIn(Object.keys(MOBILITY_NEEDS), eachOf(MOBILITY_NEEDS))
  mobility?: MobilityNeed[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: REQUIREMENT_TEXT_MAX,
    description: 'Reasonable adjustments for a learning disability or autism',
  })
  @unlessNone
  @IsString({ message: '$property must be text' })
  @MaxLength(REQUIREMENT_TEXT_MAX)
  learningDisabilityAdjustments?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: REQUIREMENT_TEXT_MAX, description: 'Anything else the booking team should know' })
  @unlessNone
  @IsString({ message: '$property must be text' })
  @MaxLength(REQUIREMENT_TEXT_MAX)
  other?: string | null;
}
