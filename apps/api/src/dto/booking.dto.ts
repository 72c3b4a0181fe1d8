// Request bodies of booking as it really goes: clinic sessions, reschedule, the patient's change request, the did-not-attend policy.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CHANGE_REQUEST_REASONS, RESCHEDULE_REASONS, type ChangeRequestReason, type RescheduleReason } from '#domain';
import { CLINIC_KINDS, DNA_ACTIONS, type ClinicKind, type DnaAction } from '#workflow';
import { IsCalendarDate, IsOds } from './validators.js';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const RESCHEDULE_CODES = Object.keys(RESCHEDULE_REASONS);
const CHANGE_CODES = Object.keys(CHANGE_REQUEST_REASONS);

export class ClinicSessionDto {
  @ApiPropertyOptional({ example: 'RJC02', description: 'A site of your trust; defaults to its main site' })
  @IsOptional()
  @IsOds()
  siteOds?: string;

  @ApiProperty({ example: 'Ms A Surgeon', description: 'Whose clinic or theatre list it is' })
  @IsString()
  @MinLength(2, { message: '$property must name the clinician' })
  @MaxLength(100)
  clinicianName!: string;

  @ApiProperty({ enum: CLINIC_KINDS, description: 'pre_op_assessment, procedure (a theatre list) or follow_up (outpatient follow-up)' })
  @IsIn(CLINIC_KINDS, { message: `$property must be one of ${CLINIC_KINDS.join(', ')}` })
  kind!: ClinicKind;

  @ApiProperty({ example: '2027-01-12', description: 'The day of the session (UK)' })
  @IsCalendarDate()
  date!: string;

  @ApiProperty({ example: '09:00', description: 'The first slot starts at this UK time (24-hour HH:MM)' })
  @Matches(TIME, { message: '$property must be a time of day as HH:MM (24-hour clock)' })
  startTime!: string;

  @ApiProperty({ type: 'integer', minimum: 5, maximum: 480, example: 30 })
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of minutes' })
  @Min(5)
  @Max(480)
  slotMinutes!: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 96, description: 'How many slots; or give endTime' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number' })
  @Min(1)
  @Max(96)
  slotCount?: number;

  @ApiPropertyOptional({ example: '12:30', description: 'When the session ends (UK time): as many slots as fit; or give slotCount' })
  @IsOptional()
  @Matches(TIME, { message: '$property must be a time of day as HH:MM (24-hour clock)' })
  endTime?: string;
}

export class ClinicQueryDto {
  @ApiPropertyOptional({ example: '2027-01-04', description: 'From this day (default today)' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 366, description: 'For this many days (default 56)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days?: number;

  @ApiPropertyOptional({ enum: CLINIC_KINDS })
  @IsOptional()
  @IsIn(CLINIC_KINDS, { message: `$property must be one of ${CLINIC_KINDS.join(', ')}` })
  kind?: ClinicKind;

  @ApiPropertyOptional({ example: 'RJC01' })
  @IsOptional()
  @IsOds()
  siteOds?: string;
}

export class RescheduleDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'A free slot of the same kind (GET /v1/clinics)' })
  @IsUUID('all', { message: '$property must be a slot id (a UUID)' })
  slotId!: string;

  @ApiProperty({ enum: RESCHEDULE_CODES, description: 'PATIENT_* when the patient asked, HOSPITAL_* when the hospital moves it' })
  @IsIn(RESCHEDULE_CODES, { message: `$property must be one of ${RESCHEDULE_CODES.join(', ')}` })
  reasonCode!: RescheduleReason;

  @ApiPropertyOptional({ example: 'Theatre closed for maintenance' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class ChangeRequestDto {
  @ApiProperty({ enum: ['change', 'cancel'], description: 'Ask for another date, or to cancel' })
  @IsIn(['change', 'cancel'], { message: '$property must be change or cancel' })
  request!: 'change' | 'cancel';

  @ApiProperty({ enum: CHANGE_CODES })
  @IsIn(CHANGE_CODES, { message: `$property must be one of ${CHANGE_CODES.join(', ')}` })
  reasonCode!: ChangeRequestReason;

  @ApiPropertyOptional({ example: 'I can come any Tuesday' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class BookingPolicyDto {
  @ApiProperty({ enum: DNA_ACTIONS, description: 'After a did-not-attend: rebook, or return the referral to the referrer' })
  @IsIn(DNA_ACTIONS, { message: `$property must be one of ${DNA_ACTIONS.join(', ')}` })
  dnaAction!: DnaAction;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 5, description: 'With return_to_referrer: at this many missed appointments (default 1)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  returnAfterDnas?: number;
}
