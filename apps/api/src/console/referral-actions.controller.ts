// The referral page's forms: each stage a person acts on, through the same use cases as the API
// (same rules, audit rows and 409s). Post-redirect-get on success; on a mistake the page again with
// an error summary and a message at each field; when someone else acted first, the page as it is
// now with "this referral has moved on".
import { Controller, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, type Caller } from '#auth';
import {
  CANCELLATION_REASONS,
  FOLLOW_UP_PLANS,
  NOT_SUITABLE_REASONS,
  REJECTION_REASONS,
  WITHDRAWAL_REASONS,
  isUuid,
  ukLocalTime,
  type CancellationReason,
  type FollowUpPlan,
} from '#domain';
import { Bookings, ClinicalReview, Consent, ReferralExits, Reoffer, TransferOfCare, TreatmentAndDischarge } from '#workflow';
import { ConsoleAccess, ConsoleGuard } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { seeOther } from './console-render.js';
import { CLINICAL_DONE } from './clinical-actions.controller.js';
import { FOLLOW_UP_DONE } from './follow-up-actions.controller.js';
import { FormErrors, ReferralForms, check, formText, type Form } from './referral-form.js';

const text = formText;

/** A date from the NHS.UK date input's Day, Month and Year fields; null and an error when it is not a real date. */
function dateInput(form: Form, prefix: string, label: string, errors: Array<{ field: string; text: string }>): { y: number; m: number; d: number } | null {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => text(form, `${prefix}-${p}`));
  if (!d && !m && !y) {
    errors.push({ field: prefix, text: `Enter the ${label.toLowerCase()}` });
    return null;
  }
  const [dn, mn, yn] = [d, m, y].map(Number);
  const real =
    [dn, mn, yn].every(Number.isInteger) && yn >= 2000 && yn <= 2100 && mn >= 1 && mn <= 12 && dn >= 1 && dn <= new Date(Date.UTC(yn, mn, 0)).getUTCDate();
  if (!real) {
    errors.push({ field: prefix, text: `${label} must be a real date, for example 15 3 2027` });
    return null;
  }
  return { y: yn, m: mn, d: dn };
}

const DONE: Record<string, string> = {
  'clinical-review': 'Clinical review recorded',
  consent: "Patient's answer recorded",
  'receiver-decision': 'Decision recorded',
  book: 'Appointment booked',
  'cancel-booking': 'Appointment cancelled',
  treatment: 'Treatment recorded',
  discharge: 'Discharged to the GP',
  withdraw: 'Referral withdrawn',
  cancel: 'Referral cancelled',
  reoffer: 'Offered again: the patient is sent the new offers',
  'close-to-origin': 'Referral closed: the patient stays on your waiting list',
  'additional-requirements': 'Additional requirements saved',
  ...CLINICAL_DONE,
  ...FOLLOW_UP_DONE,
};

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/referrals/:id')
export class ReferralActionsController {
  constructor(
    private readonly forms: ReferralForms,
    private readonly clinicalReviews: ClinicalReview,
    private readonly consents: Consent,
    private readonly transfers: TransferOfCare,
    private readonly bookings: Bookings,
    private readonly treatments: TreatmentAndDischarge,
    private readonly exits: ReferralExits,
    private readonly reoffers: Reoffer,
  ) {}

  @Post('clinical-review')
  @ConsoleAccess('referral.clinical-review')
  clinicalReview(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('clinical-review', id, req, res, async (caller, form) => {
      const errors: Array<{ field: string; text: string }> = [];
      const decision = text(form, 'decision');
      check(errors, decision === 'suitable' || decision === 'not_suitable', 'decision', 'Select whether transfer is suitable for this patient');
      const reasonCode = text(form, 'reasonCode');
      if (decision === 'not_suitable') check(errors, reasonCode in NOT_SUITABLE_REASONS, 'reasonCode', 'Select the reason transfer is not suitable');
      const note = text(form, 'note');
      check(errors, note.length <= 4000, 'note', 'The clinical note must be 4,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.clinicalReviews.record(caller, id, {
        decision: decision as 'suitable' | 'not_suitable',
        ...(decision === 'not_suitable' ? { reasonCode } : {}),
        ...(note ? { note } : {}),
      });
    });
  }

  @Post('consent')
  @ConsoleAccess('referral.consent')
  consent(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('consent', id, req, res, async (caller, form) => {
      const answer = text(form, 'answer');
      if (answer !== 'decline' && !isUuid(answer)) throw new FormErrors([{ field: 'answer', text: "Select the patient's answer" }]);
      await this.consents.record(
        caller,
        id,
        answer === 'decline' ? { decision: 'decline', method: 'phone' } : { decision: 'accept', offerId: answer, method: 'phone' },
      );
    });
  }

  @Post('receiver-decision')
  @ConsoleAccess('referral.receiver-decision')
  async receiverDecision(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    let rejected = false;
    const out = await this.act('receiver-decision', id, req, res, async (caller, form) => {
      const errors: Array<{ field: string; text: string }> = [];
      const decision = text(form, 'decision');
      check(errors, decision === 'accept' || decision === 'reject', 'decision', 'Select whether you accept the transfer of care');
      const reasonCode = text(form, 'reasonCode');
      if (decision === 'reject') check(errors, reasonCode in REJECTION_REASONS, 'reasonCode', 'Select the reason you cannot accept it');
      if (errors.length) throw new FormErrors(errors);
      await this.transfers.decide(caller, id, decision === 'reject' ? { decision: 'reject', reasonCode } : { decision: 'accept' });
      rejected = decision === 'reject';
    });
    // A trust that rejects is no longer a party: back to its worklist, which says what happened.
    if (rejected) return seeOther(res, '/console/worklists/receiver-acceptance?done=rejected');
    return out;
  }

  @Post('bookings')
  @ConsoleAccess('referral.book')
  book(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('book', id, req, res, async (caller, form) => {
      const errors: Array<{ field: string; text: string }> = [];
      const kind = text(form, 'kind');
      check(errors, kind === 'pre_op_assessment' || kind === 'procedure', 'kind', 'Select what the appointment is for');
      const date = dateInput(form, 'date', 'Appointment date', errors);
      const time = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(text(form, 'time'));
      check(errors, time !== null, 'time', 'Enter the time as hours and minutes, for example 09:30');
      const siteOds = text(form, 'siteOds');
      check(errors, /^[A-Z0-9]{3,6}$/.test(siteOds), 'siteOds', 'Select the site');
      let startsAt: Date | null = null;
      if (date && time) {
        startsAt = ukLocalTime(date.y, date.m, date.d, Number(time[1]), Number(time[2]));
        check(errors, startsAt.getTime() > Date.now(), 'date', 'The appointment must be in the future');
      }
      if (errors.length || !startsAt) throw new FormErrors(errors);
      await this.bookings.book(caller, id, { kind: kind as 'pre_op_assessment' | 'procedure', siteOds, startsAt });
    });
  }

  @Post('bookings/cancel')
  @ConsoleAccess('referral.book')
  cancelBooking(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('cancel-booking', id, req, res, async (caller, form) => {
      const bookingId = text(form, 'bookingId');
      const reason = text(form, 'reason');
      const errors: Array<{ field: string; text: string }> = [];
      check(errors, isUuid(bookingId), 'bookingId', 'Choose the appointment to cancel');
      check(errors, reason.length > 0, 'reason', 'Enter why the appointment is cancelled');
      check(errors, reason.length <= 500, 'reason', 'The reason must be 500 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.bookings.cancel(caller, id, bookingId, { reason });
    });
  }

  @Post('treatment')
  @ConsoleAccess('referral.treatment')
  treatment(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('treatment', id, req, res, async (caller, form) => {
      const errors: Array<{ field: string; text: string }> = [];
      const date = dateInput(form, 'performed', 'Date of procedure', errors);
      const procedureCode = text(form, 'procedureCode').toUpperCase();
      check(errors, /^[A-Z]\d{2,3}(\.\d)?$/.test(procedureCode), 'procedureCode', 'Enter the OPCS-4 code of the procedure, for example W371');
      let performedAt: Date | null = null;
      if (date) {
        // Midday in the UK on that day, or now when that is still to come today.
        const noon = ukLocalTime(date.y, date.m, date.d, 12, 0);
        performedAt = noon.getTime() > Date.now() && noon.getTime() - Date.now() < 12 * 3_600_000 ? new Date() : noon;
        check(errors, performedAt.getTime() <= Date.now(), 'performed', 'The date of the procedure must be today or in the past');
      }
      // "none" (or nothing chosen) leaves the follow-up to be decided later on its own form, as the API's optional followUp does.
      const followUp = text(form, 'followUp') || 'none';
      check(errors, followUp === 'none' || (FOLLOW_UP_PLANS as readonly string[]).includes(followUp), 'followUp', 'Select who follows the patient up');
      if (errors.length || !performedAt) throw new FormErrors(errors);
      await this.treatments.recordTreatment(caller, id, { performedAt, procedureCode, ...(followUp === 'none' ? {} : { followUp: followUp as FollowUpPlan }) });
    });
  }

  @Post('discharge')
  @ConsoleAccess('referral.discharge')
  discharge(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('discharge', id, req, res, async (caller, form) => {
      const summary = text(form, 'summary');
      const errors: Array<{ field: string; text: string }> = [];
      check(errors, summary.length > 0, 'summary', 'Enter the discharge summary for the GP');
      check(errors, summary.length <= 20_000, 'summary', 'The discharge summary must be 20,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.treatments.recordDischarge(caller, id, { dischargedAt: new Date(), summary });
    });
  }

  @Post('withdraw')
  @ConsoleAccess('referral.withdraw')
  withdraw(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('withdraw', id, req, res, async (caller, form) => {
      const reason = text(form, 'reason');
      const reasonCode = text(form, 'reasonCode');
      const errors: Array<{ field: string; text: string }> = [];
      check(errors, reasonCode in WITHDRAWAL_REASONS, 'reasonCode', 'Select why the patient withdraws');
      check(errors, reason.length <= 500, 'reason', 'The reason must be 500 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.exits.withdraw(caller, id, { reasonCode, ...(reason ? { reason } : {}) });
    });
  }

  @Post('cancel')
  @ConsoleAccess('referral.cancel')
  cancel(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('cancel', id, req, res, async (caller, form) => {
      const reason = text(form, 'reason');
      const reasonCode = text(form, 'reasonCode');
      const errors: Array<{ field: string; text: string }> = [];
      check(errors, reasonCode in CANCELLATION_REASONS, 'reasonCode', 'Select why the referral is cancelled');
      check(errors, reason.length <= 500, 'reason', 'The reason must be 500 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      // The contract's reason is words: the code's meaning when nothing more is said.
      await this.exits.cancel(caller, id, { reasonCode, reason: reason || CANCELLATION_REASONS[reasonCode as CancellationReason] });
    });
  }

  @Post('reoffer')
  @ConsoleAccess('referral.reoffer')
  reoffer(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('reoffer', id, req, res, async (caller) => {
      await this.reoffers.reoffer(caller, id);
    });
  }

  @Post('close-to-origin')
  @ConsoleAccess('referral.close-to-origin')
  closeToOrigin(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.act('close-to-origin', id, req, res, async (caller, form) => {
      const reason = text(form, 'reason');
      const errors: Array<{ field: string; text: string }> = [];
      check(errors, reason.length <= 500, 'reason', 'The reason must be 500 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.reoffers.closeToOrigin(caller, id, reason ? { reason } : {});
    });
  }

  private act(action: string, id: string, req: ConsoleRequest, res: ConsoleResponse, run: (caller: Caller, form: Form) => Promise<void>) {
    return this.forms.act(action, id, req, res, run);
  }
}

export { DONE as DONE_MESSAGES };
