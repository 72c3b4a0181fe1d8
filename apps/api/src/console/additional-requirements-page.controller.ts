// The console's additional-requirements pages: finding a patient's referral (for the additional
// requirements manager, who has no worklists), and one referral's requirements with the form that
// records them, through the same use case as PUT /v1/referrals/:id/additional-requirements.
// Post-redirect-get; a mistake shows the form again with an error summary and a message at the field.
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PERMISSIONS, Public, type Caller } from '#auth';
import { isFinal, isUuid, RECEIVER_OWNS, type AdditionalRequirements, type ReferralStatus } from '#domain';
import { AdditionalRequirementsRecord, ConcurrentChangeError, TransitionConflictError, WrongSideError, requireSide } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { renderForSession, seeOther } from './console-render.js';
import { ReferralSearch, parseSearch } from './search.js';
import { statusTag } from './console-pages.js';
import { movedOnBanner, type Banner } from './referral-page.js';
import { formMessage, requirementsFormItems, requirementsFromForm, type OpenBoxes } from '../views/requirements-form.js';

const notFound = () => new ConsolePageError(404, 'Page not found', 'There is no referral at this address, or it is not one your trust can see.');

/** Whether `caller` may change the requirements now: role, the trust that holds the patient's care, an open referral. */
export function mayChangeRequirements(caller: Caller, ref: { status: ReferralStatus; originOds: string; receivingOds: string | null }): boolean {
  if (!caller.roles.some((r) => (PERMISSIONS['additional-requirements.write'] as readonly string[]).includes(r)) || isFinal(ref.status)) return false;
  try {
    requireSide({ ...caller, role: 'booking_clerk' }, ref, 'additional-requirements.write', 'act');
    return true;
  } catch (e) {
    if (e instanceof WrongSideError) return false;
    throw e;
  }
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console')
export class AdditionalRequirementsPageController {
  constructor(
    private readonly requirements: AdditionalRequirementsRecord,
    private readonly search: ReferralSearch,
    private readonly idp: IdentityProvider,
  ) {}

  @Get('additional-requirements')
  @ConsoleAccess('additional-requirements.read')
  async find(@Query('q') q: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const text = typeof q === 'string' ? q.slice(0, 100) : '';
    const parsed = text.trim() ? parseSearch(text) : null;
    const hits = parsed && parsed.kind !== 'unclear' ? await this.search.find(req.caller!, parsed) : [];
    const href = (id: string) => `/console/referrals/${id}/additional-requirements`;
    if (hits.length === 1) return seeOther(res, href(hits[0].id));
    return renderForSession(req, res, this.idp, 'additional-requirements-find.njk', {
      title: 'Additional requirements',
      q: text,
      searched: Boolean(parsed),
      errors: parsed?.kind === 'unclear' ? [{ text: parsed.message, href: '#q' }] : [],
      fieldError: parsed?.kind === 'unclear' ? parsed.message : null,
      rows: hits.map((h) => ({ ...h, href: href(h.id), tag: statusTag(h.status) })),
    });
  }

  @Get('referrals/:id/additional-requirements')
  @ConsoleAccess('additional-requirements.read')
  async show(@Param('id') id: string, @Query('done') done: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    if (!isUuid(id)) throw notFound();
    const banner = done === 'saved' ? { title: 'Done', text: 'Additional requirements saved', type: 'success' as const } : undefined;
    return this.page(req, res, id, { banner });
  }

  @Post('referrals/:id/additional-requirements')
  @ConsoleAccess('additional-requirements.write')
  async save(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isUuid(id)) throw notFound();
    const form = await readForm(req);
    const { value, problems, open } = requirementsFromForm(form);
    if (problems.length) {
      const errors = problems.map((p) => ({ field: p.field, text: formMessage(p) }));
      return this.page(req, res, id, { errors, sent: value, open }, 400);
    }
    try {
      await this.requirements.record(req.caller!, id, value);
    } catch (e) {
      if (e instanceof TransitionConflictError || e instanceof ConcurrentChangeError)
        return this.page(req, res, id, { banner: e.currentStatus ? movedOnBanner(e.currentStatus) : undefined }, 409);
      if (e instanceof WrongSideError) return this.page(req, res, id, { errors: [{ field: 'form', text: e.message }], sent: value }, 403);
      throw e;
    }
    // Staff who read the whole referral go back to it; the additional requirements manager stays here.
    const readsReferral = req.caller!.roles.some((r) => (PERMISSIONS['referral.read'] as readonly string[]).includes(r));
    return seeOther(
      res,
      readsReferral ? `/console/referrals/${id}?done=additional-requirements` : `/console/referrals/${id}/additional-requirements?done=saved`,
    );
  }

  private async page(
    req: ConsoleRequest,
    res: ConsoleResponse,
    id: string,
    opts: { banner?: Banner; errors?: Array<{ field: string; text: string }>; sent?: AdditionalRequirements; open?: OpenBoxes },
    status = 200,
  ): Promise<string> {
    const caller = req.caller!;
    const ref = await this.requirements.read(caller, id);
    const readsReferral = caller.roles.some((r) => (PERMISSIONS['referral.read'] as readonly string[]).includes(r));
    const errorOf = (field: string) => opts.errors?.find((e) => e.field === field)?.text;
    return renderForSession(
      req,
      res,
      this.idp,
      'additional-requirements.njk',
      {
        title: `${ref.patient.givenName} ${ref.patient.familyName}`,
        ref,
        statusTag: statusTag(ref.status),
        current: ref.additionalRequirements,
        mayChange: mayChangeRequirements(caller, ref),
        holder: ref.receivingOds && RECEIVER_OWNS.has(ref.status) ? ref.receivingOds : ref.originOds,
        form: requirementsFormItems(opts.sent ?? ref.additionalRequirements ?? undefined, opts.open),
        errors: opts.errors?.map((e) => ({ text: e.text, href: `#${e.field}` })) ?? [],
        errorOf,
        banner: opts.banner,
        back: readsReferral
          ? { href: `/console/referrals/${id}`, text: 'Back to the referral' }
          : { href: '/console/additional-requirements', text: 'Find another patient' },
      },
      status,
    );
  }
}
