// The patient-initiated mutual aid (PIDMAS) opt-in page: the personal link of a cohort invitation, the
// date-of-birth check (locked after 5 wrong tries, as the offer link), and the patient's answer: opt in
// with a travel radius of 50 miles, 100 miles or anywhere in England, and what they need, or stay on
// their list. Public, server-rendered from nhsuk-frontend's macros in the offer pages' layout; works
// without JavaScript (forms, POST-redirect-GET, a session cookie and a hidden field bound to it).
import { Controller, Get, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Public } from '#auth';
import { APP_CONFIG, type AppConfig } from '#config';
import { verifyOptInLinkToken } from '#notifications';
import { OPT_IN_MAX_FAILED_ATTEMPTS, PatientInitiated, type InvitationLink, type OptInRadius } from '#workflow';
import { cookieOf, dobProblem, field, readForm } from './offer-page.controller.js';
import { redirectPatient, runPatientPage, sendPatientPage } from './patient-page-response.js';
import { OfferLinkService, SESSION_SECONDS } from './offer-link.service.js';
import { messagePage, renderOfferLayout, type BookingTeam, type DobForm, type FieldError } from './offer-views.js';

const COOKIE = 'opt_in_session';
/** The answer form: three short fields and a text of at most 500 characters (up to 9 bytes each, encoded). */
const ANSWER_FORM = { bytes: 8 * 1024, fields: 8 };
const REQUIREMENTS_MAX = 500;
const RADII: Record<string, OptInRadius> = { '50': 50, '100': 100, anywhere: null };

interface AnswerForm {
  readonly answer: string;
  readonly radius: string;
  readonly requirements: string;
}

/** A page of the patient's link, in the offer pages' layout. */
function render(template: string, title: string, context: Record<string, unknown>, errors: readonly FieldError[] = []) {
  return renderOfferLayout(template, title, context, { errors });
}

@ApiExcludeController()
@Controller('opt-in')
@Public()
export class OptInPageController {
  private readonly logger = new Logger('OptInPage');

  constructor(
    private readonly pidmas: PatientInitiated,
    private readonly sessions: OfferLinkService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':token')
  async start(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.usable(token, req, res, { answered: 'done' });
      if (!link) return;
      if (this.sessions.sessionValid(link.id, cookieOf(req, COOKIE))) return this.redirect(res, `/opt-in/${token}/answer`);
      this.send(res, 200, this.dobPage(token, { day: '', month: '', year: '' }, null));
    });
  }

  @Post(':token')
  async checkDateOfBirth(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.usable(token, req, res, { answered: 'done' });
      if (!link) return;
      const body = await readForm(req);
      const values: DobForm = { day: field(body, 'dob-day'), month: field(body, 'dob-month'), year: field(body, 'dob-year') };
      const problem = dobProblem(values);
      if (problem) return this.send(res, 400, this.dobPage(token, values, problem));
      const given = `${values.year}-${values.month.padStart(2, '0')}-${values.day.padStart(2, '0')}`;
      if (given !== link.dateOfBirth) {
        const left = await this.pidmas.recordFailedAttempt(link.id);
        if (left === 0) return this.state(res, 403, 'locked', link);
        const message = `The date of birth you entered does not match our records. Check it and try again. You have ${left} more ${left === 1 ? 'try' : 'tries'} before this link is locked.`;
        return this.send(res, 400, this.dobPage(token, values, { message, first: 'day', fields: new Set(['day', 'month', 'year']) }));
      }
      const secure = this.config.http.publicBaseUrl.startsWith('https:') || req.protocol === 'https';
      void res.header(
        'Set-Cookie',
        `${COOKIE}=${this.sessions.newSession(link.id)}; Path=/opt-in/${token}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
      );
      this.redirect(res, `/opt-in/${token}/answer`);
    });
  }

  @Get(':token/answer')
  async answerForm(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.usable(token, req, res, { answered: 'done', session: true });
      if (!link) return;
      this.send(res, 200, this.answerPage(token, link, cookieOf(req, COOKIE)!, { answer: '', radius: '', requirements: '' }, {}));
    });
  }

  @Post(':token/answer')
  async answer(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.usable(token, req, res, { answered: 'done', session: true });
      if (!link) return;
      const session = cookieOf(req, COOKIE)!;
      const body = await readForm(req, ANSWER_FORM);
      // SameSite=Strict keeps the cookie off cross-site posts; the hidden field, bound to the session, is a second check.
      if (!this.sessions.csrfValid(link.id, session, body.csrf)) return this.redirect(res, `/opt-in/${token}`);
      const raw = body.requirements;
      const values: AnswerForm = {
        answer: field(body, 'answer'),
        radius: field(body, 'radius'),
        requirements: typeof raw === 'string' ? raw.trim() : '',
      };
      const errors: { answer?: string; radius?: string; requirements?: string } = {};
      if (values.answer !== 'opted_in' && values.answer !== 'declined')
        errors.answer = 'Select whether you would like to be considered for treatment at another hospital';
      if (values.answer === 'opted_in' && !(values.radius in RADII)) errors.radius = 'Select how far you would be willing to travel';
      if (values.requirements.length > REQUIREMENTS_MAX) errors.requirements = `What you need must be ${REQUIREMENTS_MAX} characters or fewer`;
      if (errors.answer || errors.radius || errors.requirements) return this.send(res, 400, this.answerPage(token, link, session, values, errors));
      await this.pidmas.answer(link.id, {
        answer: values.answer as 'opted_in' | 'declined',
        travelRadiusMiles: values.answer === 'opted_in' ? RADII[values.radius] : undefined,
        requirements: values.requirements || null,
      });
      // A second answer (another tab) changes nothing: the confirmation shows the one recorded.
      this.redirect(res, `/opt-in/${token}/done`);
    });
  }

  @Get(':token/done')
  async done(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      if (!link) return this.state(res, 404, 'invalid', null);
      if (!link.answer) return this.redirect(res, `/opt-in/${token}`);
      // The answer only with the session that gave it; anyone else sees "already answered".
      if (!this.sessions.sessionValid(link.id, cookieOf(req, COOKIE))) return this.state(res, 410, 'used', link);
      const optedIn = link.answer === 'opted_in';
      const radius = link.travelRadiusMiles === null ? 'anywhere in England' : `up to ${link.travelRadiusMiles} miles`;
      this.send(
        res,
        200,
        render('opt-in-answered.njk', optedIn ? 'You have asked to be considered' : 'You have chosen to stay on your current waiting list', {
          optedIn,
          radius,
          originName: link.originName,
          team: this.team(link),
        }),
      );
    });
  }

  // ---------- helpers ----------

  private async linkFor(token: string): Promise<InvitationLink | null> {
    const id = verifyOptInLinkToken(this.config.workflow.offerLinkSecret, token);
    return id ? this.pidmas.link(id) : null;
  }

  /**
   * The invitation behind a token when it can still be answered; else the page that says why (null).
   * Answered: to the confirmation with the session that answered, "already answered" otherwise.
   */
  private async usable(token: string, req: Request, res: Response, opts: { answered: 'done'; session?: boolean }): Promise<InvitationLink | null> {
    const link = await this.linkFor(token);
    const session = link ? this.sessions.sessionValid(link.id, cookieOf(req, COOKIE)) : false;
    if (!link) this.state(res, 404, 'invalid', null);
    else if (link.answer) {
      if (session) this.redirect(res, `/opt-in/${token}/done`);
      else this.state(res, 410, 'used', link);
    } else if (link.failedAttempts >= OPT_IN_MAX_FAILED_ATTEMPTS) this.state(res, 403, 'locked', link);
    else if (!link.entryOpen) this.state(res, 410, 'notOpen', link);
    else if (opts.session && !session) this.redirect(res, `/opt-in/${token}`);
    else return link;
    return null;
  }

  private team(link: InvitationLink): BookingTeam {
    return { trustName: link.originName, phone: link.bookingPhone, hours: null };
  }

  private dobPage(token: string, values: DobForm, problem: { message: string; first: string; fields: ReadonlySet<string> } | null): string {
    return render(
      'opt-in-date-of-birth.njk',
      'What is your date of birth?',
      { action: `/opt-in/${token}`, values, message: problem?.message ?? null, fields: [...(problem?.fields ?? [])] },
      problem ? [{ href: `dob-${problem.first}`, text: problem.message }] : [],
    );
  }

  private answerPage(
    token: string,
    link: InvitationLink,
    session: string,
    values: AnswerForm,
    errors: { answer?: string; radius?: string; requirements?: string },
  ) {
    const list: FieldError[] = [];
    if (errors.answer) list.push({ href: 'answer', text: errors.answer });
    if (errors.radius) list.push({ href: 'radius', text: errors.radius });
    if (errors.requirements) list.push({ href: 'requirements', text: errors.requirements });
    return render(
      'opt-in-answer.njk',
      'Ask to be treated sooner at another hospital',
      {
        action: `/opt-in/${token}/answer`,
        csrf: this.sessions.csrfFor(link.id, session),
        originName: link.originName,
        values,
        answerError: errors.answer ?? null,
        radiusError: errors.radius ?? null,
        requirementsError: errors.requirements ?? null,
      },
      list,
    );
  }

  private state(res: Response, status: number, state: 'invalid' | 'used' | 'locked' | 'notOpen' | 'error', link: InvitationLink | null) {
    const team = link ? this.team(link) : null;
    const pages = {
      invalid: () =>
        messagePage('This link does not work', ['Check that you copied the whole link from the message we sent you.'], 'If it still does not work,', team),
      used: () =>
        messagePage(
          'You have already answered',
          ['You have already given us your answer using this link.'],
          'If you want to change your answer or have a question,',
          team,
        ),
      locked: () =>
        messagePage(
          'You cannot use this link any more',
          [
            'The date of birth was entered wrongly too many times, so we have locked this link to keep your details safe.',
            'Your place on your waiting list is not affected.',
          ],
          'To answer,',
          team,
        ),
      notOpen: () =>
        messagePage(
          'There is nothing to answer here any more',
          ['Your place on the waiting list has changed since we sent you this link, so you do not need to answer it.'],
          'If you have a question,',
          team,
        ),
      error: () => messagePage('Sorry, there is a problem with the service', ['Try again later.'], 'If you need to answer today,', team),
    };
    this.send(res, status, pages[state]());
  }

  private send(res: Response, status: number, body: string) {
    sendPatientPage(res, status, body);
  }

  private redirect(res: Response, to: string) {
    redirectPatient(res, to);
  }

  /** Runs a page; a failure shows the NHS.UK "problem with the service" page (logged without patient data). */
  private page(res: Response, fn: () => Promise<void>) {
    return runPatientPage(res, this.logger, 'opt-in page', fn, (status) => this.state(res, status, 'error', null));
  }
}
