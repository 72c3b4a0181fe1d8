// What the referral routes answer with, for the OpenAPI document (and so for generated clients):
// the shapes libs/workflow/src/referral-views.ts and referral-queries.ts build. The
// controllers declare these as their return types, so tsc fails when a view loses or retypes a
// field documented here; test/openapi.e2e.spec.ts checks real answers against the document,
// field by field, so a field added to a view and not here fails there.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COHORT_BANDS, PRIORITIES, REFERRAL_STATUSES, WORKLIST_NAMES } from '#domain';
import { CHANNELS, DELIVERY_STATUSES, NOTIFICATION_EVENTS } from '#notifications';
import { COUNT, DATE, DATE_TIME, NULLABLE_ODS, ODS } from './common.js';
import { AdditionalRequirementsView } from './additional-requirements.responses.js';
import { AttachmentView, ClinicalInformationView, InformationRequestView } from './clinical.responses.js';

/** The follow-up after treatment (issue 18, PW). */
export class FollowUpView {
  @ApiProperty({ enum: ['keep', 'hand_back', 'virtual_ward'] })
  plan!: string;

  @ApiProperty({ type: String, nullable: true, example: 'RJC', description: 'ODS code of the trust that holds the follow-up now' })
  heldBy!: string | null;

  @ApiProperty({ type: String, example: 'FOLLOW_UP' })
  status!: string;

  @ApiProperty({ type: Boolean, enum: [false], description: 'Always false: follow-up is outside RTT (the clock stopped at treatment)' })
  rtt!: false;
}

export class ReferralPatientView {
  @ApiPropertyOptional({ type: String, example: '9434765919', description: 'Staff only' })
  nhsNumber?: string;

  @ApiProperty({ type: String, example: 'Jones' })
  familyName!: string;

  @ApiProperty({ type: String, example: 'Mary' })
  givenName!: string;

  @ApiPropertyOptional({ ...DATE, example: '1956-03-02', description: 'Staff only' })
  dateOfBirth?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: "Contact details: on one referral and a patient's own referrals, not on worklist rows" })
  address?: string | null;

  @ApiPropertyOptional({ type: String, example: 'HR1 2ER' })
  postcode?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '07700900123' })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'mary@example.com' })
  email?: string | null;

  @ApiPropertyOptional({ type: String, example: 'M81001', description: "Staff only, with the contact details: the patient's GP practice" })
  gpPracticeOds?: string;
}

/** The fields every form of a referral has (a worklist row; the start of the full view). */
export class ReferralSummaryView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: REFERRAL_STATUSES })
  status!: string;

  @ApiProperty({ type: String, example: 'Waiting for a clinician of the referring trust to review eligibility', description: 'The status in words' })
  statusDescription!: string;

  @ApiProperty({ ...ODS, example: 'RLQ', description: 'ODS code of the referring trust' })
  originOds!: string;

  @ApiProperty({
    ...NULLABLE_ODS,
    description:
      'ODS code of the receiving trust: null until the patient accepts an offer, and again once a receiving trust that had not accepted the transfer of care is no longer a party',
  })
  receivingOds!: string | null;

  @ApiProperty({ type: String, example: '110', description: 'Treatment function code' })
  specialtyCode!: string;

  @ApiProperty({ type: String, example: 'W371', description: 'OPCS-4 code' })
  procedureCode!: string;

  @ApiProperty({ type: String, example: 'RLQ-PPI-000123' })
  pathwayId!: string;

  @ApiProperty({ enum: PRIORITIES })
  priority!: string;

  @ApiProperty(DATE)
  rttClockStart!: string;

  @ApiProperty({ ...DATE, nullable: true, description: 'Set when treatment stops the clock' })
  rttClockStop!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 60 })
  weeksWaited!: number;

  @ApiProperty({ type: 'integer', enum: [...COHORT_BANDS], nullable: true, description: 'The highest cohort band (weeks) reached; null under 18 weeks' })
  cohortBand!: number | null;

  @ApiProperty({ type: Boolean, description: 'A job exhausted its retries; a trust admin can retry it' })
  needsAttention!: boolean;

  @ApiProperty({ type: 'integer', nullable: true, description: 'How far the patient will travel, once given' })
  travelRadiusMiles!: number | null;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Increases with every change' })
  version!: number;

  @ApiProperty({ enum: ['running', 'stopped'], description: 'The RTT clock: running until treatment (code 30 stops it); what follows is outside RTT' })
  rttPhase!: 'running' | 'stopped';

  @ApiProperty({
    type: () => FollowUpView,
    nullable: true,
    description: 'The follow-up after treatment (outside RTT) while it lasts; null before treatment, with no follow-up, and once discharged',
  })
  followUp!: FollowUpView | null;

  @ApiProperty({ enum: ['long_wait_transfer', 'closer_to_home'], description: 'Which way care moves, set at opening' })
  direction!: string;

  @ApiProperty(DATE_TIME)
  createdAt!: string;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;

  @ApiPropertyOptional({
    type: () => ReferralPatientView,
    description: 'Staff: NHS number, names and date of birth (contact details on one referral only). The patient: names and contact details',
  })
  patient?: ReferralPatientView;
}

export class OfferDistanceView {
  @ApiProperty({ type: Number, nullable: true, example: 12.4 })
  miles!: number | null;

  @ApiProperty({
    enum: ['postcode', 'district', 'unknown'],
    description:
      "postcode: from the patient's full postcode; district: from its district's centroid (the postcode is not loaded); unknown: neither is known, miles is null and the travel radius could not be applied",
  })
  basis!: 'postcode' | 'district' | 'unknown';
}

export class ExclusionReasonView {
  @ApiProperty({ enum: ['PROCEDURE_NOT_ACCEPTED', 'BMI_ABOVE_MAXIMUM', 'ASA_GRADE_ABOVE_MAXIMUM', 'AGE_BELOW_MINIMUM'] })
  code!: string;

  @ApiProperty({ type: String, example: "BMI 42 is above this service's maximum of 40" })
  text!: string;
}

export class ExcludedSiteView {
  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty({ type: String, example: 'Warwick Hospital' })
  siteName!: string;

  @ApiProperty(ODS)
  receivingOds!: string;

  @ApiProperty({ type: String, example: 'Hip and knee replacement' })
  serviceName!: string;

  @ApiProperty({ type: () => [ExclusionReasonView] })
  reasons!: ExclusionReasonView[];
}

export class OfferView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty(ODS)
  receivingOds!: string;

  @ApiProperty({ ...ODS, description: 'ODS code of the site' })
  siteOds!: string;

  @ApiProperty({ type: String, example: 'Warwick Hospital', description: "The site's name (its ODS code when the group has no name for it)" })
  siteName!: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 12.4,
    description: "Miles from the patient's home; null when it could not be worked out (never 0 for an unknown postcode): see distance",
  })
  distanceMiles!: number | null;

  @ApiProperty({ type: () => OfferDistanceView, description: 'The distance and what it was worked out from' })
  distance!: OfferDistanceView;

  @ApiProperty({ ...DATE, description: 'Monday of the earliest week with a free slot' })
  earliestWeek!: string;

  @ApiProperty({ enum: ['OPEN', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'] })
  status!: string;
}

export class BookingView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['pre_op_assessment', 'procedure'] })
  kind!: string;

  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty(DATE_TIME)
  startsAt!: string;

  @ApiProperty({
    enum: ['BOOKED', 'CANCELLED', 'ATTENDED', 'RESCHEDULED', 'DID_NOT_ATTEND'],
    description: 'ATTENDED: the procedure was recorded as done; RESCHEDULED: moved to a new booking; DID_NOT_ATTEND: the patient did not come',
  })
  status!: string;

  @ApiProperty({ type: String, nullable: true })
  cancelReason!: string | null;

  @ApiProperty(DATE_TIME)
  createdAt!: string;
}

export class ActorView {
  @ApiProperty({ type: String, description: "The caller's subject, or `system`" })
  sub!: string;

  @ApiProperty({ type: String, example: 'clinician' })
  role!: string;

  @ApiProperty(NULLABLE_ODS)
  ods!: string | null;

  @ApiPropertyOptional({
    type: String,
    example: 'Dr Owen Hughes',
    description:
      "Timeline only: the member of staff's name from their sign-in (the token's `name`); absent for the system, for patients and when the sign-in carried none",
  })
  name?: string;
}

export class TimelineEventView {
  @ApiProperty({ type: String, example: '1042' })
  id!: string;

  @ApiProperty({ type: String, example: 'clinical_review_recorded' })
  type!: string;

  @ApiPropertyOptional({ enum: REFERRAL_STATUSES, nullable: true, description: 'Staff only' })
  fromStatus?: string | null;

  @ApiProperty({ enum: REFERRAL_STATUSES, nullable: true })
  toStatus!: string | null;

  @ApiPropertyOptional({ type: () => ActorView, description: 'Staff only' })
  actor?: ActorView;

  @ApiProperty(DATE_TIME)
  at!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Staff only: what the event records (reason codes, fields changed; notes and summaries for clinicians only)',
  })
  detail?: Record<string, unknown>;
}

export class ClinicalNoteView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String })
  kind!: string;

  @ApiProperty({ type: String })
  text!: string;

  @ApiProperty({ type: String })
  authorSub!: string;

  @ApiProperty(DATE_TIME)
  createdAt!: string;
}

/** A message to another organisation over MESH (docs/mesh.md). */
export class DispatchStateView {
  @ApiProperty({ enum: ['TRANSFER', 'REMOVE_FROM_LIST', 'RECEIVER_DECISION', 'DISCHARGE_SUMMARY'] })
  kind!: string;

  @ApiProperty({ enum: ['QUEUED', 'SENT', 'DELIVERED', 'ACKNOWLEDGED', 'FAILED'] })
  status!: string;

  @ApiProperty({ type: String, example: 'RJC', description: 'ODS code of the organisation it goes to' })
  recipientOds!: string;

  @ApiProperty({ type: Number, description: 'Send attempts so far' })
  attempts!: number;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  sentAt!: string | null;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  acknowledgedAt!: string | null;

  @ApiProperty({ ...DATE_TIME, nullable: true, description: 'While queued: when it is tried next' })
  nextAttemptAt!: string | null;
}

/** One referral: what every command on it answers with. */
export class ReferralView extends ReferralSummaryView {
  @ApiPropertyOptional({
    type: Boolean,
    description: 'Staff only: the trust already held this NHS number under another family name or date of birth (a booking-team task is open)',
  })
  demographicsMismatch?: boolean;

  @ApiProperty({ type: () => [OfferView], description: 'Nearest site first (the patient does not see withdrawn offers)' })
  offers!: OfferView[];

  @ApiPropertyOptional({
    type: Boolean,
    description:
      "Staff only: an offer's distance could not be worked out (the patient's postcode is not in the postcode tables), so the travel radius was not applied: check the postcode",
  })
  distanceUnknown?: boolean;

  @ApiPropertyOptional({
    type: () => [ExcludedSiteView],
    description:
      "Clinicians only: sites with free capacity that were not offered because their service's rules exclude the patient (procedure, BMI, ASA grade, age), as of the last match",
  })
  excludedSites?: ExcludedSiteView[];

  @ApiProperty({ type: () => [BookingView] })
  bookings!: BookingView[];

  @ApiProperty({ type: () => [TimelineEventView], description: 'Oldest first' })
  timeline!: TimelineEventView[];

  @ApiPropertyOptional({ type: () => [ClinicalNoteView], description: 'Clinicians only' })
  clinicalNotes?: ClinicalNoteView[];

  @ApiPropertyOptional({
    type: () => AdditionalRequirementsView,
    nullable: true,
    description: "Staff only: the patient's additional requirements (transport, interpreter, accessible information...); null: none recorded",
  })
  additionalRequirements?: AdditionalRequirementsView | null;

  @ApiPropertyOptional({
    type: () => ClinicalInformationView,
    nullable: true,
    description: 'Clinicians only: the clinical package the referring trust recorded (null: none yet)',
  })
  clinicalInformation?: ClinicalInformationView | null;

  @ApiPropertyOptional({
    type: () => [AttachmentView],
    description: 'Clinicians only: the documents sent with the referral (descriptions; GET each to open it)',
  })
  attachments?: AttachmentView[];

  @ApiPropertyOptional({
    type: () => InformationRequestView,
    nullable: true,
    description: 'Staff only: the latest request for information; while its status is OPEN the referral waits on the referrer',
  })
  informationRequest?: InformationRequestView | null;

  @ApiPropertyOptional({ type: () => [InformationRequestView], description: 'Staff only: every request for information, oldest first' })
  informationRequests?: InformationRequestView[];

  @ApiPropertyOptional({
    type: () => [DispatchStateView],
    description: 'Staff only, on GET: each message sent to another organisation and its state, oldest first',
  })
  dispatches?: DispatchStateView[];
}

export class BookedReferralView extends ReferralView {
  @ApiProperty({ type: () => BookingView, description: 'The booking just made' })
  booking!: BookingView;
}

export class RetriedReferralView extends ReferralView {
  @ApiProperty({ ...COUNT, description: 'Failed steps queued again' })
  retried!: number;
}

/** A receiving trust that rejects is no longer a party: it is told the outcome only. */
export class ReceiverRejectionView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: REFERRAL_STATUSES, example: 'REJECTED_BY_RECEIVER' })
  status!: string;

  @ApiProperty({ type: String })
  statusDescription!: string;

  @ApiProperty({ type: 'integer' })
  version!: number;

  @ApiProperty({ type: String, nullable: true, description: 'Always null: the trust is no longer the receiver' })
  receivingOds!: null;
}

/** A worklist row. */
export class WorklistItemView extends ReferralSummaryView {
  @ApiProperty({
    type: [String],
    example: ['BSL interpreter', 'Transport (PTS eligible)'],
    description: "The short summary of the patient's additional requirements; empty: none recorded",
  })
  additionalRequirements!: string[];
}

export class ReferralPage {
  @ApiProperty({ type: () => [WorklistItemView] })
  items!: WorklistItemView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor!: string | null;
}

export class PatientReferralView extends ReferralSummaryView {
  @ApiProperty({ type: () => [OfferView], description: 'Offers not withdrawn, nearest first' })
  offers!: OfferView[];
}

export class PatientReferralList {
  @ApiProperty({ type: () => [PatientReferralView], description: 'Newest first' })
  items!: PatientReferralView[];

  @ApiProperty({ type: String, nullable: true, description: 'Always null: every referral is on the one page' })
  nextCursor!: null;
}

const countsPerStatus = {
  type: 'object' as const,
  properties: Object.fromEntries(REFERRAL_STATUSES.map((s) => [s, { ...COUNT }])),
  required: [...REFERRAL_STATUSES],
  additionalProperties: false,
};

export class SideCounts {
  @ApiProperty(COUNT)
  origin!: number;

  @ApiProperty(COUNT)
  receiving!: number;
}

export class ReferralCountsView {
  @ApiProperty({ ...ODS, example: 'RLQ', description: "The caller's trust" })
  ods!: string | null;

  @ApiProperty({
    type: 'object',
    properties: { origin: countsPerStatus, receiving: countsPerStatus },
    required: ['origin', 'receiving'],
    description: 'Referrals per status (every status, zeros included) with the trust as referrer (origin) and as receiver',
  })
  byStatus!: { origin: Record<string, number>; receiving: Record<string, number> };

  @ApiProperty({ type: () => SideCounts })
  totals!: SideCounts;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(WORKLIST_NAMES.map((n) => [n, COUNT])),
    required: [...WORKLIST_NAMES],
    additionalProperties: false,
    description: 'Referrals on each named worklist',
  })
  worklists!: Record<string, number>;

  @ApiProperty(COUNT)
  needsAttention!: number;
}

export class NotificationStatusView {
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: string;

  @ApiProperty({ ...DATE_TIME, description: 'When we learned it' })
  at!: string;

  @ApiProperty({ ...DATE_TIME, nullable: true, description: 'When GOV.UK Notify says it happened' })
  providerAt!: string | null;
}

export class NotificationView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: NOTIFICATION_EVENTS, description: 'What the patient is told' })
  event!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: string;

  @ApiProperty(DATE_TIME)
  createdAt!: string;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  sentAt!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The notification this letter was sent in place of (after a permanent failure)' })
  fallbackOf!: string | null;

  @ApiProperty({ type: () => [NotificationStatusView], description: 'Each status reached, oldest first' })
  statusHistory!: NotificationStatusView[];
}

export class NotificationList {
  @ApiProperty({ type: () => [NotificationView], description: 'Oldest first' })
  items!: NotificationView[];

  @ApiProperty({ type: String, nullable: true, description: 'Always null: every notification is on the one page' })
  nextCursor!: null;
}

// ---- the minimal answers of command routes (`Prefer: return=minimal`, apps/api/src/http/prefer.ts) ----

/** A command's outcome without the view: enough to follow the referral (GET it, or send the next command with its version). */
export class ReferralStateView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: REFERRAL_STATUSES, example: 'AWAITING_PATIENT_CONSENT' })
  status!: string;

  @ApiProperty({ type: 'integer', description: 'Bumped by every stage change' })
  version!: number;
}

export class BookedReferralStateView extends ReferralStateView {
  @ApiProperty({ type: String, format: 'uuid', description: 'The booking just made' })
  bookingId!: string;
}

export class RetriedReferralStateView extends ReferralStateView {
  @ApiProperty({ ...COUNT, description: 'Failed steps queued again' })
  retried!: number;
}
