// What the additional-requirements routes answer with (and the field the referral view and the
// worklist rows gain): the shapes of libs/workflow/src/referral-views.ts#requirementsView.
import { ApiProperty } from '@nestjs/swagger';
import { CONTACT_METHODS, INFORMATION_FORMATS, INTERPRETER_LANGUAGES, MOBILITY_NEEDS, PATIENT_TRANSPORT_ELIGIBILITY, REFERRAL_STATUSES } from '#domain';
import { DATE, DATE_TIME, NULLABLE_ODS, ODS } from './common.js';

export class RecordedByView {
  @ApiProperty({
    type: String,
    example: 'booking_clerk',
    description: 'The role of whoever recorded them last: `patient` when the patient told us on the offer page',
  })
  role!: string;

  @ApiProperty({ ...NULLABLE_ODS, description: 'Their trust (null for the patient)' })
  ods!: string | null;
}

export class AdditionalRequirementsView {
  @ApiProperty({ type: Boolean, description: 'The patient needs help with transport to their appointments' })
  transportNeeded!: boolean;

  @ApiProperty({ enum: Object.keys(PATIENT_TRANSPORT_ELIGIBILITY), description: 'Whether they qualify for non-emergency patient transport (PTS)' })
  patientTransportEligibility!: string;

  @ApiProperty({
    enum: Object.keys(INTERPRETER_LANGUAGES),
    nullable: true,
    example: 'bfi',
    description: 'The language an interpreter is needed for, ISO 639-3 (`bfi`: British Sign Language); null: none needed',
  })
  interpreterLanguage!: string | null;

  @ApiProperty({
    enum: Object.keys(INFORMATION_FORMATS),
    isArray: true,
    description: 'Accessible Information Standard: the formats information must be sent in',
  })
  informationFormats!: string[];

  @ApiProperty({ enum: Object.keys(CONTACT_METHODS), nullable: true, description: 'Accessible Information Standard: how to contact the patient' })
  contactMethod!: string | null;

  @ApiProperty({ type: Boolean, description: 'A carer or escort comes with the patient' })
  escort!: boolean;

  @ApiProperty({ enum: Object.keys(MOBILITY_NEEDS), isArray: true })
  mobility!: string[];

  @ApiProperty({ type: String, nullable: true, description: 'Reasonable adjustments for a learning disability or autism, in words' })
  learningDisabilityAdjustments!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Anything else the booking team should know, in words' })
  other!: string | null;

  @ApiProperty({
    type: [String],
    example: ['BSL interpreter', 'Transport (PTS eligible)', 'Wheelchair user'],
    description: 'The short summary a worklist shows',
  })
  summary!: string[];

  @ApiProperty({ type: () => RecordedByView })
  recordedBy!: RecordedByView;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;
}

export class RequirementsPatientView {
  @ApiProperty({ type: String, example: '9434765919' })
  nhsNumber!: string;

  @ApiProperty({ type: String, example: 'Jones' })
  familyName!: string;

  @ApiProperty({ type: String, example: 'Mary' })
  givenName!: string;

  @ApiProperty({ ...DATE, example: '1956-03-02' })
  dateOfBirth!: string;
}

/** The referral's identification and the patient's additional requirements: nothing clinical. */
export class ReferralRequirementsView {
  @ApiProperty({ type: String, format: 'uuid' })
  referralId!: string;

  @ApiProperty({ enum: REFERRAL_STATUSES })
  status!: string;

  @ApiProperty({ type: String })
  statusDescription!: string;

  @ApiProperty({ ...ODS, description: 'ODS code of the referring trust' })
  originOds!: string;

  @ApiProperty({ ...NULLABLE_ODS, description: 'ODS code of the receiving trust, once there is one' })
  receivingOds!: string | null;

  @ApiProperty({ type: String, example: 'RLQ-PPI-000123' })
  pathwayId!: string;

  @ApiProperty({ type: () => RequirementsPatientView })
  patient!: RequirementsPatientView;

  @ApiProperty({ type: () => AdditionalRequirementsView, nullable: true, description: 'null: none recorded' })
  additionalRequirements!: AdditionalRequirementsView | null;
}
