// The console's pages for staff: home (a card per worklist with its count), each worklist, and the
// referral page. Reads go through the same queries as the API (ReferralQueries, TaskQueries), with
// the same Caller, so what a person sees is what the API would show them.
import { Controller, Get, Param, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { isUuid } from '#domain';
import { ReferralQueries, TaskQueries, WORKLIST_NAMES, type WorklistName } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError, ROLE_NAMES } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { securityHeaders } from './console-headers.js';
import { SPECIALTIES, WORKLIST_CARDS, statusTag, worklistsFor, type ConsoleWorklist } from './console-pages.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { renderPage } from './views.js';
import { ReferralPage } from './referral-page.js';
import { DONE_MESSAGES } from './referral-actions.controller.js';

const WEEKS_BANDS = [
  { value: '', text: 'Any' },
  { value: '18', text: '18 weeks or more' },
  { value: '52', text: '52 weeks or more' },
  { value: '65', text: '65 weeks or more' },
  { value: '78', text: '78 weeks or more' },
];

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly referrals: ReferralQueries,
    private readonly tasks: TaskQueries,
    private readonly idp: IdentityProvider,
    private readonly referralPage: ReferralPage,
  ) {}

  @Get()
  @ConsoleAccess('referral.list')
  async home(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    const session = req.consoleSession!;
    const names = worklistsFor(session.roles);
    const summary = await this.referrals.summary(caller);
    const counts: Partial<Record<ConsoleWorklist, number>> = { ...summary.worklists };
    if (names.includes('tasks')) counts.tasks = await this.tasks.count(caller.ods!);
    const cards = names.map((n) => ({ ...WORKLIST_CARDS[n], count: counts[n] ?? null, href: `/console/worklists/${n}` }));
    return this.page(req, res, 'home.njk', { title: 'Your worklists', cards });
  }

  @Get('worklists/:name')
  @ConsoleAccess('referral.list')
  async worklist(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Req() req: ConsoleRequest,
    @Res({ passthrough: true }) res: ConsoleResponse,
  ): Promise<string> {
    if (!(WORKLIST_NAMES as readonly string[]).includes(name)) throw new ConsolePageError(404, 'Page not found', 'There is no worklist of that name.');
    const caller = req.caller!;
    const str = (k: string) => (typeof query[k] === 'string' ? query[k] : '');
    const specialty = /^\d{3}$/.test(str('specialty')) ? str('specialty') : '';
    const weeks = WEEKS_BANDS.some((b) => b.value === str('weeks')) ? str('weeks') : '';
    const sort = str('sort') === 'priority' ? 'priority' : 'weeksWaited';
    const cursor = /^[\w-]{1,200}$/.test(str('cursor')) ? str('cursor') : undefined;
    const page = await this.referrals.list(caller, {
      worklist: name as WorklistName,
      specialty: specialty || undefined,
      minWeeksWaited: weeks ? Number(weeks) : undefined,
      sort,
      cursor,
      limit: 25,
    });
    const keep = (over: Record<string, string | undefined>) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries({ specialty, weeks, sort, ...over })) if (v) q.set(k, v);
      const s = q.toString();
      return `/console/worklists/${name}${s ? `?${s}` : ''}`;
    };
    const rows = page.items.map((r) => ({
      id: r.id,
      href: `/console/referrals/${r.id}`,
      name: 'patient' in r && r.patient ? `${r.patient.familyName.toUpperCase()}, ${r.patient.givenName}` : '',
      nhsNumber: 'patient' in r && r.patient && 'nhsNumber' in r.patient ? r.patient.nhsNumber : '',
      weeksWaited: r.weeksWaited,
      priority: r.priority,
      specialty: SPECIALTIES[r.specialtyCode] ?? r.specialtyCode,
      tag: statusTag(r.status),
      trust: r.receivingOds && r.receivingOds !== caller.ods ? r.receivingOds : r.originOds,
    }));
    const card = WORKLIST_CARDS[name as ConsoleWorklist];
    return this.page(req, res, 'worklist.njk', {
      title: card.title,
      card,
      rows,
      filters: {
        specialty,
        weeks,
        sort,
        specialties: [{ value: '', text: 'Any' }, ...Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text: `${text} (${value})` }))],
        weeksBands: WEEKS_BANDS,
      },
      sortLinks: {
        weeksWaited: keep({ sort: 'weeksWaited', cursor: undefined }),
        priority: keep({ sort: 'priority', cursor: undefined }),
      },
      next: page.nextCursor ? keep({ cursor: page.nextCursor }) : null,
      first: cursor ? keep({ cursor: undefined }) : null,
      back: { href: '/console', text: 'Your worklists' },
    });
  }

  @Get('referrals/:id')
  @ConsoleAccess('referral.read')
  async referral(
    @Param('id') id: string,
    @Query('done') done: unknown,
    @Req() req: ConsoleRequest,
    @Res({ passthrough: true }) res: ConsoleResponse,
  ): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no referral at this address, or it is not one your trust can see.');
    const banner = typeof done === 'string' && DONE_MESSAGES[done] ? { title: 'Done', text: DONE_MESSAGES[done], type: 'success' as const } : undefined;
    return this.page(req, res, 'referral.njk', await this.referralPage.context(req.caller!, id, { banner }));
  }

  private page(req: ConsoleRequest, res: ConsoleResponse, template: string, context: Record<string, unknown>): string {
    const session = req.consoleSession!;
    const cspNonce = securityHeaders(res, this.idp.issuerOrigin());
    return renderPage(template, {
      ...context,
      cspNonce,
      csrf: session.csrf,
      user: { name: session.name, roleName: ROLE_NAMES[req.caller!.role], trustName: session.trustName, ods: session.ods },
    });
  }
}
