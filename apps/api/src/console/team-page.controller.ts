// The console's team page for trust admins: the address each team of the trust gets its worklist
// emails at, a form per team, through the same use case as the API's PUT /v1/team-contacts/:team.
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isEmail } from 'class-validator';
import { Public } from '#auth';
import { TASK_TEAMS, TeamContacts, type TaskTeam } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { FormErrors, field, type FieldError } from './console-forms.js';
import { renderForSession, seeOther } from './console-render.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';

const TEAMS: Record<TaskTeam, { name: string; works: string }> = {
  booking: { name: 'Booking team', works: 'referrals to book, changed bookings, and tasks such as unanswered offers' },
  clinical: { name: 'Clinical team', works: 'clinical reviews and transfers of care to accept' },
};
/** The API's bound (TeamContactDto), the longest address email allows. */
const MAX_EMAIL = 254;

const isTeam = (v: string): v is TaskTeam => (TASK_TEAMS as readonly string[]).includes(v);

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/team')
export class TeamPageController {
  constructor(
    private readonly contacts: TeamContacts,
    private readonly idp: IdentityProvider,
  ) {}

  @Get()
  @ConsoleAccess('team-contact.read')
  page(@Query('saved') saved: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.render(req, res, { saved: typeof saved === 'string' && isTeam(saved) ? saved : null });
  }

  @Post(':team')
  @ConsoleAccess('team-contact.write')
  async save(@Param('team') team: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isTeam(team)) throw new ConsolePageError(404, 'Page not found', 'There is no team of that name.');
    const form = await readForm(req);
    const email = field(form, 'email');
    try {
      const errors: FieldError[] = [];
      if (!email) errors.push({ field: 'email', text: `Enter the ${TEAMS[team].name.toLowerCase()}'s email address` });
      else if (email.length > MAX_EMAIL) errors.push({ field: 'email', text: `The email address must be ${MAX_EMAIL} characters or fewer` });
      else if (!isEmail(email)) errors.push({ field: 'email', text: 'Enter an email address in the correct format, like booking-team@example.nhs.uk' });
      if (errors.length) throw new FormErrors(errors);
      await this.contacts.put(req.caller!.ods!, team, email, req.caller!.sub);
      return seeOther(res, `/console/team?saved=${team}`);
    } catch (e) {
      if (e instanceof FormErrors) return this.render(req, res, { problem: { team, errors: e.errors, email } }, 400);
      throw e;
    }
  }

  private async render(
    req: ConsoleRequest,
    res: ConsoleResponse,
    opts: { saved?: TaskTeam | null; problem?: { team: TaskTeam; errors: FieldError[]; email: string } },
    status = 200,
  ): Promise<string> {
    const { items } = await this.contacts.list(req.caller!.ods!);
    const problem = opts.problem;
    const teams = TASK_TEAMS.map((team) => {
      const current = items.find((c) => c.team === team);
      return {
        team,
        ...TEAMS[team],
        current,
        value: problem?.team === team ? problem.email : (current?.email ?? ''),
        error: problem?.team === team ? problem.errors[0]?.text : undefined,
      };
    });
    return renderForSession(
      req,
      res,
      this.idp,
      'team.njk',
      {
        title: 'Team email addresses',
        teams,
        errors: problem?.errors.map((e) => ({ text: e.text, href: `#${problem.team}-email` })) ?? [],
        banner: opts.saved
          ? { title: 'Address saved', text: `${TEAMS[opts.saved].name} emails now go to the address shown.`, type: 'success' as const }
          : undefined,
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}
