// Booking as it really goes: clinic sessions and their slots, the did-not-attend policy, and the
// changes to a booking (reschedule, did-not-attend, the patient's change request).
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parseIsoDate } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { Bookings, ClinicSessions, ReferralQueries } from '#workflow';
import { BookingPolicyDto, ChangeRequestDto, ClinicQueryDto, ClinicSessionDto, RescheduleDto } from './dto/booking.dto.js';
import {
  BookingPolicyView,
  ChangeRequestView,
  ClinicSessionList,
  ClinicSessionView,
  DidNotAttendStateView,
  DidNotAttendView,
} from './dto/responses/booking.responses.js';
import { BookedReferralStateView, BookedReferralView } from './dto/responses/referral.responses.js';
import { Answer, CommandAnswer, CommandResponse } from './http/prefer.js';
import { uuidParam } from './http/uuid-param.js';

const id = uuidParam('id');
const bookingIdParam = uuidParam('bookingId');

@ApiTags('bookings')
@Controller('v1/clinics')
export class ClinicsController {
  constructor(private readonly clinics: ClinicSessions) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('clinic.write')
  @ApiOperation({ summary: "Declare a clinic session at a site of the caller's trust, cut into slots (booking_clerk)" })
  @ApiCreatedResponse({ type: ClinicSessionView })
  declare(@CurrentCaller() caller: Caller, @Body() dto: ClinicSessionDto): Promise<ClinicSessionView> {
    return this.clinics.declare(caller, dto);
  }

  @Get()
  @RequirePermission('clinic.read')
  @ApiOperation({ summary: "The caller's trust's clinic sessions with their slots (free: bookingId null), earliest first" })
  @ApiOkResponse({ type: ClinicSessionList })
  async list(@CurrentCaller() caller: Caller, @Query() q: ClinicQueryDto): Promise<ClinicSessionList> {
    return { items: await this.clinics.list(caller, { from: q.from ? parseIsoDate(q.from)! : undefined, days: q.days, kind: q.kind, siteOds: q.siteOds }) };
  }
}

@ApiTags('bookings')
@Controller('v1/booking-policy')
export class BookingPolicyController {
  constructor(private readonly clinics: ClinicSessions) {}

  @Get()
  @RequirePermission('booking-policy.read')
  @ApiOperation({ summary: "What a did-not-attend leads to at the caller's trust" })
  @ApiOkResponse({ type: BookingPolicyView })
  get(@CurrentCaller() caller: Caller): Promise<BookingPolicyView> {
    return this.clinics.policy(caller.ods!);
  }

  @Put()
  @RequirePermission('booking-policy.write')
  @ApiOperation({ summary: "Set what a did-not-attend leads to at the caller's trust: rebook, or return to the referrer after N (trust_admin)" })
  @ApiOkResponse({ type: BookingPolicyView })
  put(@CurrentCaller() caller: Caller, @Body() dto: BookingPolicyDto): Promise<BookingPolicyView> {
    return this.clinics.setPolicy(caller, dto);
  }
}

@ApiTags('referrals')
@Controller('v1/referrals')
export class BookingChangesController {
  constructor(
    private readonly bookings: Bookings,
    private readonly queries: ReferralQueries,
  ) {}

  @Post(':id/bookings/:bookingId/reschedule')
  @HttpCode(200)
  @RequirePermission('referral.book')
  @ApiOperation({ summary: 'Move a booking to another free slot, with a reason code (patient- or hospital-initiated); the patient is told' })
  @CommandResponse(200, BookedReferralView, 'The referral after the step, and the new booking', BookedReferralStateView)
  async reschedule(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('bookingId', bookingIdParam) bookingId: string,
    @Body() dto: RescheduleDto,
    @Answer() answer: CommandAnswer,
  ): Promise<BookedReferralView | BookedReferralStateView> {
    const out = await this.bookings.reschedule(caller, refId, bookingId, dto);
    return answer.booked(refId, out, () => this.queries.get(caller, refId));
  }

  @Post(':id/bookings/:bookingId/did-not-attend')
  @HttpCode(200)
  @RequirePermission('referral.book')
  @ApiOperation({
    summary: "Record that the patient did not attend (after the appointment's time); the trust's policy decides what follows; the patient is told",
  })
  @CommandResponse(200, DidNotAttendView, "The referral after the step, and what followed by the trust's policy", DidNotAttendStateView)
  async notAttended(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('bookingId', bookingIdParam) bookingId: string,
    @Answer() answer: CommandAnswer,
  ): Promise<DidNotAttendView | DidNotAttendStateView> {
    const out = await this.bookings.notAttended(caller, refId, bookingId);
    const followed = { outcome: out.outcome, dnaCount: out.dnaCount };
    return answer.referral(
      { id: refId, status: out.to, version: out.version },
      async () => ({ ...(await this.queries.get(caller, refId)), ...followed }),
      followed,
    );
  }

  @Post(':id/bookings/:bookingId/change-request')
  @HttpCode(201)
  @RequirePermission('referral.change-request')
  @ApiOperation({ summary: "The patient asks to change or cancel a booked appointment, with a reason; it lands on the receiving booking team's tasks" })
  @ApiCreatedResponse({ type: ChangeRequestView })
  requestChange(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('bookingId', bookingIdParam) bookingId: string,
    @Body() dto: ChangeRequestDto,
  ): Promise<ChangeRequestView> {
    return this.bookings.requestChange(caller, refId, bookingId, dto);
  }
}
