// Response shapes of booking as it really goes: clinic sessions and slots, the did-not-attend policy, a change request.
import { ApiProperty } from '@nestjs/swagger';
import { CLINIC_KINDS, DNA_ACTIONS } from '#workflow';
import { ReferralStateView, ReferralView } from './referral.responses.js';

export class ClinicSlotView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  startsAt!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The booking holding the slot; null when free' })
  bookingId!: string | null;
}

export class ClinicSessionView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String })
  trustOds!: string;

  @ApiProperty({ type: String })
  siteOds!: string;

  @ApiProperty({ type: String })
  clinicianName!: string;

  @ApiProperty({ enum: CLINIC_KINDS })
  kind!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  startsAt!: string;

  @ApiProperty({ type: 'integer' })
  slotMinutes!: number;

  @ApiProperty({ type: 'integer' })
  slotCount!: number;

  @ApiProperty({ type: String })
  createdBy!: string;

  @ApiProperty({ type: () => [ClinicSlotView] })
  slots!: ClinicSlotView[];
}

export class ClinicSessionList {
  @ApiProperty({ type: () => [ClinicSessionView] })
  items!: ClinicSessionView[];
}

export class BookingPolicyView {
  @ApiProperty({ type: String })
  trustOds!: string;

  @ApiProperty({ enum: DNA_ACTIONS })
  dnaAction!: string;

  @ApiProperty({ type: 'integer' })
  returnAfterDnas!: number;

  @ApiProperty({ type: String, nullable: true })
  updatedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  updatedAt!: string | null;
}

export class DidNotAttendView extends ReferralView {
  @ApiProperty({ enum: ['rebook', 'returned_to_referrer'], description: "What followed, by the receiving trust's policy" })
  outcome!: string;

  @ApiProperty({ type: 'integer', description: 'Missed appointments on this referral, this one included' })
  dnaCount!: number;
}

/** A did-not-attend answered with `Prefer: return=minimal`: the referral's state and what followed. */
export class DidNotAttendStateView extends ReferralStateView {
  @ApiProperty({ enum: ['rebook', 'returned_to_referrer'], description: "What followed, by the receiving trust's policy" })
  outcome!: string;

  @ApiProperty({ type: 'integer', description: 'Missed appointments on this referral, this one included' })
  dnaCount!: number;
}

export class ChangeRequestView {
  @ApiProperty({ type: String, description: 'The timeline event recording the request' })
  eventId!: string;

  @ApiProperty({ type: String, format: 'uuid' })
  bookingId!: string;

  @ApiProperty({ enum: ['change', 'cancel'] })
  request!: string;

  @ApiProperty({ type: String })
  reasonCode!: string;
}
