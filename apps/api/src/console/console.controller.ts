// The console's pages for staff: home (a card per worklist with its count), each worklist, and the
// referral page. Reads go through the same queries as the API (ReferralQueries, TaskQueries), with
// the same Caller, so what a person sees is what the API would show them.
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '#auth';
import { WORKLIST_NAMES, isUuid, type WorklistName } from '#domain';
import { DuplicateError } from '#workflow';
import { LongWaiters, OpenReferral, ReferralQueries, TaskQueries } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { SPECIALTIES, WORKLIST_CARDS, listName, statusTag, toolCardsFor, worklistsFor, type ConsoleWorklist } from './console-pages.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { renderForSession, seeOther } from './console-render.js';
import { ReferralPage } from './referral-page.js';
import { OpenReferrals } from './open-referrals.js';
import { ReferralSearch, parseSearch } from './search.js';
import { DONE_MESSAGES } from './referral-actions.controller.js';

/** Home counts stop here ("1,000+"): a count is an index range, and a worklist's range grows with the group (docs/benchmarks.md). */
const HOME_COUNT_CAP = 1000;

function countText(c: { count: number; more: boolean }): string {
  return `${c.count.toLocaleString('en-GB')}${c.more ? '+' : ''}`;
}

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
    private readonly openReferrals: OpenReferrals,
    private readonly search: ReferralSearch,
    private readonly longWaiters: LongWaiters,
    private readonly opening: OpenReferral,
  ) {}

  @Get()
  @ConsoleAccess('referral.list')
  async home(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    const session = req.consoleSession!;
    const names = worklistsFor(session.roles);
    const counts: Partial<Record<ConsoleWorklist, string>> = {};
    for (const [n, c] of Object.entries(await this.referrals.worklistCounts(caller, HOME_COUNT_CAP))) counts[n as ConsoleWorklist] = countText(c);
    if (names.includes('tasks')) counts.tasks = countText({ count: await this.tasks.count(caller.ods!), more: false });
    const cards = [...names.map((n) => ({ ...WORKLIST_CARDS[n], count: counts[n] ?? null, href: `/console/worklists/${n}` })), ...toolCardsFor(session.roles)];
    return this.page(req, res, 'home.njk', { title: 'Your worklists', cards });
  }

  @Get('worklists/clinical-review/next')
  @ConsoleAccess('referral.clinical-review')
  async reviewNext(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    let cursor: string | undefined;
    // Longest waiters first; the first that nobody else has open becomes this clinician's.
    for (let page = 0; page < 20; page++) {
      const list = await this.referrals.list(caller, { worklist: 'clinical-review', sort: 'weeksWaited', cursor, limit: 50 });
      for (const r of list.items) if (await this.openReferrals.take(r.id, caller.sub)) return seeOther(res, `/console/referrals/${r.id}`);
      if (!list.nextCursor) break;
      cursor = list.nextCursor;
    }
    return seeOther(res, '/console/worklists/clinical-review?done=none-left');
  }

  @Get('worklists/tasks')
  @ConsoleAccess('task.read')
  async taskList(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    const team = caller.role === 'clinician' ? 'clinical' : 'booking';
    const cursor = typeof query.cursor === 'string' && /^[\w-]{1,200}$/.test(query.cursor) ? query.cursor : undefined;
    const page = await this.tasks.list(caller.ods!, { team, cursor, limit: 25 });
    // Who each task is about, as the worklists show them (only referrals this person may see).
    const about = await this.referrals.summaries(
      caller,
      page.items.flatMap((t) => (t.referralId ? [t.referralId] : [])),
    );
    const done = query.done === 'task' ? { title: 'Done', text: 'Task marked as done', type: 'success' as const } : undefined;
    return this.page(req, res, 'tasks.njk', {
      title: 'Tasks',
      card: WORKLIST_CARDS.tasks,
      team,
      banner: done,
      rows: page.items.map((t) => {
        const r = t.referralId ? about.get(t.referralId) : undefined;
        return {
          ...t,
          what: TASK_KINDS[t.kind] ?? t.kind.replace(/_/g, ' '),
          href: t.referralId ? `/console/referrals/${t.referralId}` : null,
          name: r ? listName(r.familyName, r.givenName) : null,
          nhsNumber: r?.nhsNumber ?? null,
          weeksWaited: r?.weeksWaited ?? null,
        };
      }),
      next: page.nextCursor ? `/console/worklists/tasks?cursor=${page.nextCursor}` : null,
      first: cursor ? '/console/worklists/tasks' : null,
      back: { href: '/console', text: 'Your worklists' },
    });
  }

  @Post('tasks/:taskId/done')
  @ConsoleAccess('task.complete')
  async taskDone(@Param('taskId') taskId: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    if (!isUuid(taskId)) throw new ConsolePageError(404, 'Page not found', 'There is no such task.');
    try {
      await this.tasks.complete(caller.ods!, caller.sub, taskId);
    } catch (e) {
      // Done by someone else already: the list shows it gone, which is what the person wanted.
      if (!(e instanceof DuplicateError)) throw e;
    }
    return seeOther(res, '/console/worklists/tasks?done=task');
  }

  @Get('worklists/long-waiters')
  @ConsoleAccess('waiting-list.read')
  async longWaiterList(@Query() query: Record<string, unknown>, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    const str = (k: string) => (typeof query[k] === 'string' ? query[k] : '');
    const specialty = /^\d{3}$/.test(str('specialty')) ? str('specialty') : '';
    const weeks = WEEKS_BANDS.some((b) => b.value === str('weeks')) ? str('weeks') : '';
    const cursor = /^[\w-]{1,300}$/.test(str('cursor')) ? str('cursor') : undefined;
    const page = await this.longWaiters.list(caller, { specialty: specialty || undefined, minWeeks: weeks ? Number(weeks) : undefined, cursor, limit: 25 });
    const qs = (over: Record<string, string | undefined>) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries({ specialty, weeks, ...over })) if (v) q.set(k, v);
      const t = q.toString();
      return `/console/worklists/long-waiters${t ? `?${t}` : ''}`;
    };
    return this.page(req, res, 'long-waiters.njk', {
      title: 'Long-waiters',
      card: WORKLIST_CARDS['long-waiters'],
      canRefer: caller.roles.includes('booking_clerk'),
      rows: page.items.map((e) => ({ ...e, specialtyName: SPECIALTIES[e.specialtyCode] ?? e.specialtyCode })),
      filters: {
        specialty,
        weeks,
        specialties: [{ value: '', text: 'Any' }, ...Object.entries(SPECIALTIES).map(([value, text]) => ({ value, text: `${text} (${value})` }))],
        weeksBands: WEEKS_BANDS,
      },
      next: page.nextCursor ? qs({ cursor: page.nextCursor }) : null,
      first: cursor ? qs({}) : null,
      back: { href: '/console', text: 'Your worklists' },
    });
  }

  @Post('long-waiters/:entryId/refer')
  @ConsoleAccess('referral.create')
  async refer(@Param('entryId') entryId: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    if (!isUuid(entryId)) throw new ConsolePageError(404, 'Page not found', 'There is no such waiting-list entry.');
    try {
      // The second button refers closer to home (issue 18): the same workflow, the direction as data.
      const direction = (await readForm(req)).direction === 'closer_to_home' ? ('closer_to_home' as const) : undefined;
      const input = { ...(await this.longWaiters.referralFromEntry(caller, entryId)), ...(direction ? { direction } : {}) };
      const out = await this.opening.open(caller, input, null, { waitingListEntryId: entryId });
      return seeOther(res, `/console/referrals/${out.referralId}?done=opened`);
    } catch (e) {
      // Referred by someone else a moment ago: show that referral.
      const referralId = e instanceof DuplicateError ? (e.details as { referralId?: string } | undefined)?.referralId : undefined;
      if (referralId) return seeOther(res, `/console/referrals/${referralId}`);
      throw e;
    }
  }

  @Get('search')
  @ConsoleAccess('referral.list')
  async searchPage(@Query('q') q: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const text = typeof q === 'string' ? q.slice(0, 100) : '';
    const parsed = text.trim() ? parseSearch(text) : null;
    const hits = parsed && parsed.kind !== 'unclear' ? await this.search.find(req.caller!, parsed) : [];
    if (hits.length === 1) return seeOther(res, `/console/referrals/${hits[0].id}`);
    return this.page(req, res, 'search.njk', {
      title: 'Find a referral',
      q: text,
      searched: Boolean(parsed),
      errors: parsed?.kind === 'unclear' ? [{ text: parsed.message, href: '#q' }] : [],
      fieldError: parsed?.kind === 'unclear' ? parsed.message : null,
      rows: hits.map((h) => ({ ...h, href: `/console/referrals/${h.id}`, tag: statusTag(h.status) })),
    });
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
      name: 'patient' in r && r.patient ? listName(r.patient.familyName, r.patient.givenName) : '',
      nhsNumber: 'patient' in r && r.patient && 'nhsNumber' in r.patient ? r.patient.nhsNumber : '',
      weeksWaited: r.weeksWaited,
      priority: r.priority,
      specialty: SPECIALTIES[r.specialtyCode] ?? r.specialtyCode,
      tag: statusTag(r.status),
      trust: r.receivingOds && r.receivingOds !== caller.ods ? r.receivingOds : r.originOds,
      needs: r.additionalRequirements,
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
    const banner =
      typeof done === 'string' && (DONE_MESSAGES[done] || done === 'opened')
        ? { title: 'Done', text: DONE_MESSAGES[done] ?? 'Referral opened: screening runs now', type: 'success' as const }
        : undefined;
    const context = await this.referralPage.context(req.caller!, id, { banner });
    // A clinician reading a referral awaiting review has it open: "review next" gives it to no one else.
    const ref = context.referral as { status: string };
    if (req.caller!.role === 'clinician' && ref.status === 'AWAITING_CLINICAL_REVIEW') await this.openReferrals.take(id, req.caller!.sub);
    return this.page(req, res, 'referral.njk', context);
  }

  private page(req: ConsoleRequest, res: ConsoleResponse, template: string, context: Record<string, unknown>): string {
    return renderForSession(req, res, this.idp, template, context);
  }
}

/** Task kinds in words, for the tasks worklist. */
const TASK_KINDS: Record<string, string> = {
  offer_unanswered: 'The patient has not answered the offer: phone them',
  offer_capacity_gone: 'The hospital the patient chose has no place left: offer another',
  accessible_letter: 'Send this message in the accessible format the patient needs',
  phone_patient: 'The patient asked to be contacted by telephone or text relay: phone them about this message',
  notification_failed: 'A message could not be delivered: check the contact details',
  staff_email_failed: 'A worklist email to your team could not be delivered',
  demographics_mismatch: "Check the patient's details: your trust holds this NHS number under another name or date of birth",
  pre_op_assessment: 'Arrange the pre-operative assessment',
  information_requested: 'The receiving clinician asks for information before deciding: answer the request for information',
  returned_with_advice: 'The receiving clinician returned the referral with advice: read it on the referral',
  dispatch_failed: 'A message to another organisation failed: send its content another way',
  dispatch_send_failing: 'A message to another organisation cannot be sent yet (MESH unreachable): it keeps trying',
  dispatch_unacknowledged: 'A message to another organisation has not been acknowledged: check it arrived',
  appointment_change_request: 'The patient asks to change or cancel an appointment: reschedule or cancel it on the referral',
};
