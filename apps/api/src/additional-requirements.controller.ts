// The patient's additional requirements on a referral (transport, interpreter, accessible
// information, escort, mobility, reasonable adjustments): read and recorded by the booking team,
// clinicians and the additional requirements manager, who sees who the patient is and nothing clinical.
import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { readRequirements } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { AdditionalRequirementsRecord } from '#workflow';
import { AdditionalRequirementsDto } from './dto/additional-requirements.dto.js';
import { ReferralRequirementsView } from './dto/responses/additional-requirements.responses.js';
import { uuidParam } from './http/uuid-param.js';

const id = uuidParam('id');

@ApiTags('referrals')
@Controller('v1/referrals/:id/additional-requirements')
export class AdditionalRequirementsController {
  constructor(private readonly requirements: AdditionalRequirementsRecord) {}

  @Get()
  @RequirePermission('additional-requirements.read')
  @ApiOperation({
    summary: "The referral's identification and the patient's additional requirements (transport, interpreter, accessible information...): nothing clinical",
  })
  @ApiNotFoundResponse({ description: 'Not there, or not visible to your trust' })
  @ApiOkResponse({ type: ReferralRequirementsView })
  get(@CurrentCaller() caller: Caller, @Param('id', id) refId: string): Promise<ReferralRequirementsView> {
    return this.requirements.read(caller, refId);
  }

  @Put()
  @RequirePermission('additional-requirements.write')
  @ApiOperation({
    summary:
      "Record the patient's additional requirements: staff of the trust that holds their care at this stage (the referring trust until the receiving trust accepts the transfer of care)",
    description:
      'Replaces the whole record: a field left out is none (false, an empty list, null). The timeline records which fields changed, not their values; the receiving trust gets them with the transfer of care.',
  })
  @ApiConflictResponse({ description: 'The referral is closed, or was changed concurrently' })
  @ApiOkResponse({ type: ReferralRequirementsView, description: 'The record as kept' })
  async put(@CurrentCaller() caller: Caller, @Param('id', id) refId: string, @Body() dto: AdditionalRequirementsDto): Promise<ReferralRequirementsView> {
    // The DTO has checked each field; this trims the text and drops repeats, as the forms' records are.
    await this.requirements.record(caller, refId, readRequirements({ ...dto }).value);
    return this.requirements.read(caller, refId);
  }
}
