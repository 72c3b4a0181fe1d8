// The patient's offer page, server-rendered, no bearer token: the single-use link from the offer
// message, a date-of-birth check, the offer(s) in plain English, and the answer, recorded through
// Consent.record as a patient (same transition, timeline, audit and
// notifications as POST /v1/referrals/:id/consent); and the footer's pages (accessibility,
// privacy, contact), open to anyone. Works without JavaScript.
import { Controller, Get, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { redirectPatient, runPatientPage, sendPatientPage } from './patient-page-response.js';
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseQueryString } from 'node:querystring';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AuditService, Public, type Caller } from '#auth';
import { APP_CONFIG, DEV_OFFER_LINK_SECRET, type AppConfig } from '#config';
import { distanceFromHome } from '#notifications';
import { AdditionalRequirementsRecord, BusinessRuleError, CAPACITY_GONE_REASONS, Consent, TransitionConflictError, WorkflowError } from '#workflow';
import { formMessage, requirementsFormItems, requirementsFromForm, type OpenBoxes } from '../views/requirements-form.js';
import { oneLineBreak } from '../http/body-parsing.js';
import { httpStatusOf } from '../http/error-statuses.js';
import { OfferLinkService, SESSION_SECONDS, type LinkRecord, type LinkState } from './offer-link.service.js';
import {
  PAGES,
  acceptedPage,
  accessibilityPage,
  contactPage,
  declinedPage,
  dobPage,
  needsPage,
  offersPage,
  privacyPage,
  placeTakenChooseAnother,
  placeTakenPage,
  type ChooseForm,
  type DobForm,
  type FieldError,
  type OfferView,
} from './offer-views.js';

const COOKIE = 'offer_session';
const IMAGE_TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/vnd.microsoft.icon' };
const STATE_STATUS: Record<Exclude<LinkState, 'open'>, number> = { invalid: 404, used: 410, locked: 403, expired: 410, superseded: 410, notOpen: 410 };

const assetsDir = path.join(path.dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');
let css: string | null = null;
/** nhsuk-frontend's stylesheet, its image URLs moved under /offer/assets. */
function stylesheet(): string {
  css ??= readFileSync(path.join(assetsDir, 'nhsuk-frontend.min.css'), 'utf8').replaceAll('url(/assets/', 'url(/offer/assets/');
  return css;
}

/** The forms are a date of birth, or an answer and a distance: a few hundred bytes, at most a handful of fields. */
const FORM_MAX_BYTES = 4 * 1024;
const FORM_MAX_FIELDS = 10;
/** The needs form: about twenty boxes and two short texts (500 characters each, up to 9 bytes a character encoded). */
const NEEDS_FORM = { bytes: 16 * 1024, fields: 30 };

/** A form the page will not read: shown as the "problem with the service" page (400), as any client's mistake is. */
const unreadableForm = (status: 413 | 415, message: string) => Object.assign(new Error(message), { status });

/**
 * The posted form (application/x-www-form-urlencoded, UTF-8), read from the request stream:
 * Fastify's parsers leave it unread (http/body-parsing.ts), so only these two routes read forms.
 * Another type reads as no fields. Too large, too many fields or compressed: refused, and the
 * rest of the body is discarded (not the connection: the page still answers).
 */
export function readForm(req: Request, limits = { bytes: FORM_MAX_BYTES, fields: FORM_MAX_FIELDS }): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return Promise.resolve({});
  const raw = req.raw;
  if ((req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity') {
    raw.resume();
    return Promise.reject(unreadableForm(415, 'the form must not be compressed'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (e?: Error) => {
      raw.off('data', onData).off('end', onEnd).off('error', stop);
      if (e) {
        raw.resume();
        reject(e);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.bytes) return stop(unreadableForm(413, 'the form is too large'));
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.split('&').filter(Boolean).length > limits.fields) return reject(unreadableForm(413, 'the form has too many fields'));
      // Each line break one character, as the person typed it and as the console reads its forms.
      const form = parseQueryString(text);
      for (const [k, v] of Object.entries(form)) form[k] = Array.isArray(v) ? v.map(oneLineBreak) : oneLineBreak(v ?? '');
      resolve(form);
    };
    raw.on('data', onData).on('end', onEnd).on('error', stop);
  });
}

/** A field's text, trimmed, and cut at `max` characters (a short field: a date's part, a choice). */
export const field = (body: Record<string, unknown>, name: string, max = 20): string => {
  const v = body[name];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
};

export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

@ApiExcludeController()
@Controller('offer')
@Public()
export class OfferPageController {
  private readonly logger = new Logger('OfferPage');

  constructor(
    private readonly links: OfferLinkService,
    private readonly consents: Consent,
    private readonly requirements: AdditionalRequirementsRecord,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (config.workflow.offerLinkSecret === DEV_OFFER_LINK_SECRET) {
      this.logger.warn('OFFER_LINK_SECRET is not set: offer links are signed with the local development secret. Set it in any shared environment.');
    }
  }

  // ---------- assets (no patient data; cacheable) ----------

  @Get('assets/nhsuk-frontend.min.css')
  stylesheet(@Res() res: Response) {
    void res.header('Cache-Control', 'public, max-age=86400').type('text/css; charset=utf-8').send(stylesheet());
  }

  @Get('assets/images/:name')
  image(@Param('name') name: string, @Res() res: Response) {
    const file = path.join(assetsDir, 'assets', 'images', name);
    const type = IMAGE_TYPES[path.extname(name)];
    if (!type || !/^[a-z0-9-]{1,60}\.(svg|png|ico)$/.test(name) || !existsSync(file)) {
      void res.status(404).type('text/plain; charset=utf-8').send('Not found');
      return;
    }
    void res
      .header('Cache-Control', 'public, max-age=86400')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .type(type)
      .send(readFileSync(file));
  }

  // ---------- the footer's pages (no link needed; static routes, matched before :token) ----------

  @Get('accessibility')
  async accessibility(@Res() res: Response) {
    await this.page(res, () => Promise.resolve(this.send(res, 200, accessibilityPage())));
  }

  @Get('privacy')
  async privacy(@Res() res: Response) {
    await this.page(res, async () => this.send(res, 200, privacyPage(await this.links.bookingTeams())));
  }

  @Get('contact')
  async contact(@Res() res: Response) {
    await this.page(res, async () => this.send(res, 200, contactPage(await this.links.bookingTeams())));
  }

  // ---------- 1. the link and the date of birth ----------

  @Get(':token')
  async start(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      const state = this.links.stateOf(link);
      if (state !== 'open') return this.statePage(res, state, link);
      if (this.links.sessionValid(link!.notificationId, cookieOf(req, COOKIE))) return this.redirect(res, `/offer/${token}/choose`);
      this.send(res, 200, dobPage({ action: `/offer/${token}`, values: { day: '', month: '', year: '' }, errors: [], message: null, fields: new Set() }));
    });
  }

  @Post(':token')
  async checkDateOfBirth(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      const state = this.links.stateOf(link);
      if (state !== 'open') return this.statePage(res, state, link);
      const body = await readForm(req);
      const values: DobForm = { day: field(body, 'dob-day'), month: field(body, 'dob-month'), year: field(body, 'dob-year') };
      const action = `/offer/${token}`;
      const problem = dobProblem(values);
      if (problem) {
        return this.send(
          res,
          400,
          dobPage({ action, values, errors: [{ href: `dob-${problem.first}`, text: problem.message }], message: problem.message, fields: problem.fields }),
        );
      }
      const given = `${values.year}-${values.month.padStart(2, '0')}-${values.day.padStart(2, '0')}`;
      if (given !== link!.dateOfBirth) {
        const left = await this.links.recordFailed(link!);
        if (left === 0) return this.statePage(res, 'locked', link);
        const message = `The date of birth you entered does not match our records. Check it and try again. You have ${left} more ${left === 1 ? 'try' : 'tries'} before this link is locked.`;
        return this.send(
          res,
          400,
          dobPage({ action, values, errors: [{ href: 'dob-day', text: message }], message, fields: new Set(['day', 'month', 'year']) }),
        );
      }
      if (!(await this.links.recordVerified(link!))) return this.statePage(res, this.links.stateOf(await this.links.load(link!.notificationId)), link);
      this.setSession(req, res, token, this.links.newSession(link!.notificationId));
      this.redirect(res, `/offer/${token}/choose`);
    });
  }

  // ---------- 2. the offer(s) and the answer ----------

  @Get(':token/choose')
  async choose(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      const state = this.links.stateOf(link);
      if (state !== 'open') return this.statePage(res, state, link);
      const session = cookieOf(req, COOKIE);
      if (!this.links.sessionValid(link!.notificationId, session)) return this.redirect(res, `/offer/${token}`);
      const offers = await this.links.openOffers(link!.referralId);
      await this.audit.record({
        caller: this.callerFor(link!),
        action: 'referral.read',
        referralId: link!.referralId,
        requestId: requestId(req),
        outcome: 200,
      });
      this.send(res, 200, this.offersPage(token, link!, session!, offers, { answer: '', radius: '' }, {}));
    });
  }

  @Post(':token/choose')
  async answer(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      const state = this.links.stateOf(link);
      if (state !== 'open') return this.statePage(res, state, link);
      const session = cookieOf(req, COOKIE);
      const body = await readForm(req);
      // SameSite=Strict keeps the cookie off cross-site posts; the hidden field, bound to the session, is a second check.
      if (!this.links.sessionValid(link!.notificationId, session) || !this.links.csrfValid(link!.notificationId, session!, body.csrf)) {
        return this.redirect(res, `/offer/${token}`);
      }
      const offers = await this.links.openOffers(link!.referralId);
      const values: ChooseForm = { answer: field(body, 'answer', 50), radius: field(body, 'radius') };
      const errors: { answer?: string; radius?: string } = {};
      const chosen = values.answer.startsWith('accept:') ? offers.find((o) => `accept:${o.id}` === values.answer) : undefined;
      if (values.answer !== 'decline' && !chosen)
        errors.answer = values.answer
          ? 'That offer is not open any more. Choose one of the options below'
          : 'Select whether you would like to be treated at another hospital';
      let radius: number | undefined;
      if (values.radius !== '') {
        radius = /^\d{1,3}$/.test(values.radius) ? Number(values.radius) : NaN;
        if (!(radius >= 1 && radius <= 500)) errors.radius = 'How far you are willing to travel must be a whole number of miles, from 1 to 500';
      }
      if (errors.answer || errors.radius) return this.send(res, 400, this.offersPage(token, link!, session!, offers, values, errors));

      const caller = this.callerFor(link!);
      const decision = chosen ? 'accept' : 'decline';
      try {
        await this.consents.record(caller, link!.referralId, { decision, offerId: chosen?.id, travelRadiusMiles: radius });
      } catch (e) {
        if (!(e instanceof WorkflowError)) throw e;
        await this.audit
          .record({ caller, action: 'referral.consent', referralId: link!.referralId, requestId: requestId(req), outcome: httpStatusOf(e) })
          .catch(() => undefined);
        const { field: f, reason } = e instanceof BusinessRuleError ? ((e.details ?? {}) as { field?: string; reason?: string }) : {};
        if (chosen && reason && CAPACITY_GONE_REASONS.includes(reason)) {
          // The place went to someone else just before this answer (the accept was rolled back and the
          // offer is still open): a booking-team task so a person follows up, and the other offers
          // that still have room, if any, to choose from.
          const gone = await this.consents.capacityGone(link!.referralId, chosen.id, reason);
          const left = offers.filter((o) => gone.openWithRoom.includes(o.id));
          if (left.length === 0)
            return this.send(res, 200, placeTakenPage({ siteName: chosen.siteName, originName: link!.originName, team: this.links.teamOf(link!) }));
          errors.answer = placeTakenChooseAnother(chosen.siteName);
          return this.send(res, 409, this.offersPage(token, link!, session!, left, { answer: '', radius: values.radius }, errors));
        }
        if (f === 'travelRadiusMiles' && chosen) {
          errors.radius = `${chosen.siteName} is ${distanceFromHome(chosen.distanceMiles)}, further than the distance you entered. Enter a larger distance or leave it blank`;
        } else if (f === 'offerId') {
          errors.answer = 'That offer is not open any more. Choose one of the options below';
        } else {
          // The referral moved on meanwhile (answered by phone, withdrawn, or a second submit of this form).
          return this.statePage(res, this.links.stateOf(await this.links.load(link!.notificationId)), link);
        }
        return this.send(res, 400, this.offersPage(token, link!, session!, await this.links.openOffers(link!.referralId), values, errors));
      }
      await this.links.recordUsed(link!, decision);
      await this.audit.record({ caller, action: 'referral.consent', referralId: link!.referralId, requestId: requestId(req), outcome: 200 });
      this.redirect(res, `/offer/${token}/answered`);
    });
  }

  // ---------- 3. confirmation ----------

  @Get(':token/answered')
  async answered(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.linkFor(token);
      if (!link?.usedAt) return link ? this.redirect(res, `/offer/${token}`) : this.statePage(res, 'invalid', null);
      // The details only with the session that answered; anyone else sees "already answered".
      if (!this.links.sessionValid(link.notificationId, cookieOf(req, COOKIE))) return this.statePage(res, 'used', link);
      const answered = { originName: link.originName, reference: link.pathwayId, team: this.links.teamOf(link) };
      if (link.decision === 'accept') {
        const offer = await this.links.acceptedOffer(link.referralId);
        if (offer)
          return this.send(
            res,
            200,
            acceptedPage({
              ...answered,
              siteName: offer.siteName,
              trustName: offer.trustName,
              needsHref: `/offer/${token}/needs`,
              needsSaved: (req.query as Record<string, unknown> | undefined)?.needs === 'saved',
            }),
          );
        return this.statePage(res, 'used', link);
      }
      this.send(res, 200, declinedPage(answered));
    });
  }

  // ---------- 4. optional, after accepting: what the patient needs to get there and take part ----------

  @Get(':token/needs')
  async needs(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.needsLink(token, req, res);
      if (!link) return;
      const caller = this.callerFor(link);
      const current = (await this.requirements.read(caller, link.referralId)).additionalRequirements;
      await this.audit.record({ caller, action: 'additional-requirements.read', referralId: link.referralId, requestId: requestId(req), outcome: 200 });
      this.send(res, 200, this.needsForm(token, link, cookieOf(req, COOKIE)!, current ?? undefined, []));
    });
  }

  @Post(':token/needs')
  async saveNeeds(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.needsLink(token, req, res);
      if (!link) return;
      const session = cookieOf(req, COOKIE)!;
      const body = await readForm(req, NEEDS_FORM);
      if (!this.links.csrfValid(link.notificationId, session, body.csrf)) return this.redirect(res, `/offer/${token}`);
      const { value, problems } = requirementsFromForm(body);
      if (problems.length)
        return this.send(
          res,
          400,
          this.needsForm(
            token,
            link,
            session,
            value,
            problems.map((p) => ({ href: p.field, text: formMessage(p) })),
          ),
        );
      const caller = this.callerFor(link);
      try {
        await this.requirements.record(caller, link.referralId, value);
      } catch (e) {
        // The referral has closed since (withdrawn, cancelled): nothing to record against.
        if (e instanceof TransitionConflictError) return this.statePage(res, 'notOpen', link);
        throw e;
      }
      await this.audit.record({ caller, action: 'additional-requirements.write', referralId: link.referralId, requestId: requestId(req), outcome: 200 });
      this.redirect(res, `/offer/${token}/answered?needs=saved`);
    });
  }

  /** The link of a patient who accepted, with the session that answered; otherwise the page that says why (null). */
  private async needsLink(token: string, req: Request, res: Response): Promise<LinkRecord | null> {
    const link = await this.linkFor(token);
    if (!link?.usedAt) {
      if (link) this.redirect(res, `/offer/${token}`);
      else this.statePage(res, 'invalid', null);
      return null;
    }
    if (!this.links.sessionValid(link.notificationId, cookieOf(req, COOKIE)) || link.decision !== 'accept') {
      this.statePage(res, 'used', link);
      return null;
    }
    return link;
  }

  private needsForm(
    token: string,
    link: LinkRecord,
    session: string,
    value: Parameters<typeof requirementsFormItems>[0],
    errors: FieldError[],
    open: OpenBoxes = {},
  ): string {
    return needsPage({
      action: `/offer/${token}/needs`,
      csrf: this.links.csrfFor(link.notificationId, session),
      back: `/offer/${token}/answered`,
      form: requirementsFormItems(value, open),
      errors,
    });
  }

  // ---------- helpers ----------

  private async linkFor(token: string): Promise<LinkRecord | null> {
    const id = this.links.notificationIdOf(token);
    return id ? this.links.load(id) : null;
  }

  private callerFor(link: LinkRecord): Caller {
    // Names the link, not the patient: this is what the timeline and audit trail show as the actor.
    return { sub: `offer-link:${link.notificationId}`, roles: ['patient'], role: 'patient', ods: null, nhsNumber: link.nhsNumber };
  }

  private offersPage(
    token: string,
    link: LinkRecord,
    session: string,
    offers: OfferView[],
    values: ChooseForm,
    errors: { answer?: string; radius?: string },
  ): string {
    const list: FieldError[] = [];
    if (errors.answer) list.push({ href: 'answer', text: errors.answer });
    if (errors.radius) list.push({ href: 'radius', text: errors.radius });
    return offersPage({
      action: `/offer/${token}/choose`,
      csrf: this.links.csrfFor(link.notificationId, session),
      originName: link.originName,
      offers,
      values,
      errors: list,
      answerError: errors.answer ?? null,
      radiusError: errors.radius ?? null,
    });
  }

  private setSession(req: Request, res: Response, token: string, value: string) {
    const secure = this.config.http.publicBaseUrl.startsWith('https:') || req.protocol === 'https';
    void res.header('Set-Cookie', `${COOKIE}=${value}; Path=/offer/${token}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
  }

  private send(res: Response, status: number, body: string) {
    sendPatientPage(res, status, body);
  }

  private redirect(res: Response, to: string) {
    redirectPatient(res, to);
  }

  /** The page of a link that cannot be used now, naming the referring trust's booking team when the link is ours. */
  private statePage(res: Response, state: LinkState, link: LinkRecord | null) {
    const team = link ? this.links.teamOf(link) : null;
    if (state === 'open') return this.send(res, 500, PAGES.error(team));
    this.send(res, STATE_STATUS[state], PAGES[state](team));
  }

  /** Runs a page; a failure shows the NHS.UK "problem with the service" page (logged without patient data). */
  private page(res: Response, fn: () => Promise<void>) {
    return runPatientPage(res, this.logger, 'offer page', fn, (status) => this.send(res, status, PAGES.error(null)));
  }
}

function requestId(req: Request): string | null {
  return req.id ?? null;
}

/** The NHS.UK date input's checks, in its wording: the message and the parts in error. */
export function dobProblem(v: DobForm): { message: string; first: 'day' | 'month' | 'year'; fields: Set<'day' | 'month' | 'year'> } | null {
  const parts = ['day', 'month', 'year'] as const;
  const missing = parts.filter((p) => v[p] === '');
  if (missing.length === 3) return { message: 'Enter your date of birth', first: 'day', fields: new Set(parts) };
  if (missing.length > 0) return { message: `Date of birth must include a ${missing.join(' and ')}`, first: missing[0], fields: new Set(missing) };
  const bad = parts.filter((p) => !/^\d+$/.test(v[p]));
  if (bad.length) return { message: 'Date of birth must be a real date', first: bad[0], fields: new Set(bad) };
  if (v.year.length !== 4) return { message: 'Year must include 4 numbers', first: 'year', fields: new Set(['year']) };
  const d = Number(v.day);
  const m = Number(v.month);
  const y = Number(v.year);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || m > 12 || d < 1 || date.getUTCDate() !== d || date.getUTCMonth() !== m - 1) {
    const which = m < 1 || m > 12 ? 'month' : 'day';
    return { message: 'Date of birth must be a real date', first: which, fields: new Set([which]) };
  }
  if (date.getTime() > Date.now()) return { message: 'Date of birth must be in the past', first: 'day', fields: new Set(parts) };
  if (y < 1890) return { message: 'Date of birth must be a real date', first: 'year', fields: new Set(['year']) };
  return null;
}
