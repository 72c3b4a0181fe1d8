// The patient's own view of their referrals.
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { ReferralQueries } from '#workflow';

@ApiTags('patient')
@Controller('v1/patient')
export class PatientController {
  constructor(private readonly queries: ReferralQueries) {}

  @Get('referrals')
  @RequirePermission('patient.own-referrals')
  @ApiOperation({ summary: "The caller's own referrals, with open offers" })
  referrals(@CurrentCaller() caller: Caller) {
    return this.queries.patientReferrals(caller);
  }
}
