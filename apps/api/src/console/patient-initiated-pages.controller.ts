// The console's patient-initiated mutual aid (PIDMAS) pages: the trust's booking team or admin invite
// a cohort of the waiting list (a specialty and a weeks-waited band) and follow each cohort's counts;
// clinicians check each opt-in (suitable, or not suitable with a coded reason); everyone of the trust
// sees the opt-ins with no capacity in the group and downloads them as CSV for the regional matching
// system. The same use cases as /v1/pidmas; forms with POST-redirect-GET, no JavaScript needed.
import { Controller, Get, Param, Post, Query, Req, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { COHORT_BANDS, isUuid, isoDate, OPT_IN_NOT_SUITABLE_REASONS, reasonMeaning, ukDate, weeksWaited } from '#domain';
import { DuplicateError, PatientInitiated, ReferralNotFoundError, type OptInRow } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { FormErrors, field, type FieldError } from './console-forms.js';
import { SPECIALTIES, listName } from './console-pages.js';
import { renderForSession, seeOther } from './console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';

const specialtyName = (code: string) => SPECIALTIES[code] ?? `Treatment function ${code}`;
const radiusText = (miles: number | null) => (miles === null ? 'Anywhere in England' : `Up to ${miles} miles`);
const CHECKED: Record<string, { title: string; text: string }> = {
  suitable: {
    title: 'Referral opened',
    text: 'The group has capacity within the patient’s radius: screening runs now and the patient will be offered a place.',
  },
  not_suitable: { title: 'Recorded as not suitable', text: 'The patient stays on the waiting list.' },
  no_capacity: {
    title: 'No capacity in the group',
    text: 'Nothing in the group is within the patient’s radius: they are on the no-capacity list for the regional matching system.',
  },
};

function optInRow(r: OptInRow, today: Date) {
  return {
    id: r.id,
    name: listName(r.family_name, r.given_name),
    nhsNumber: r.nhs_number,
    dateOfBirth: isoDate(r.date_of_birth),
    weeksWaited: weeksWaited(r.rtt_clock_start, today),
    specialty: specialtyName(r.specialty_code),
    procedureCode: r.procedure_code,
    priority: r.priority,
    pathwayId: r.pathway_id,
    postcode: r.postcode,
    radius: radiusText(r.travel_radius_miles),
    requirements: r.requirements,
    optedInAt: r.answered_at.toISOString(),
    reviewedAt: r.reviewed_at ? r.reviewed_at.toISOString() : null,
    /** The referral opened from the check, where screening then closed it for want of capacity. */
    referralId: r.referral_id,
  };
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/patient-initiated')
export class PatientInitiatedPagesController {
  constructor(
    private readonly pidmas: PatientInitiated,
    private readonly idp: IdentityProvider,
  ) {}

  @Get()
  @ConsoleAccess('pidmas.read')
  page(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.render(req, res, { query });
  }

  @Post('cohorts')
  @ConsoleAccess('pidmas.invite')
  async invite(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const specialty = field(form, 'specialty');
    const band = field(form, 'minWeeks');
    try {
      const errors: FieldError[] = [];
      if (!(specialty in SPECIALTIES)) errors.push({ field: 'specialty', text: 'Select the specialty of the cohort' });
      if (!(COHORT_BANDS as readonly number[]).includes(Number(band))) errors.push({ field: 'minWeeks', text: 'Select how long the cohort has waited' });
      if (errors.length) throw new FormErrors(errors);
      const r = await this.pidmas.invite(req.caller!, { specialtyCode: specialty, minWeeks: Number(band) });
      return seeOther(
        res,
        `/console/patient-initiated?invited=${r.invited}&already=${r.alreadyInvited}&noContact=${r.noContactDetails}&specialty=${specialty}&band=${band}`,
      );
    } catch (e) {
      if (e instanceof FormErrors) return this.render(req, res, { query: {}, invite: { errors: e.errors, specialty, band } }, 400);
      throw e;
    }
  }

  @Post('opt-ins/:id/review')
  @ConsoleAccess('pidmas.review')
  async review(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no opt-in at this address.');
    const form = await readForm(req);
    const decision = field(form, 'decision');
    const reasonCode = field(form, 'reasonCode');
    try {
      const errors: FieldError[] = [];
      if (decision !== 'suitable' && decision !== 'not_suitable')
        errors.push({ field: 'decision', text: 'Select whether moving is suitable for this patient' });
      else if (decision === 'not_suitable' && !(reasonCode in OPT_IN_NOT_SUITABLE_REASONS))
        errors.push({ field: 'reasonCode', text: 'Select why moving is not suitable' });
      if (errors.length) throw new FormErrors(errors);
      const r = await this.pidmas.review(req.caller!, id, { decision: decision as 'suitable' | 'not_suitable', reasonCode: reasonCode || undefined });
      return seeOther(res, `/console/patient-initiated?checked=${r.review}${r.referralId ? `&referral=${r.referralId}` : ''}`);
    } catch (e) {
      if (e instanceof FormErrors) return this.render(req, res, { query: {}, review: { id, errors: e.errors, decision, reasonCode } }, 400);
      if (e instanceof ReferralNotFoundError)
        throw new ConsolePageError(404, 'Page not found', 'There is no opt-in at this address, or it is not one of your trust’s.');
      if (e instanceof DuplicateError) {
        const errors = [{ field: 'decision', text: 'Someone has already checked this opt-in. The list below is up to date.' }];
        return this.render(req, res, { query: {}, review: { id, errors, decision, reasonCode } }, 409);
      }
      throw e;
    }
  }

  @Get('no-capacity')
  @ConsoleAccess('pidmas.read')
  async noCapacity(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const today = ukDate(new Date());
    const rows = await this.pidmas.optIns(req.caller!, 'no_capacity');
    return renderForSession(req, res, this.idp, 'patient-initiated-no-capacity.njk', {
      title: 'Opt-ins with no capacity in the group',
      rows: rows.map((r) => optInRow(r, today)),
      back: { href: '/console/patient-initiated', text: 'Patients who ask' },
    });
  }

  @Get('no-capacity.csv')
  @ConsoleAccess('pidmas.read')
  async noCapacityCsv(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<StreamableFile> {
    const csv = await this.pidmas.noCapacityCsv(req.caller!);
    res.header('cache-control', 'no-store');
    return new StreamableFile(Buffer.from(csv, 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="pidmas-no-capacity-${req.caller!.ods ?? ''}-${isoDate(new Date())}.csv"`,
    });
  }

  private async render(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: {
      query: Record<string, unknown>;
      invite?: { errors: FieldError[]; specialty: string; band: string };
      review?: { id: string; errors: FieldError[]; decision: string; reasonCode: string };
    },
    status = 200,
  ): Promise<string> {
    const caller = req.caller!;
    const canInvite = caller.roles.some((r) => r === 'booking_clerk' || r === 'trust_admin');
    const canReview = caller.roles.includes('clinician');
    const today = ukDate(new Date());
    const q = (k: string) => (typeof opts.query[k] === 'string' ? opts.query[k] : '');
    const [cohorts, optIns] = await Promise.all([this.pidmas.cohorts(caller), this.pidmas.optIns(caller, 'awaiting_review')]);
    const checked = CHECKED[q('checked')];
    const invited = /^\d+$/.test(q('invited')) ? { invited: q('invited'), already: q('already'), noContact: q('noContact') } : null;
    const banner = checked
      ? { title: checked.title, text: checked.text, type: 'success' as const }
      : invited
        ? {
            title: `${invited.invited} invited`,
            text: `${specialtyName(q('specialty'))}, waited ${q('band')} weeks or more: ${invited.invited} invited now, ${invited.already} already invited (not sent again), ${invited.noContact} with no contact details held (not invited).`,
            type: 'success' as const,
          }
        : undefined;
    const errors = [
      ...(opts.invite?.errors ?? []).map((e) => ({ text: e.text, href: `#invite-${e.field}` })),
      ...(opts.review?.errors ?? []).map((e) => ({ text: e.text, href: `#review-${opts.review!.id}-${e.field}` })),
    ];
    const reasons = [{ value: '', text: 'Choose a reason' }, ...Object.entries(OPT_IN_NOT_SUITABLE_REASONS).map(([value, text]) => ({ value, text }))];
    return renderForSession(
      req,
      res,
      this.idp,
      'patient-initiated.njk',
      {
        title: 'Patients who ask',
        banner,
        errors,
        canInvite,
        canReview,
        referralLink: checked && isUuid(q('referral')) ? `/console/referrals/${q('referral')}` : null,
        invite: {
          specialties: [{ value: '', text: 'Choose a specialty' }, ...Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text }))],
          bands: [{ value: '', text: 'Choose a band' }, ...COHORT_BANDS.map((b) => ({ value: String(b), text: `${b} weeks or more` }))],
          values: { specialty: opts.invite?.specialty ?? '', band: opts.invite?.band ?? '' },
          errorOf: (f: string) => opts.invite?.errors.find((e) => e.field === f)?.text,
        },
        cohorts: cohorts.map((c) => ({ ...c, specialty: specialtyName(c.specialtyCode) })),
        optIns: optIns.map((r) => {
          const mine = opts.review?.id === r.id ? opts.review : undefined;
          return {
            ...optInRow(r, today),
            decision: mine?.decision ?? '',
            reasonCode: mine?.reasonCode ?? '',
            errorOf: (f: string) => mine?.errors.find((e) => e.field === f)?.text,
          };
        }),
        reasons,
        reasonMeaning,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}
