// The console's service directory page for trust admins (the trust's sites and the services each
// offers the group, through the same use cases as PUT /v1/directory/sites/:siteOds and the service
// routes) and the group page for group admins (the members, and adding a trust: POST /v1/group/trusts).
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { isUuid, procedurePatternProblem } from '#domain';
import { BusinessRuleError, DuplicateError, ServiceDirectory, WrongSideError, type ServiceInput, type SiteInput } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { FormErrors, field, type FieldError, type Form } from './console-forms.js';
import { SPECIALTIES } from './console-pages.js';
import { renderForSession, seeOther } from './console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';

const POSTCODE = /^[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}$/;
const PHONE = /^[0-9 +()-]{6,30}$/;
const ODS_SITE = /^[A-Z0-9]{3,6}$/;

/** What a use case refused, as a message at the form's field (the API's 4xx, in the page's words). */
function refusal(e: unknown, fallbackField: string): FieldError | null {
  if (e instanceof BusinessRuleError || e instanceof DuplicateError) {
    const f = (e.details as { field?: string } | undefined)?.field ?? fallbackField;
    return { field: f.replace(/^procedures\[\d+\]$/, 'procedures').replace(/^mainSite\./, 'site-'), text: e.message };
  }
  if (e instanceof WrongSideError) return { field: fallbackField, text: e.message };
  return null;
}

function siteFromForm(form: Form, errors: FieldError[], prefix = ''): SiteInput {
  const name = field(form, `${prefix}name`);
  const address = field(form, `${prefix}address`);
  const postcode = field(form, `${prefix}postcode`);
  const bookingPhone = field(form, `${prefix}bookingPhone`);
  if (!name) errors.push({ field: `${prefix}name`, text: 'Enter the name of the site' });
  if (!address) errors.push({ field: `${prefix}address`, text: 'Enter the address of the site' });
  if (!postcode) errors.push({ field: `${prefix}postcode`, text: 'Enter the postcode of the site' });
  else if (!POSTCODE.test(postcode)) errors.push({ field: `${prefix}postcode`, text: 'Enter a real postcode, like CV37 6NX' });
  if (bookingPhone && !PHONE.test(bookingPhone)) errors.push({ field: `${prefix}bookingPhone`, text: 'Enter a phone number, like 01632 960 202' });
  return { name, address, postcode, bookingPhone: bookingPhone || null };
}

/** A number from the form, or null when left blank; a mistake is added to `errors`. */
function optionalNumber(form: Form, name: string, label: string, min: number, max: number, whole: boolean, errors: FieldError[]): number | null {
  const v = field(form, name);
  if (!v) return null;
  const ok = whole ? /^\d+$/.test(v) : /^\d+(\.\d)?$/.test(v);
  if (!ok || Number(v) < min || Number(v) > max) {
    errors.push({
      field: name,
      text: `${label} must be ${whole ? 'a whole number' : 'a number with at most one decimal place'} from ${min} to ${max}, or left blank`,
    });
    return null;
  }
  return Number(v);
}

function serviceFromForm(form: Form, errors: FieldError[]): ServiceInput {
  const treatmentFunction = field(form, 'treatmentFunction');
  if (!/^\d{3}$/.test(treatmentFunction)) errors.push({ field: 'treatmentFunction', text: 'Select the specialty' });
  const name = field(form, 'name');
  if (!name) errors.push({ field: 'name', text: 'Enter the name of the service, like Upper limb surgery' });
  const procedures = field(form, 'procedures')
    .toUpperCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const bad = procedures.map(procedurePatternProblem).find(Boolean);
  if (bad) errors.push({ field: 'procedures', text: bad });
  const maxBmi = optionalNumber(form, 'maxBmi', 'Maximum BMI', 10, 99.9, false, errors);
  const maxAsaGrade = optionalNumber(form, 'maxAsaGrade', 'Maximum ASA grade', 1, 5, true, errors);
  const minAgeYears = optionalNumber(form, 'minAgeYears', 'Minimum age', 0, 120, true, errors);
  const bookingGuidance = field(form, 'bookingGuidance');
  return { treatmentFunction, name, procedures, maxBmi, maxAsaGrade, minAgeYears, bookingGuidance: bookingGuidance || null };
}

const specialtyItems = (value: string | undefined) => [
  { value: '', text: 'Choose a specialty' },
  ...Object.entries(SPECIALTIES).map(([code, text]) => ({ value: code, text: `${text} (${code})`, selected: code === value })),
];

interface Problem {
  /** Which form: `site-<ods>`, `service-new`, `service-<id>`. */
  readonly form: string;
  readonly errors: FieldError[];
  readonly values: Form;
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/directory')
export class DirectoryPageController {
  constructor(
    private readonly directory: ServiceDirectory,
    private readonly idp: IdentityProvider,
  ) {}

  @Get()
  @ConsoleAccess('directory.write')
  page(@Query('saved') saved: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.render(req, res, { saved: typeof saved === 'string' ? saved.slice(0, 200) : null });
  }

  @Post('sites/:siteOds')
  @ConsoleAccess('directory.write')
  async saveSite(@Param('siteOds') siteOds: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!ODS_SITE.test(siteOds)) throw new ConsolePageError(404, 'Page not found', 'There is no site with that code.');
    const form = await readForm(req);
    const errors: FieldError[] = [];
    const site = siteFromForm(form, errors);
    try {
      if (errors.length) throw new FormErrors(errors);
      const saved = await this.directory.putSite(req.caller!, siteOds, site);
      return seeOther(res, `/console/directory?saved=${encodeURIComponent(saved.name)}#site-${siteOds}`);
    } catch (e) {
      const r = e instanceof FormErrors ? null : refusal(e, 'postcode');
      if (e instanceof FormErrors || r)
        return this.render(
          req,
          res,
          { problem: { form: `site-${siteOds}`, errors: r ? [r] : errors, values: form } },
          r ? (e instanceof WrongSideError ? 403 : 422) : 400,
        );
      throw e;
    }
  }

  @Post('services')
  @ConsoleAccess('directory.write')
  async addService(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const errors: FieldError[] = [];
    const siteOds = field(form, 'siteOds');
    if (!ODS_SITE.test(siteOds)) errors.push({ field: 'siteOds', text: 'Select the site' });
    const service = serviceFromForm(form, errors);
    try {
      if (errors.length) throw new FormErrors(errors);
      const saved = await this.directory.addService(req.caller!, siteOds, service);
      return seeOther(res, `/console/directory?saved=${encodeURIComponent(saved.name)}#service-${saved.id}`);
    } catch (e) {
      const r = e instanceof FormErrors ? null : refusal(e, 'siteOds');
      if (e instanceof FormErrors || r)
        return this.render(req, res, { problem: { form: 'service-new', errors: r ? [r] : errors, values: form } }, r ? 422 : 400);
      throw e;
    }
  }

  @Post('services/:id')
  @ConsoleAccess('directory.write')
  async saveService(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no service with that id.');
    const form = await readForm(req);
    const errors: FieldError[] = [];
    const service = serviceFromForm(form, errors);
    try {
      if (errors.length) throw new FormErrors(errors);
      const saved = await this.directory.putService(req.caller!, id, service);
      return seeOther(res, `/console/directory?saved=${encodeURIComponent(saved.name)}#service-${saved.id}`);
    } catch (e) {
      const r = e instanceof FormErrors ? null : refusal(e, 'name');
      if (e instanceof FormErrors || r)
        return this.render(req, res, { problem: { form: `service-${id}`, errors: r ? [r] : errors, values: form } }, r ? 422 : 400);
      throw e;
    }
  }

  private async render(req: ConsoleRequest, res: ConsoleResponse, opts: { saved?: string | null; problem?: Problem }, status = 200): Promise<string> {
    const ods = req.caller!.ods!;
    const { items } = await this.directory.sites(req.caller!, ods);
    const p = opts.problem;
    const errorIn = (formId: string) => (f: string) => (p?.form === formId ? p.errors.find((e) => e.field === f)?.text : undefined);
    const valuesOf = (formId: string, current: Record<string, string>) => (p?.form === formId ? p.values : current);
    const sites = items.map((s) => ({
      ...s,
      formId: `site-${s.ods}`,
      errorOf: errorIn(`site-${s.ods}`),
      values: valuesOf(`site-${s.ods}`, { name: s.name, address: s.address ?? '', postcode: s.postcode, bookingPhone: s.bookingPhone ?? '' }),
      services: s.services.map((v) => {
        const values = valuesOf(`service-${v.id}`, {
          treatmentFunction: v.treatmentFunction,
          name: v.name,
          procedures: v.procedures.join(', '),
          maxBmi: v.exclusions.maxBmi === null ? '' : String(v.exclusions.maxBmi),
          maxAsaGrade: v.exclusions.maxAsaGrade === null ? '' : String(v.exclusions.maxAsaGrade),
          minAgeYears: v.exclusions.minAgeYears === null ? '' : String(v.exclusions.minAgeYears),
          bookingGuidance: v.bookingGuidance ?? '',
        });
        return {
          ...v,
          specialty: SPECIALTIES[v.treatmentFunction] ?? `Treatment function ${v.treatmentFunction}`,
          errorOf: errorIn(`service-${v.id}`),
          values,
          open: p?.form === `service-${v.id}`,
          specialtyItems: specialtyItems(values.treatmentFunction),
        };
      }),
    }));
    const newValues = valuesOf('service-new', {});
    const errors = p?.errors ?? [];
    const prefix = p?.form === 'service-new' ? 'new' : (p?.form ?? '');
    return renderForSession(
      req,
      res,
      this.idp,
      'directory.njk',
      {
        title: 'Service directory',
        sites,
        newService: {
          errorOf: errorIn('service-new'),
          values: newValues,
          siteItems: [{ value: '', text: 'Choose a site' }, ...items.map((s) => ({ value: s.ods, text: s.name, selected: s.ods === newValues.siteOds }))],
          specialtyItems: specialtyItems(newValues.treatmentFunction),
        },
        errors: errors.map((e) => ({ text: e.text, href: `#${prefix}-${e.field}` })),
        banner: opts.saved ? { title: 'Saved', text: `${opts.saved} is saved. Matching uses it from now on.`, type: 'success' as const } : undefined,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/group')
export class GroupPageController {
  constructor(
    private readonly directory: ServiceDirectory,
    private readonly idp: IdentityProvider,
  ) {}

  @Get()
  @ConsoleAccess('group.write')
  page(@Query('added') added: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.render(req, res, { added: typeof added === 'string' && /^[A-Z0-9]{3}$/.test(added) ? added : null });
  }

  @Post('trusts')
  @ConsoleAccess('group.write')
  async addTrust(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const errors: FieldError[] = [];
    const ods = field(form, 'ods').toUpperCase();
    if (!/^[A-Z0-9]{3}$/.test(ods)) errors.push({ field: 'ods', text: 'Enter the trust’s 3-character ODS code, like RWP' });
    const name = field(form, 'name');
    if (!name) errors.push({ field: 'name', text: 'Enter the name of the trust' });
    const siteOds = field(form, 'site-ods').toUpperCase();
    if (!ODS_SITE.test(siteOds)) errors.push({ field: 'site-ods', text: 'Enter the main site’s ODS code, like RWP01' });
    const site = siteFromForm(form, errors, 'site-');
    const bookingPhone = field(form, 'bookingPhone');
    if (bookingPhone && !PHONE.test(bookingPhone)) errors.push({ field: 'bookingPhone', text: 'Enter a phone number, like 01632 960 404' });
    try {
      if (errors.length) throw new FormErrors(errors);
      await this.directory.addTrust(req.caller!, { ods, name, bookingPhone: bookingPhone || null, mainSite: { ...site, ods: siteOds } });
      return seeOther(res, `/console/group?added=${ods}`);
    } catch (e) {
      const r = e instanceof FormErrors ? null : refusal(e, 'ods');
      if (e instanceof FormErrors || r) return this.render(req, res, { errors: r ? [r] : errors, values: form }, r ? 422 : 400);
      throw e;
    }
  }

  private async render(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: { added?: string | null; errors?: FieldError[]; values?: Form },
    status = 200,
  ): Promise<string> {
    const group = await this.directory.group(req.caller!);
    const errors = opts.errors ?? [];
    const added = opts.added ? group.members.find((m) => m.ods === opts.added) : undefined;
    return renderForSession(
      req,
      res,
      this.idp,
      'group.njk',
      {
        title: group.name,
        group,
        errors: errors.map((e) => ({ text: e.text, href: `#trust-${e.field}` })),
        errorOf: (f: string) => errors.find((e) => e.field === f)?.text,
        values: opts.values ?? {},
        banner: added
          ? {
              title: 'Trust added',
              text: `${added.name} is a member of ${group.name}. Its trust admins can now set its sites, services and capacity.`,
              type: 'success' as const,
            }
          : undefined,
        back: { href: '/console', text: 'Home' },
      },
      status,
    );
  }
}
