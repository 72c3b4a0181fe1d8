// The patient's own view of their referrals.
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { ReferralQueries } from '#workflow';
import { PatientReferralList } from './dto/responses/referral.responses.js';

@ApiTags('patient')
@Controller('v1/patient')
export class PatientController {
  constructor(private readonly queries: ReferralQueries) {}

  @Get('referrals')
  @RequirePermission('patient.own-referrals')
  @ApiOperation({ summary: "The caller's own referrals, with open offers" })
  @ApiOkResponse({ type: PatientReferralList })
  referrals(@CurrentCaller() caller: Caller): Promise<PatientReferralList> {
    return this.queries.patientReferrals(caller);
  }
}
