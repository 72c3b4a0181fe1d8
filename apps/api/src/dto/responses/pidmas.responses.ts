// What the patient-initiated mutual aid (PIDMAS) routes answer with (libs/workflow/src/pidmas/patient-initiated.ts).
import { ApiProperty } from '@nestjs/swagger';
import { COUNT, DATE, DATE_TIME, ODS, UUID } from './common.js';

export class PidmasInvitationResult {
  @ApiProperty(UUID) cohortId!: string;
  @ApiProperty({ type: String, example: '110' }) specialtyCode!: string;
  @ApiProperty(COUNT) minWeeks!: number;
  @ApiProperty({ ...COUNT, description: "The trust's open, unreferred entries of the cohort" }) cohortSize!: number;
  @ApiProperty({ ...COUNT, description: 'Invited now (each a message by SMS, email or letter)' }) invited!: number;
  @ApiProperty({ ...COUNT, description: 'Already invited for this cohort: not sent again' }) alreadyInvited!: number;
  @ApiProperty({ ...COUNT, description: 'No phone, email or address held by the trust: not invited' }) noContactDetails!: number;
}

export class PidmasCohortView {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({ type: String, example: '110' }) specialtyCode!: string;
  @ApiProperty(COUNT) minWeeks!: number;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(COUNT) invited!: number;
  @ApiProperty({ ...COUNT, description: 'Handed to the provider (sending or delivered)' }) sent!: number;
  @ApiProperty({ ...COUNT, description: 'Could not be delivered' }) failed!: number;
  @ApiProperty(COUNT) optedIn!: number;
  @ApiProperty(COUNT) declined!: number;
  @ApiProperty({ ...COUNT, description: 'Found suitable and referred' }) referred!: number;
  @ApiProperty({ ...COUNT, description: 'Found suitable, no capacity in the group within their radius' }) noCapacity!: number;
}

export class PidmasOptInView {
  @ApiProperty(UUID) id!: string;
  @ApiProperty(UUID) cohortId!: string;
  @ApiProperty(UUID) waitingListEntryId!: string;
  @ApiProperty(ODS) originOds!: string;
  @ApiProperty({ type: String, example: '9990000018' }) nhsNumber!: string;
  @ApiProperty({ type: String }) familyName!: string;
  @ApiProperty({ type: String }) givenName!: string;
  @ApiProperty(DATE) dateOfBirth!: string;
  @ApiProperty({ type: String, example: '110' }) specialtyCode!: string;
  @ApiProperty({ type: String, example: 'W371' }) procedureCode!: string;
  @ApiProperty({ type: String, example: 'P4' }) priority!: string;
  @ApiProperty(COUNT) weeksWaited!: number;
  @ApiProperty({ type: 'integer', nullable: true, enum: [50, 100], description: 'null: anywhere in England' }) travelRadiusMiles!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'What the patient told us they need to travel or take part' }) requirements!: string | null;
  @ApiProperty(DATE_TIME) optedInAt!: string;
  @ApiProperty({ type: String, nullable: true, enum: ['suitable', 'not_suitable', 'no_capacity'] }) review!: string | null;
  @ApiProperty({
    ...UUID,
    nullable: true,
    description:
      'The referral opened from it; on the no-capacity list, the referral screening closed for want of capacity in the group (null: the check itself found none in reach)',
  })
  referralId!: string | null;
}

export class PidmasOptInList {
  @ApiProperty({ type: [PidmasOptInView] }) items!: PidmasOptInView[];
}

export class PidmasReviewResult {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({
    type: String,
    enum: ['suitable', 'not_suitable', 'no_capacity'],
    description: 'no_capacity: suitable, but nothing in the group within the radius',
  })
  review!: string;
  @ApiProperty({ type: String, nullable: true }) reasonCode!: string | null;
  @ApiProperty({ ...UUID, nullable: true, description: 'The referral opened (suitable only)' }) referralId!: string | null;
}

export class PidmasReasonCodes {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Code: meaning (clinical and social reasons)' })
  notSuitable!: Record<string, string>;
}
