// The referral routes of the contract: open, read, worklists, and every human step.
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res, BadRequestException } from '@nestjs/common';
import { ApiConflictResponse, ApiExtraModels, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { STATUS_DESCRIPTIONS, type NewReferral } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import {
  Bookings,
  ClinicalReview,
  Consent,
  CONTACT_FIELDS,
  LongWaiters,
  NeedsAttention,
  OpenReferral,
  PatientContact,
  ReferralExits,
  Reoffer,
  ReferralQueries,
  TransferOfCare,
  TreatmentAndDischarge,
} from '#workflow';
import {
  BookingDto,
  CancelReferralDto,
  OptionalReasonDto,
  ClinicalReviewDto,
  ConsentDto,
  CreateReferralDto,
  DischargeDto,
  FollowUpDto,
  HandbackDecisionDto,
  newReferralFrom,
  PatientContactDto,
  ReasonDto,
  ReceiverDecisionDto,
  TreatmentDto,
  WithdrawDto,
} from './dto/referral.dto.js';
import { WorklistQueryDto, worklistConflicts } from './dto/query.dto.js';
import { uuidParam } from './http/uuid-param.js';
import {
  BookedReferralStateView,
  BookedReferralView,
  NotificationList,
  ReceiverRejectionView,
  ReferralCountsView,
  ReferralPage,
  ReferralView,
  RetriedReferralStateView,
  RetriedReferralView,
  ReferralStateView,
} from './dto/responses/referral.responses.js';
import { errorBody } from './http/http-errors.filter.js';
import { Answer, CommandAnswer, CommandResponse } from './http/prefer.js';

const id = uuidParam('id');

@ApiTags('referrals')
@ApiExtraModels(ReferralView, ReceiverRejectionView)
@Controller('v1/referrals')
export class ReferralsController {
  constructor(
    private readonly opening: OpenReferral,
    private readonly clinicalReviews: ClinicalReview,
    private readonly consents: Consent,
    private readonly transfers: TransferOfCare,
    private readonly bookings: Bookings,
    private readonly treatments: TreatmentAndDischarge,
    private readonly exits: ReferralExits,
    private readonly contact: PatientContact,
    private readonly needsAttention: NeedsAttention,
    private readonly queries: ReferralQueries,
    private readonly longWaiters: LongWaiters,
    private readonly reoffers: Reoffer,
  ) {}

  @Post()
  @RequirePermission('referral.create')
  @ApiOperation({
    summary: 'Open a referral for a long-waiter (stage 1), from its fields or from a waiting-list entry ({waitingListEntryId}); screening starts automatically',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat with the same key returns the first result; with another body, 422' })
  @CommandResponse(
    201,
    ReferralView,
    'The referral opened (or, repeated with the same Idempotency-Key, the one first opened: `Idempotent-Replayed: true`); `Location` is the referral',
  )
  @ApiConflictResponse({ description: 'The pathway already has an open referral' })
  async create(
    @CurrentCaller() caller: Caller,
    @Body() dto: CreateReferralDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    if (key !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(key)) {
      const message = 'Idempotency-Key must be 1 to 128 letters, digits, ., _, : or -';
      throw new BadRequestException(errorBody(400, message, [{ field: 'Idempotency-Key', messages: [message] }]));
    }
    const entryId = dto.waitingListEntryId;
    if (entryId !== undefined) {
      const extra = Object.keys(dto).filter((k) => k !== 'waitingListEntryId' && (dto as unknown as Record<string, unknown>)[k] !== undefined);
      if (extra.length) {
        const message = `Send either waitingListEntryId or the referral's fields, not both (also sent: ${extra.join(', ')})`;
        throw new BadRequestException(
          errorBody(
            400,
            message,
            extra.map((field) => ({ field, messages: [`${field} cannot be sent with waitingListEntryId`] })),
          ),
        );
      }
    }
    const input: NewReferral = entryId !== undefined ? await this.longWaiters.referralFromEntry(caller, entryId) : newReferralFrom(dto);
    const result = await this.opening.open(caller, input, key ?? null, { waitingListEntryId: entryId });
    void res.status(201);
    void res.header('Location', `/v1/referrals/${result.referralId}`);
    if (result.replayed) void res.header('Idempotent-Replayed', 'true');
    const full = () => this.queries.get(caller, result.referralId);
    // A replay's referral may have moved on since: its state is read (for a minimal answer), not assumed.
    return result.state ? answer.referral(result.state, full) : answer.referralRead(() => this.queries.state(caller, result.referralId), full);
  }

  @Get()
  @RequirePermission('referral.list')
  @ApiOperation({ summary: "Worklist of the caller's trust, longest waiters first (or by priority), keyset-paginated" })
  @ApiOkResponse({ type: ReferralPage })
  list(@CurrentCaller() caller: Caller, @Query() q: WorklistQueryDto): Promise<ReferralPage> {
    const conflicts = worklistConflicts(q);
    if (conflicts.length) throw new BadRequestException(errorBody(400, conflicts.flatMap((c) => c.messages).join('; '), conflicts));
    return this.queries.list(caller, q);
  }

  @Get('summary')
  @RequirePermission('referral.list')
  @ApiOperation({ summary: "Counts for the caller's trust: referrals per status on each side, each named worklist, and needsAttention" })
  @ApiOkResponse({ type: ReferralCountsView })
  summary(@CurrentCaller() caller: Caller): Promise<ReferralCountsView> {
    return this.queries.summary(caller);
  }

  @Get(':id')
  @RequirePermission('referral.read')
  @ApiOperation({ summary: 'One referral with weeks waited, offers, bookings and its timeline' })
  @ApiNotFoundResponse({ description: 'Not there, or not visible to your trust' })
  @ApiOkResponse({ type: ReferralView })
  get(@CurrentCaller() caller: Caller, @Param('id', id) refId: string): Promise<ReferralView> {
    return this.queries.getWithDispatches(caller, refId);
  }

  @Get(':id/notifications')
  @RequirePermission('notification.read')
  @ApiOperation({ summary: 'What the patient was sent, on which channel, and its delivery status' })
  @ApiOkResponse({ type: NotificationList })
  notifications(@CurrentCaller() caller: Caller, @Param('id', id) refId: string): Promise<NotificationList> {
    return this.queries.notifications(caller, refId);
  }

  @Post(':id/clinical-review')
  @HttpCode(200)
  @RequirePermission('referral.clinical-review')
  @ApiOperation({ summary: 'Clinician of the referring trust: suitable for transfer, or not suitable with a reason code (stage 2)' })
  @ApiConflictResponse({ description: 'Not awaiting clinical review, or changed concurrently' })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async clinicalReview(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: ClinicalReviewDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.clinicalReviews.record(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/consent')
  @HttpCode(200)
  @RequirePermission('referral.consent')
  @ApiOperation({ summary: "The patient's answer to the offer: accept one, or decline and keep their place (stage 3)" })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async consent(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: ConsentDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.consents.record(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/receiver-decision')
  @HttpCode(200)
  @RequirePermission('referral.receiver-decision')
  @ApiOperation({ summary: 'Receiving trust accepts (formal transfer of care) or rejects with a reason (stage 4)' })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description: "RFC 7240. `return=minimal`: answer with the referral's id, status and version only (and `Preference-Applied: return=minimal`)",
  })
  @ApiOkResponse({
    description:
      "Accepted: the referral after the step. Rejected: the outcome only, since the trust is no longer a party. With `Prefer: return=minimal`, the referral's id, status and version only",
    schema: { anyOf: [{ $ref: getSchemaPath(ReferralView) }, { $ref: getSchemaPath(ReceiverRejectionView) }, { $ref: getSchemaPath(ReferralStateView) }] },
  })
  async receiverDecision(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: ReceiverDecisionDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReceiverRejectionView | ReferralStateView> {
    const out = await this.transfers.decide(caller, refId, dto);
    if (answer.minimal) return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
    // A trust that rejects is no longer a party and reads the referral no more: it is told the outcome only.
    if (dto.decision === 'reject')
      return { id: refId, status: out.to, statusDescription: STATUS_DESCRIPTIONS[out.to], version: out.version, receivingOds: null };
    return this.queries.get(caller, refId);
  }

  @Post(':id/bookings')
  @HttpCode(201)
  @RequirePermission('referral.book')
  @ApiOperation({ summary: 'Book a pre-operative assessment or the procedure at a site of the receiving trust (stage 5)' })
  @CommandResponse(201, BookedReferralView, 'The referral after the step, and the booking made', BookedReferralStateView)
  async book(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: BookingDto,
    @Answer() answer: CommandAnswer,
  ): Promise<BookedReferralView | BookedReferralStateView> {
    const startsAt = dto.startsAt ? new Date(dto.startsAt) : undefined;
    const out = await this.bookings.book(caller, refId, { kind: dto.kind, siteOds: dto.siteOds, startsAt, slotId: dto.slotId });
    return answer.booked(refId, out, () => this.queries.get(caller, refId));
  }

  @Post(':id/bookings/:bookingId/cancel')
  @HttpCode(200)
  @RequirePermission('referral.book')
  @ApiOperation({ summary: 'Cancel a booking; the patient is told' })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async cancelBooking(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('bookingId', uuidParam('bookingId')) bookingId: string,
    @Body() dto: ReasonDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.bookings.cancel(caller, refId, bookingId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/treatment')
  @HttpCode(200)
  @RequirePermission('referral.treatment')
  @ApiOperation({ summary: 'Record the procedure: the RTT clock stops (stage 6)' })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async treatment(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: TreatmentDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.treatments.recordTreatment(caller, refId, {
      performedAt: new Date(dto.performedAt),
      procedureCode: dto.procedureCode,
      ...(dto.followUp ? { followUp: dto.followUp } : {}),
    });
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/follow-up')
  @HttpCode(200)
  @RequirePermission('referral.treatment')
  @ApiOperation({
    summary: 'Receiving clinician, after treatment: decide the follow-up (outside RTT): keep it, hand it back to the referring trust, or a virtual ward',
  })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async followUp(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: FollowUpDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.treatments.decideFollowUp(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/handback-decision')
  @HttpCode(200)
  @RequirePermission('referral.handback-decision')
  @ApiOperation({
    summary:
      "Referring trust's clinician: accept the follow-up handed back (the referring trust then follows up and discharges), or refuse it with a reason code (the receiving trust keeps it); the patient is told",
  })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async handbackDecision(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: HandbackDecisionDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.treatments.decideHandback(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/discharge')
  @HttpCode(200)
  @RequirePermission('referral.discharge')
  @ApiOperation({
    summary:
      "Discharge to the GP: the summary goes to the patient's GP practice by a job (stage 7). After treatment with no follow-up, or when the follow-up ends (by the trust that holds it)",
  })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async discharge(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: DischargeDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.treatments.recordDischarge(caller, refId, { dischargedAt: new Date(dto.dischargedAt), summary: dto.summary });
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @RequirePermission('referral.withdraw')
  @ApiOperation({ summary: 'The patient withdraws; they keep their place on the origin waiting list' })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async withdraw(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: WithdrawDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.exits.withdraw(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Patch(':id/patient-contact')
  @RequirePermission('referral.patient-contact')
  @ApiOperation({
    summary:
      "Referring trust's booking team: correct the patient's contact details on this referral (address, postcode, phone, email, contact preference, accessible format)",
    description:
      'Only the fields sent change; null clears an optional one. Messages not yet sent use the new details. The timeline records which fields changed, not their values.',
  })
  @CommandResponse(200, ReferralView, 'The referral with the details corrected')
  async patientContact(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: PatientContactDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const sent = CONTACT_FIELDS.filter((f) => dto[f] !== undefined);
    if (sent.length === 0) {
      const message = `Send at least one of ${CONTACT_FIELDS.join(', ')}`;
      throw new BadRequestException(errorBody(400, message, [{ field: 'body', messages: [message] }]));
    }
    await this.contact.correct(caller, refId, { ...dto, ...(dto.postcode ? { postcode: dto.postcode.toUpperCase() } : {}) });
    return answer.referralRead(
      () => this.queries.state(caller, refId),
      () => this.queries.get(caller, refId),
    );
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequirePermission('referral.retry')
  @ApiOperation({ summary: 'Trust admin: run again the automated steps that failed for good (clears needsAttention)' })
  @CommandResponse(200, RetriedReferralView, 'The referral, and how many failed steps were queued again', RetriedReferralStateView)
  async retry(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Answer() answer: CommandAnswer,
  ): Promise<RetriedReferralView | RetriedReferralStateView> {
    const out = await this.needsAttention.retry(caller, refId);
    return answer.referralRead(
      () => this.queries.state(caller, refId),
      async () => ({ ...(await this.queries.get(caller, refId)), retried: out.retried }),
      { retried: out.retried },
    );
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission('referral.cancel')
  @ApiOperation({ summary: 'Cancel the referral with a reason; the patient keeps their place on the origin waiting list' })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async cancel(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: CancelReferralDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.exits.cancel(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/reoffer')
  @HttpCode(200)
  @RequirePermission('referral.reoffer')
  @ApiOperation({
    summary:
      'Referring clinician: after the receiving trust did not accept, the patient declined, or the referral was cancelled, offer the patient again elsewhere, without re-posting',
    description:
      'REJECTED_BY_RECEIVER to AWAITING_PATIENT_CONSENT (reoffered): fresh offers from the group members with capacity, none of the trusts that did not accept it; the patient is sent the offer again. ' +
      'DECLINED or CANCELLED to AWAITING_PATIENT_CONSENT (reopened, a reoffered event): the same, within REOFFER_WINDOW_DAYS of the close; 409 past it, after the referring trust closed it to the origin list, ' +
      'or while a newer referral is open for the pathway (naming it). ' +
      'The RTT clock start is unchanged. 422 (NO_OTHER_OFFER) when no other trust can take the patient now: close it to the origin list with cancel instead.',
  })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async reoffer(@CurrentCaller() caller: Caller, @Param('id', id) refId: string, @Answer() answer: CommandAnswer): Promise<ReferralView | ReferralStateView> {
    const out = await this.reoffers.reoffer(caller, refId);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }

  @Post(':id/close-to-origin')
  @HttpCode(200)
  @RequirePermission('referral.close-to-origin')
  @ApiOperation({
    summary: 'Referring trust: after the receiving trust did not accept, close the referral; the patient keeps their place on the origin list',
    description: 'REJECTED_BY_RECEIVER to CANCELLED (a closed_to_origin event): the final close, the other answer to a rejection than reoffer.',
  })
  @CommandResponse(200, ReferralView, 'The referral after the step')
  async closeToOrigin(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: OptionalReasonDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    const out = await this.reoffers.closeToOrigin(caller, refId, dto);
    return answer.referral({ id: refId, status: out.to, version: out.version }, () => this.queries.get(caller, refId));
  }
}
