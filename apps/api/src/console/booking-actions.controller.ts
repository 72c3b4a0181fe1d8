// The console's booking as it really goes: on the referral page, booking from a free clinic slot,
// rescheduling (with the patient's change request shown) and did-not-attend; the clinics page where
// the booking team declares sessions; the trust admin's did-not-attend policy. Same use cases as the API.
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, type Caller } from '#auth';
import { RESCHEDULE_REASONS, isUuid, type RescheduleReason } from '#domain';
import { Bookings, ClinicSessions, SiteNames, type ClinicKind } from '#workflow';
import { ConsoleAccess, ConsoleGuard } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { FormErrors as PageFormErrors, dateInput, field, type FieldError } from './console-forms.js';
import { renderForSession, seeOther } from './console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { FormErrors, ReferralForms, check, formText as text } from './referral-form.js';
import { KIND_WORDS } from './booking-context.js';
import { BusinessRuleError, DuplicateError } from '#workflow';

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/referrals/:id/bookings')
export class BookingActionsController {
  constructor(
    private readonly forms: ReferralForms,
    private readonly bookings: Bookings,
    private readonly clinics: ClinicSessions,
  ) {}

  @Post('slot')
  @ConsoleAccess('referral.book')
  bookSlot(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('book-slot', id, req, res, async (caller, form) => {
      const slotId = text(form, 'slotId');
      if (!isUuid(slotId)) throw new FormErrors([{ field: 'slotId', text: 'Choose a free slot' }]);
      // The slot says what it is for: a pre-operative assessment clinic or a theatre list.
      const kind = await this.kindOf(caller, slotId);
      if (!kind) throw new FormErrors([{ field: 'slotId', text: 'That slot is not free any more: choose another' }]);
      await this.bookings.book(caller, id, { kind, slotId });
    });
  }

  @Post('reschedule')
  @ConsoleAccess('referral.book')
  reschedule(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('reschedule', id, req, res, async (caller, form) => {
      const errors: FieldError[] = [];
      const bookingId = text(form, 'bookingId');
      const slotId = text(form, 'slotId');
      const reasonCode = text(form, 'reasonCode');
      check(errors, isUuid(bookingId), 'bookingId', 'Choose the appointment to move');
      check(errors, isUuid(slotId), 'slotId', 'Choose the new slot');
      check(errors, reasonCode in RESCHEDULE_REASONS, 'reasonCode', 'Select why the appointment moves');
      if (errors.length) throw new FormErrors(errors);
      await this.bookings.reschedule(caller, id, bookingId, { slotId, reasonCode: reasonCode as RescheduleReason });
    });
  }

  @Post('did-not-attend')
  @ConsoleAccess('referral.book')
  notAttended(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('did-not-attend', id, req, res, async (caller, form) => {
      const bookingId = text(form, 'bookingId');
      if (!isUuid(bookingId)) throw new FormErrors([{ field: 'bookingId', text: 'Choose the appointment the patient missed' }]);
      await this.bookings.notAttended(caller, id, bookingId);
    });
  }

  private async kindOf(caller: Caller, slotId: string): Promise<'pre_op_assessment' | 'procedure' | null> {
    const sessions = await this.clinics.list(caller, { days: 366, freeOnly: true });
    const s = sessions.find((x) => x.slots.some((sl) => sl.id === slotId && sl.bookingId === null));
    return s && s.kind !== 'follow_up' ? s.kind : null;
  }
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console')
export class ClinicPagesController {
  constructor(
    private readonly clinics: ClinicSessions,
    private readonly sites: SiteNames,
    private readonly idp: IdentityProvider,
  ) {}

  @Get('clinics')
  @ConsoleAccess('clinic.read')
  page(@Query('done') done: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.render(req, res, { declared: done === 'declared' });
  }

  @Post('clinics')
  @ConsoleAccess('clinic.write')
  async declare(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const values = Object.fromEntries(Object.entries(form).filter(([k]) => k !== '_csrf'));
    try {
      const errors: FieldError[] = [];
      const kind = field(form, 'kind');
      const clinicianName = field(form, 'clinicianName');
      const startTime = field(form, 'startTime').replace('.', ':').padStart(5, '0');
      const slotMinutes = Number(field(form, 'slotMinutes'));
      const slotCount = Number(field(form, 'slotCount'));
      if (!(kind in KIND_WORDS)) errors.push({ field: 'kind', text: 'Select what the clinic is for' });
      if (clinicianName.length < 2 || clinicianName.length > 100) errors.push({ field: 'clinicianName', text: 'Enter the clinician whose clinic it is' });
      const day = dateInput(form, 'date', 'Clinic date', errors);
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(startTime))
        errors.push({ field: 'startTime', text: 'Enter the start time as hours and minutes, for example 09:00' });
      if (!Number.isInteger(slotMinutes) || slotMinutes < 5 || slotMinutes > 480)
        errors.push({ field: 'slotMinutes', text: 'Slot length must be a whole number of minutes, from 5 to 480' });
      if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > 96)
        errors.push({ field: 'slotCount', text: 'Number of slots must be a whole number from 1 to 96' });
      if (errors.length) throw new PageFormErrors(errors);
      await this.clinics.declare(req.caller!, {
        siteOds: field(form, 'siteOds') || undefined,
        clinicianName,
        kind: kind as ClinicKind,
        date: day!.toISOString().slice(0, 10),
        startTime,
        slotMinutes,
        slotCount,
      });
      return seeOther(res, '/console/clinics?done=declared');
    } catch (e) {
      if (e instanceof PageFormErrors) return this.render(req, res, { errors: e.errors, values }, 400);
      if (e instanceof BusinessRuleError || e instanceof DuplicateError) {
        const f = (e.details as { field?: string } | undefined)?.field ?? 'kind';
        return this.render(req, res, { errors: [{ field: f, text: e.message }], values }, 422);
      }
      throw e;
    }
  }

  private async render(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: { declared?: boolean; errors?: FieldError[]; values?: Record<string, string> },
    status = 200,
  ): Promise<string> {
    const caller = req.caller!;
    const all = await this.sites.all();
    const site = (ods: string) => all.get(ods)?.name ?? ods;
    const sessions = await this.clinics.list(caller, { days: 366 });
    const errors = opts.errors ?? [];
    return renderForSession(
      req,
      res,
      this.idp,
      'clinics.njk',
      {
        title: 'Clinics',
        sessions: sessions.map((s) => ({
          ...s,
          kindText: KIND_WORDS[s.kind],
          siteName: site(s.siteOds),
          free: s.slots.filter((sl) => sl.bookingId === null).length,
        })),
        mayDeclare: caller.roles.includes('booking_clerk'),
        sites: [...all.entries()].filter(([, s]) => s.trustOds === caller.ods).map(([ods, s]) => ({ value: ods, text: s.name })),
        kinds: Object.entries(KIND_WORDS).map(([value, t]) => ({ value, text: t })),
        values: opts.values ?? {},
        errors: errors.map((e) => ({ text: e.text, href: `#clinic-${e.field}` })),
        errorOf: (f: string) => errors.find((e) => e.field === f)?.text,
        banner: opts.declared ? { title: 'Clinic declared', text: 'Its slots are free to book from the referral page.', type: 'success' as const } : undefined,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }

  @Get('booking-policy')
  @ConsoleAccess('booking-policy.read')
  async policy(@Query('done') done: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.renderPolicy(req, res, { saved: done === 'saved' });
  }

  @Post('booking-policy')
  @ConsoleAccess('booking-policy.write')
  async savePolicy(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const dnaAction = field(form, 'dnaAction');
    const after = Number(field(form, 'returnAfterDnas') || '1');
    const errors: FieldError[] = [];
    if (dnaAction !== 'rebook' && dnaAction !== 'return_to_referrer')
      errors.push({ field: 'dnaAction', text: 'Select what happens after a missed appointment' });
    if (!Number.isInteger(after) || after < 1 || after > 5)
      errors.push({ field: 'returnAfterDnas', text: 'Missed appointments must be a whole number from 1 to 5' });
    if (errors.length) return this.renderPolicy(req, res, { errors, values: { dnaAction, returnAfterDnas: field(form, 'returnAfterDnas') } }, 400);
    await this.clinics.setPolicy(req.caller!, { dnaAction: dnaAction as 'rebook' | 'return_to_referrer', returnAfterDnas: after });
    return seeOther(res, '/console/booking-policy?done=saved');
  }

  private async renderPolicy(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: { saved?: boolean; errors?: FieldError[]; values?: Record<string, string> },
    status = 200,
  ): Promise<string> {
    const current = await this.clinics.policy(req.caller!.ods!);
    const errors = opts.errors ?? [];
    return renderForSession(
      req,
      res,
      this.idp,
      'booking-policy.njk',
      {
        title: 'Did-not-attend policy',
        current,
        values: opts.values ?? { dnaAction: current.dnaAction, returnAfterDnas: String(current.returnAfterDnas) },
        mayChange: req.caller!.roles.includes('trust_admin'),
        errors: errors.map((e) => ({ text: e.text, href: `#policy-${e.field}` })),
        errorOf: (f: string) => errors.find((e) => e.field === f)?.text,
        banner: opts.saved ? { title: 'Policy saved', text: 'Missed appointments from now on follow it.', type: 'success' as const } : undefined,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}
