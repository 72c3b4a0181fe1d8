// Request bodies of the referral routes, validated field by field (unknown fields are refused).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  FOLLOW_UP_PLANS,
  HANDBACK_REFUSAL_REASONS,
  OPCS4_CODE,
  parseIsoDate,
  PATHWAY_ID,
  PERSON_NAME,
  REASON_CODE,
  REFERRAL_DIRECTIONS,
  SPECIALTY_CODE,
  UUID_PATTERN,
  type FollowUpPlan,
  type NewReferral,
  type ReferralDirection,
} from '#domain';
import { ACCESSIBLE_FORMATS, CONTACT_PREFERENCES, type AccessibleFormat, type ContactPreference } from '#notifications';
import { ClinicalInformationDto } from './clinical.dto.js';
import { IsCalendarDate, IsDateTime, IsGpPractice, IsNhsNumber, IsOds, IsUkPostcode } from './validators.js';

// The same patterns as a waiting-list CSV row (libs/domain/src/waiting-list-row.ts).
const NAME = PERSON_NAME;
const NAME_MSG = '$property may contain letters, spaces, hyphens, apostrophes and full stops only';

export class PatientDto {
  @ApiProperty({ example: '9434765919', description: 'NHS number, 10 digits with a Modulus 11 check digit' })
  @IsNhsNumber()
  nhsNumber!: string;

  @ApiProperty({ example: 'Jones' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  familyName!: string;

  @ApiProperty({ example: 'Mary' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(NAME, { message: NAME_MSG })
  givenName!: string;

  @ApiProperty({ example: '1956-03-02', description: 'YYYY-MM-DD, not in the future' })
  @IsCalendarDate({ notFuture: true })
  dateOfBirth!: string;

  @ApiPropertyOptional({ example: '1 High Street, Hereford' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  address?: string;

  @ApiProperty({ example: 'HR1 2ER' })
  @IsUkPostcode()
  postcode!: string;

  @ApiPropertyOptional({ example: '07700900123' })
  @IsOptional()
  @IsString()
  @Matches(/^\+?[0-9 ]{10,15}$/, { message: '$property must be a UK phone number: 10 to 15 digits, spaces allowed' })
  phone?: string;

  @ApiPropertyOptional({ example: 'mary@example.com' })
  @IsOptional()
  @IsEmail({}, { message: '$property must be an email address' })
  @MaxLength(254)
  email?: string;

  @ApiProperty({ example: 'M81001', description: "ODS code of the patient's registered GP practice" })
  @IsGpPractice()
  gpPracticeOds!: string;

  @ApiPropertyOptional({
    enum: CONTACT_PREFERENCES,
    description: 'Which to try first when the patient has both an email address and a mobile (default: email). A letter goes when there is neither.',
  })
  @IsOptional()
  @IsIn(CONTACT_PREFERENCES, { message: '$property must be email or sms' })
  contactPreference?: ContactPreference;

  @ApiPropertyOptional({ enum: ACCESSIBLE_FORMATS, description: 'The accessible format the patient needs letters in (the booking team is asked to send it)' })
  @IsOptional()
  @IsIn(ACCESSIBLE_FORMATS, { message: `$property must be one of ${ACCESSIBLE_FORMATS.join(', ')}` })
  accessibleFormat?: AccessibleFormat;
}

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

/** The referral's own fields are required unless it is opened from a waiting-list entry. */
const unlessFromEntry = ValidateIf((o: { waitingListEntryId?: unknown }) => o.waitingListEntryId === undefined);

export class CreateReferralDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Open the referral from a waiting-list entry (GET /v1/long-waiters) instead of sending the fields below: the patient and pathway come from the entry',
  })
  @IsOptional()
  @IsUUID('all', { message: '$property must be a waiting-list entry id (UUID)' })
  waitingListEntryId?: string;

  @ApiProperty({ type: PatientDto })
  @unlessFromEntry
  @IsObject({ message: '$property must be an object' })
  @ValidateNested()
  @Type(() => PatientDto)
  patient!: PatientDto;

  @ApiProperty({ example: '110', description: 'Treatment function code (110 = trauma and orthopaedics)' })
  @unlessFromEntry
  @Matches(SPECIALTY_CODE, { message: '$property must be a 3-digit treatment function code (e.g. 110)' })
  specialtyCode!: string;

  @ApiProperty({ example: 'W371', description: 'OPCS-4 procedure code' })
  @unlessFromEntry
  @Matches(OPCS4_CODE, { message: '$property must be an OPCS-4 code (e.g. W371)' })
  procedureCode!: string;

  @ApiProperty({ example: '2024-09-01', description: 'RTT clock start, YYYY-MM-DD, not after today' })
  @unlessFromEntry
  @IsCalendarDate({ notFuture: true })
  rttClockStart!: string;

  @ApiProperty({ example: 'RLQ-PPI-000123', description: 'Patient pathway identifier at the referring trust' })
  @unlessFromEntry
  @IsString()
  @Matches(PATHWAY_ID, { message: '$property must be 1 to 40 letters, digits, -, _ or /' })
  pathwayId!: string;

  @ApiProperty({ enum: PRIORITIES, example: 'P4', description: 'Clinical priority (P1 most urgent)' })
  @unlessFromEntry
  @IsIn(PRIORITIES, { message: `$property must be one of ${PRIORITIES.join(', ')}` })
  priority!: (typeof PRIORITIES)[number];

  @ApiPropertyOptional({ example: '2027-03-01', description: 'A date already booked at the referring trust, if any' })
  @IsOptional()
  @IsCalendarDate()
  nextAppointmentDate?: string;

  @ApiPropertyOptional({ description: 'Tertiary (specialised) care: never transferred', default: false })
  @IsOptional()
  @IsBoolean()
  tertiary?: boolean;

  @ApiPropertyOptional({
    type: ClinicalInformationDto,
    description:
      'The clinical package for the receiving clinician (seen by clinicians of the two trusts only); it can be changed until the receiving trust decides',
  })
  @IsOptional()
  @IsObject({ message: '$property must be an object' })
  @ValidateNested()
  @Type(() => ClinicalInformationDto)
  clinicalInformation?: ClinicalInformationDto;

  @ApiPropertyOptional({
    enum: REFERRAL_DIRECTIONS,
    default: 'long_wait_transfer',
    description:
      "Which way care moves: long_wait_transfer (a long-waiter to a member with capacity) or closer_to_home (a specialist trust's patient to a local member for treatment or follow-up near home: the weeks-waited threshold and the tertiary-care rule do not apply)",
  })
  @IsOptional()
  @IsIn(REFERRAL_DIRECTIONS, { message: `$property must be one of ${REFERRAL_DIRECTIONS.join(', ')}` })
  direction?: ReferralDirection;
}

const date = (s: string) => parseIsoDate(s)!;

/** What opening a referral needs, from its validated fields (POST /v1/referrals and a BaRS message alike). */
export function newReferralFrom(dto: CreateReferralDto): NewReferral {
  return {
    patient: { ...dto.patient, dateOfBirth: date(dto.patient.dateOfBirth), postcode: dto.patient.postcode.toUpperCase() },
    specialtyCode: dto.specialtyCode,
    procedureCode: dto.procedureCode,
    rttClockStart: date(dto.rttClockStart),
    pathwayId: dto.pathwayId,
    priority: dto.priority,
    nextAppointmentDate: dto.nextAppointmentDate ? date(dto.nextAppointmentDate) : null,
    tertiary: dto.tertiary,
    ...(dto.clinicalInformation ? { clinicalInformation: dto.clinicalInformation } : {}),
    ...(dto.direction ? { direction: dto.direction } : {}),
  };
}

export class ClinicalReviewDto {
  @ApiProperty({ enum: ['suitable', 'not_suitable'] })
  @IsIn(['suitable', 'not_suitable'], { message: '$property must be suitable or not_suitable' })
  decision!: 'suitable' | 'not_suitable';

  @ApiPropertyOptional({ example: 'COMORBIDITY', description: 'Required when not_suitable' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{1,39}$/, { message: '$property must be an upper-case reason code (e.g. COMORBIDITY)' })
  reasonCode?: string;

  @ApiPropertyOptional({ description: 'Clinical note; seen by clinicians only' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  note?: string;
}

export class ConsentDto {
  @ApiProperty({ enum: ['accept', 'decline'] })
  @IsIn(['accept', 'decline'], { message: '$property must be accept or decline' })
  decision!: 'accept' | 'decline';

  @ApiPropertyOptional({ format: 'uuid', description: 'The offer accepted (needed when there is more than one)' })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: '$property must be an offer id (UUID)' })
  offerId?: string;

  @ApiPropertyOptional({ example: 60, description: 'How far the patient will travel, in miles' })
  @IsOptional()
  @IsInt({ message: '$property must be a whole number of miles' })
  @Min(1)
  @Max(500)
  travelRadiusMiles?: number;

  @ApiPropertyOptional({ enum: ['phone', 'letter'], description: 'How the answer came, when a booking clerk records it' })
  @IsOptional()
  @IsIn(['phone', 'letter'], { message: '$property must be phone or letter' })
  method?: 'phone' | 'letter';
}

export class ReceiverDecisionDto {
  @ApiProperty({ enum: ['accept', 'reject'] })
  @IsIn(['accept', 'reject'], { message: '$property must be accept or reject' })
  decision!: 'accept' | 'reject';

  @ApiPropertyOptional({ example: 'NO_ANAESTHETIC_CAPACITY', description: 'Required when rejecting' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{1,39}$/, { message: '$property must be an upper-case reason code' })
  reasonCode?: string;
}

export class BookingDto {
  @ApiProperty({ enum: ['pre_op_assessment', 'procedure'] })
  @IsIn(['pre_op_assessment', 'procedure'], { message: '$property must be pre_op_assessment or procedure' })
  kind!: 'pre_op_assessment' | 'procedure';

  @ApiPropertyOptional({ example: 'RJC01', description: "Defaults to the receiving trust's main site" })
  @IsOptional()
  @IsOds()
  siteOds?: string;

  @ApiPropertyOptional({ example: '2026-12-15T09:00:00Z', description: 'A typed date and time; or give slotId' })
  @IsOptional()
  @IsDateTime()
  startsAt?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    description: "A free slot of the receiving trust's clinics of this kind (GET /v1/clinics): its site and time",
  })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: '$property must be a slot id (a UUID)' })
  slotId?: string;
}

export class ReasonDto {
  @ApiProperty({ example: 'Surgeon unavailable' })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(500)
  reason!: string;
}

export class OptionalReasonDto {
  @ApiPropertyOptional({ example: 'Treated privately' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

const REASON_CODE_MSG = '$property must be an upper-case reason code (GET /v1/reason-codes lists ours)';

export class CancelReferralDto extends ReasonDto {
  @ApiPropertyOptional({ example: 'TREATED_ELSEWHERE', description: "A cancellation reason code (GET /v1/reason-codes), or a trust's own upper-case code" })
  @IsOptional()
  @Matches(REASON_CODE, { message: REASON_CODE_MSG })
  reasonCode?: string;
}

export class WithdrawDto extends OptionalReasonDto {
  @ApiPropertyOptional({ example: 'TRAVEL_TOO_DIFFICULT', description: "A withdrawal reason code (GET /v1/reason-codes), or a trust's own upper-case code" })
  @IsOptional()
  @Matches(REASON_CODE, { message: REASON_CODE_MSG })
  reasonCode?: string;
}

export class TreatmentDto {
  @ApiProperty({ example: '2026-12-15T11:00:00Z' })
  @IsDateTime()
  performedAt!: string;

  @ApiProperty({ example: 'W371', description: 'OPCS-4 code of the procedure performed' })
  @Matches(/^[A-Z]\d{2,3}(\.\d)?$/, { message: '$property must be an OPCS-4 code (e.g. W371)' })
  procedureCode!: string;

  @ApiPropertyOptional({
    enum: FOLLOW_UP_PLANS,
    description:
      'The follow-up (outside RTT): keep it at the receiving trust, hand it back to the referring trust (which accepts it), or a virtual ward at home. Absent: decided later (POST /v1/referrals/{id}/follow-up), or discharge straight away',
  })
  @IsOptional()
  @IsIn(FOLLOW_UP_PLANS, { message: `$property must be one of ${FOLLOW_UP_PLANS.join(', ')}` })
  followUp?: FollowUpPlan;
}

export class DischargeDto {
  @ApiProperty({ example: '2026-12-18T15:00:00Z' })
  @IsDateTime()
  dischargedAt!: string;

  @ApiProperty({ description: 'Discharge summary for the GP practice' })
  @IsString()
  @IsNotEmpty({ message: '$property must not be empty' })
  @MaxLength(20000)
  summary!: string;
}

/** Present and not null: validate it (null clears an optional detail; absent keeps it). */
const given = ValidateIf((o: object, v: unknown) => v !== undefined && v !== null);

export class PatientContactDto {
  @ApiPropertyOptional({ type: String, example: '2 Church Lane, Hereford', nullable: true, description: 'null clears it' })
  @given
  @IsString()
  @MaxLength(300)
  address?: string | null;

  @ApiPropertyOptional({ example: 'HR1 2ER', description: 'Cannot be cleared' })
  @ValidateIf((o: { postcode?: unknown }) => o.postcode !== undefined)
  @IsUkPostcode()
  postcode?: string;

  @ApiPropertyOptional({ type: String, example: '07700900456', nullable: true, description: 'null clears it' })
  @given
  @IsString()
  @Matches(/^\+?[0-9 ]{10,15}$/, { message: '$property must be a UK phone number: 10 to 15 digits, spaces allowed' })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, example: 'mary.jones@example.com', nullable: true, description: 'null clears it' })
  @given
  @IsEmail({}, { message: '$property must be an email address' })
  @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ enum: CONTACT_PREFERENCES, nullable: true, description: 'Which to try first when the patient has both; null: email first' })
  @given
  @IsIn(CONTACT_PREFERENCES, { message: '$property must be email or sms' })
  contactPreference?: ContactPreference | null;

  @ApiPropertyOptional({ enum: ACCESSIBLE_FORMATS, nullable: true, description: 'null: standard print' })
  @given
  @IsIn(ACCESSIBLE_FORMATS, { message: `$property must be one of ${ACCESSIBLE_FORMATS.join(', ')}` })
  accessibleFormat?: AccessibleFormat | null;
}

// ---------- The pathway after treatment (issue 18, PW) ----------

export class FollowUpDto {
  @ApiProperty({
    enum: FOLLOW_UP_PLANS,
    description: 'keep: follow-up at the receiving trust; hand_back: to the referring trust, which accepts it; virtual_ward: monitored at home',
  })
  @IsIn(FOLLOW_UP_PLANS, { message: `$property must be one of ${FOLLOW_UP_PLANS.join(', ')}` })
  plan!: FollowUpPlan;

  @ApiPropertyOptional({ description: 'Clinical note on the plan (clinicians of the two trusts read it)' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  note?: string;
}

export class HandbackDecisionDto {
  @ApiProperty({
    enum: ['accept', 'refuse'],
    description: 'accept: the referring trust holds the follow-up and discharges; refuse: the receiving trust keeps it',
  })
  @IsIn(['accept', 'refuse'], { message: '$property must be accept or refuse' })
  decision!: 'accept' | 'refuse';

  @ApiPropertyOptional({ example: 'NO_FOLLOW_UP_SERVICE', description: 'Required when refusing: a handback refusal reason code (GET /v1/reason-codes)' })
  @IsOptional()
  @IsIn(Object.keys(HANDBACK_REFUSAL_REASONS), { message: `$property must be one of ${Object.keys(HANDBACK_REFUSAL_REASONS).join(', ')}` })
  reasonCode?: string;

  @ApiPropertyOptional({ description: 'Clinical note for the receiving team' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  note?: string;
}
