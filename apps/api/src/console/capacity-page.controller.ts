// The console's capacity page for trust admins: the trust's weekly slots per specialty and site (or
// per named service of a site, such as upper limb surgery apart from hips and knees), week by week,
// and a form to set one week's slots, through the same use case as the API's
// PUT /v1/capacity/:ods/:specialty (CapacityService.declare; capacity-week.ts makes the declaration).
import { Controller, Get, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { isoDate, parseIsoDate } from '#domain';
import { BusinessRuleError, CapacityService, mondayOf, ServiceDirectory } from '#workflow';
import { ConsoleAccess, ConsoleGuard } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { FormErrors, dateInput, field, wholeNumber, type FieldError, type Form } from './console-forms.js';
import { SPECIALTIES } from './console-pages.js';
import { renderForSession, seeOther } from './console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { weekChange } from './capacity-week.js';

const WEEK_MS = 7 * 86_400_000;
/** Weeks ahead a week's slots may be set: a declaration covers at most 106 weeks (CapacityService). */
const WEEKS_AHEAD = 104;
/** Weeks shown at once in each table; the rest are behind "Show ... more weeks". */
const WEEKS_SHOWN = 12;
/** The API's bound on slots (CapacityDeclarationDto). */
const MAX_SLOTS = 10_000;

const specialtyName = (code: string) => SPECIALTIES[code] ?? `Treatment function ${code}`;
/** A Monday as people write it: Monday 4 January 2027. */
const weekCommencing = (iso: string) => {
  const d = new Date(`${iso}T00:00:00Z`);
  const part = (o: Intl.DateTimeFormatOptions) => d.toLocaleDateString('en-GB', { ...o, timeZone: 'UTC' });
  return `${part({ weekday: 'long' })} ${part({ day: 'numeric', month: 'long', year: 'numeric' })}`;
};

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/capacity')
export class CapacityPageController {
  constructor(
    private readonly capacity: CapacityService,
    private readonly directory: ServiceDirectory,
    private readonly idp: IdentityProvider,
  ) {}

  /** The trust's named services (not a site's default one per specialty), each with its site's name. */
  private async namedServices(req: ConsoleRequest) {
    const { items } = await this.directory.sites(req.caller!, req.caller!.ods!);
    return items.flatMap((site) => site.services.filter((v) => !v.isDefault).map((v) => ({ ...v, siteName: site.name })));
  }

  @Get()
  @ConsoleAccess('capacity.write')
  async page(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const saved = [query.site, query.specialty, query.week].every((v) => typeof v === 'string') ? (query as Record<string, string>) : null;
    return this.render(req, res, { saved });
  }

  @Post()
  @ConsoleAccess('capacity.write')
  async setWeek(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const form = await readForm(req);
    const ods = req.caller!.ods!;
    try {
      const errors: FieldError[] = [];
      const sites = await this.capacity.sites(ods);
      const siteOds = field(form, 'siteOds');
      if (!sites.some((s) => s.ods === siteOds)) errors.push({ field: 'siteOds', text: 'Select the site' });
      const specialty = field(form, 'specialty');
      if (!(specialty in SPECIALTIES)) errors.push({ field: 'specialty', text: 'Select the specialty' });
      const day = dateInput(form, 'week', 'Week commencing date', errors);
      const thisMonday = mondayOf(new Date());
      const monday = day ? mondayOf(day) : null;
      if (monday && monday < thisMonday) errors.push({ field: 'week', text: 'The week must be this week or later' });
      if (monday && monday.getTime() > thisMonday.getTime() + WEEKS_AHEAD * WEEK_MS)
        errors.push({ field: 'week', text: 'The week must be within the next 2 years' });
      const slots = wholeNumber(form, 'slots', 'Slots', MAX_SLOTS, errors);
      // A named service has slots of its own; none chosen: the site's service for the specialty.
      const serviceId = field(form, 'service');
      const service = serviceId ? (await this.namedServices(req)).find((v) => v.id === serviceId) : undefined;
      if (serviceId && !service) errors.push({ field: 'service', text: 'Select the service' });
      if (service && (service.siteOds !== siteOds || service.treatmentFunction !== specialty))
        errors.push({
          field: 'service',
          text: `${service.name} is at ${service.siteName}, for ${specialtyName(service.treatmentFunction)}: choose that site and specialty, or the site's service for the specialty`,
        });
      if (errors.length || !monday || slots === null) throw new FormErrors(errors);
      // Read, then declare: two admins saving the same site and specialty in the same instant could
      // each keep the other's week as it was; the page shows the result, so the second one sees it.
      const current =
        (await this.capacity.list(specialty)).items.find((d) =>
          service ? d.serviceId === service.id : d.ods === ods && d.siteOds === siteOds && d.defaultService,
        ) ?? null;
      await this.capacity.declare(ods, specialty, { ...weekChange(current, siteOds, monday, slots, thisMonday), serviceId: service?.id ?? null });
      const query = new URLSearchParams({ site: siteOds, specialty, week: isoDate(monday), ...(service ? { service: service.id } : {}) });
      return seeOther(res, `/console/capacity?${query.toString()}#${service ? `capacity-${service.id}` : `capacity-${siteOds}-${specialty}`}`);
    } catch (e) {
      if (e instanceof FormErrors) return this.render(req, res, { errors: e.errors, values: form }, 400);
      if (e instanceof BusinessRuleError) return this.render(req, res, { errors: [{ field: 'week', text: e.message }], values: form }, 422);
      throw e;
    }
  }

  private async render(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: { errors?: FieldError[]; values?: Form; saved?: Record<string, string> | null },
    status = 200,
  ): Promise<string> {
    const ods = req.caller!.ods!;
    const [sites, all] = await Promise.all([this.capacity.sites(ods), this.capacity.list()]);
    const siteName = new Map(sites.map((s) => [s.ods, s.name]));
    const declarations = all.items
      .filter((d) => d.ods === ods)
      .map((d) => ({
        ...d,
        id: d.defaultService ? `capacity-${d.siteOds}-${d.specialtyCode}` : `capacity-${d.serviceId}`,
        heading: `${d.defaultService ? specialtyName(d.specialtyCode) : `${d.serviceName} (${specialtyName(d.specialtyCode)})`} at ${siteName.get(d.siteOds) ?? d.siteOds}`,
        shown: d.weeks.slice(0, WEEKS_SHOWN),
        later: d.weeks.slice(WEEKS_SHOWN),
      }));
    const errors = opts.errors ?? [];
    const errorOf = (f: string) => errors.find((e) => e.field === f)?.text;
    let banner;
    const saved = opts.saved;
    if (saved && parseIsoDate(saved.week)) {
      const d = declarations.find((x) =>
        saved.service ? x.serviceId === saved.service : x.siteOds === saved.site && x.specialtyCode === saved.specialty && x.defaultService,
      );
      const week = d?.weeks.find((w) => w.weekStart === saved.week);
      if (d && week)
        banner = {
          title: 'Capacity saved',
          text: `${d.heading}: ${week.slots} ${week.slots === 1 ? 'slot' : 'slots'} in the week commencing ${weekCommencing(saved.week)}.`,
          type: 'success' as const,
        };
    }
    // After a save, the form keeps the site and specialty: the next week set is most often for the same.
    const values = opts.values ?? (saved ? { siteOds: saved.site, specialty: saved.specialty, service: saved.service ?? '' } : {});
    const named = await this.namedServices(req);
    return renderForSession(
      req,
      res,
      this.idp,
      'capacity.njk',
      {
        title: 'Capacity',
        declarations,
        siteItems: [{ value: '', text: 'Choose a site' }, ...sites.map((s) => ({ value: s.ods, text: s.name }))],
        specialtyItems: [
          { value: '', text: 'Choose a specialty' },
          ...Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text: `${text} (${value})` })),
        ],
        serviceItems: [
          { value: '', text: "The site's service for the specialty" },
          ...named.map((v) => ({ value: v.id, text: `${v.name} at ${v.siteName} (${specialtyName(v.treatmentFunction)})` })),
        ],
        errors: errors.map((e) => ({ text: e.text, href: `#set-${e.field}${e.field === 'week' ? '-day' : ''}` })),
        errorOf,
        values,
        banner,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}
