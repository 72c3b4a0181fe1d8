// The referral page's forms for the pathway after treatment (issue 18): the receiving clinician
// decides the follow-up, the referring trust's clinician accepts or refuses a handback, and the trust
// that holds the follow-up ends it with the discharge to the GP. Same use cases as the API.
import { Controller, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { FOLLOW_UP_PLANS, HANDBACK_REFUSAL_REASONS, type FollowUpPlan } from '#domain';
import { TreatmentAndDischarge } from '#workflow';
import { ConsoleAccess, ConsoleGuard } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { FormErrors, ReferralForms, check, formText as text, type FieldError } from './referral-form.js';

export const FOLLOW_UP_DONE: Record<string, string> = {
  'follow-up': 'Follow-up recorded',
  'handback-decision': 'Decision on the handback recorded',
  'end-follow-up': 'Follow-up ended and discharged to the GP',
};

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/referrals/:id')
export class FollowUpActionsController {
  constructor(
    private readonly forms: ReferralForms,
    private readonly treatments: TreatmentAndDischarge,
  ) {}

  @Post('follow-up')
  @ConsoleAccess('referral.treatment')
  followUp(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('follow-up', id, req, res, async (caller, form) => {
      const errors: FieldError[] = [];
      const plan = text(form, 'plan');
      check(errors, (FOLLOW_UP_PLANS as readonly string[]).includes(plan), 'plan', 'Select who follows the patient up');
      const note = text(form, 'note');
      check(errors, note.length <= 4000, 'note', 'The note must be 4,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.treatments.decideFollowUp(caller, id, { plan: plan as FollowUpPlan, ...(note ? { note } : {}) });
    });
  }

  @Post('handback-decision')
  @ConsoleAccess('referral.handback-decision')
  handbackDecision(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('handback-decision', id, req, res, async (caller, form) => {
      const errors: FieldError[] = [];
      const decision = text(form, 'decision');
      check(errors, decision === 'accept' || decision === 'refuse', 'decision', 'Select whether your trust takes back the follow-up');
      const reasonCode = text(form, 'reasonCode');
      if (decision === 'refuse') check(errors, reasonCode in HANDBACK_REFUSAL_REASONS, 'reasonCode', 'Select why your trust cannot take it back');
      if (errors.length) throw new FormErrors(errors);
      await this.treatments.decideHandback(caller, id, decision === 'refuse' ? { decision: 'refuse', reasonCode } : { decision: 'accept' });
    });
  }

  @Post('follow-up/end')
  @ConsoleAccess('referral.discharge')
  endFollowUp(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('end-follow-up', id, req, res, async (caller, form) => {
      const summary = text(form, 'summary');
      const errors: FieldError[] = [];
      check(errors, summary.length > 0, 'summary', 'Enter the discharge summary for the GP');
      check(errors, summary.length <= 20_000, 'summary', 'The discharge summary must be 20,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.treatments.recordDischarge(caller, id, { dischargedAt: new Date(), summary });
    });
  }
}
