// Patient-initiated mutual aid (PIDMAS): cohort invitations, the clinicians' check of opt-ins, and the
// "no capacity" list with its CSV for the regional matching system. The patient's page is opt-in-page/.
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { isoDate, OPT_IN_NOT_SUITABLE_REASONS, ukDate, weeksWaited } from '#domain';
import { PatientInitiated, type OptInRow } from '#workflow';
import { PidmasCohortDto, PidmasOptInQueryDto, PidmasReviewDto } from './dto/pidmas.dto.js';
import {
  PidmasCohortView,
  PidmasInvitationResult,
  PidmasOptInList,
  PidmasOptInView,
  PidmasReasonCodes,
  PidmasReviewResult,
} from './dto/responses/pidmas.responses.js';
import { uuidParam } from './http/uuid-param.js';

export function optInView(r: OptInRow, today = ukDate(new Date())): PidmasOptInView {
  return {
    id: r.id,
    cohortId: r.cohort_id,
    waitingListEntryId: r.entry_id,
    originOds: r.origin_ods,
    nhsNumber: r.nhs_number,
    familyName: r.family_name,
    givenName: r.given_name,
    dateOfBirth: isoDate(r.date_of_birth),
    specialtyCode: r.specialty_code,
    procedureCode: r.procedure_code,
    priority: r.priority,
    weeksWaited: weeksWaited(r.rtt_clock_start, today),
    travelRadiusMiles: r.travel_radius_miles,
    requirements: r.requirements,
    optedInAt: r.answered_at.toISOString(),
    review: r.review,
    referralId: r.referral_id,
  };
}

@ApiTags('patient-initiated')
@Controller('v1/pidmas')
export class PidmasController {
  constructor(private readonly pidmas: PatientInitiated) {}

  @Post('cohorts')
  @HttpCode(201)
  @RequirePermission('pidmas.invite')
  @ApiOperation({
    summary:
      "Invite a cohort of the trust's waiting list (a specialty and a weeks-waited band: open, unreferred entries) to opt in to treatment elsewhere: one message each, by SMS where the trust holds a mobile number, else email, else letter, with a personal link. An entry already invited for the same cohort is not invited again.",
  })
  @ApiCreatedResponse({ type: PidmasInvitationResult })
  invite(@CurrentCaller() caller: Caller, @Body() dto: PidmasCohortDto): Promise<PidmasInvitationResult> {
    return this.pidmas.invite(caller, { specialtyCode: dto.specialtyCode, minWeeks: dto.minWeeks });
  }

  @Get('cohorts')
  @RequirePermission('pidmas.read')
  @ApiOperation({
    summary: "The trust's invited cohorts, newest first, with how many were invited, sent, opted in, declined, referred and left without capacity",
  })
  @ApiOkResponse({ type: [PidmasCohortView] })
  cohorts(@CurrentCaller() caller: Caller): Promise<PidmasCohortView[]> {
    return this.pidmas.cohorts(caller);
  }

  @Get('reason-codes')
  @RequirePermission('pidmas.read')
  @ApiOperation({ summary: 'Why moving may not be clinically or socially appropriate for a patient who opted in (code: meaning)' })
  @ApiOkResponse({ type: PidmasReasonCodes })
  reasonCodes(): PidmasReasonCodes {
    return { notSuitable: { ...OPT_IN_NOT_SUITABLE_REASONS } };
  }

  @Get('opt-ins')
  @RequirePermission('pidmas.read')
  @ApiOperation({
    summary: "The trust's opt-ins awaiting a clinician's check (oldest first), or those found suitable with no capacity in the group within their radius",
  })
  @ApiOkResponse({ type: PidmasOptInList })
  async optIns(@CurrentCaller() caller: Caller, @Query() q: PidmasOptInQueryDto): Promise<PidmasOptInList> {
    const rows = await this.pidmas.optIns(caller, q.list ?? 'awaiting_review', q.limit ?? 100);
    return { items: rows.map((r) => optInView(r)) };
  }

  @Get('opt-ins/no-capacity.csv')
  @RequirePermission('pidmas.read')
  @ApiOperation({ summary: 'The opt-ins found suitable with no capacity in the group within their radius, as CSV for the regional matching system' })
  @ApiOkResponse({
    description: 'CSV: nhs_number, names, date of birth, postcode, pathway, specialty, procedure, priority, RTT start, weeks waited, radius, dates',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async noCapacityCsv(@CurrentCaller() caller: Caller, @Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    void res
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="pidmas-no-capacity-${caller.ods ?? ''}-${isoDate(new Date())}.csv"`)
      .header('Cache-Control', 'no-store');
    return this.pidmas.noCapacityCsv(caller);
  }

  @Post('opt-ins/:id/review')
  @HttpCode(200)
  @RequirePermission('pidmas.review')
  @ApiOperation({
    summary:
      "A clinician of the trust checks that moving is clinically and socially appropriate. not_suitable needs a reasonCode (the patient stays on their list). suitable: capacity in the group within the patient's radius opens a referral from the waiting-list entry (with that radius; screening runs and this check stands as the clinical review); none: the opt-in goes on the no-capacity list.",
  })
  @ApiOkResponse({ type: PidmasReviewResult })
  @ApiNotFoundResponse({ description: "No such opt-in, or another trust's" })
  review(@CurrentCaller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Body() dto: PidmasReviewDto): Promise<PidmasReviewResult> {
    return this.pidmas.review(caller, id, { decision: dto.decision, reasonCode: dto.reasonCode });
  }
}
