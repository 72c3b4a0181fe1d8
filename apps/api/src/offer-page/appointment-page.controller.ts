// The patient's appointment page (issue 18), no bearer token: the link in an appointment message (booked
// or moved), a date-of-birth check with the offer link's lockout and session, then the appointment and
// a request to change or cancel it with a reason, recorded through Bookings.requestChange as the
// patient (the same timeline event, task on the receiving booking team's worklist and audit row as
// POST /v1/referrals/:id/bookings/:bookingId/change-request). Works without JavaScript.
import { Controller, Get, Injectable, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { AuditService, Public, type Caller } from '#auth';
import { CHANGE_REQUEST_REASONS, type ChangeRequestReason } from '#domain';
import { momentInWords } from '#notifications';
import { PrismaService } from '#persistence';
import { Bookings, DuplicateError, TransitionConflictError, BusinessRuleError } from '#workflow';
import { OfferLinkService, SESSION_SECONDS } from './offer-link.service.js';
import { cookieOf, dobProblem, field, readForm } from './offer-page.controller.js';
import { APPOINTMENT_PAGES, COMMENT_MAX, appointmentDobPage, changePage, requestSentPage, type ChangeForm } from './appointment-views.js';
import type { BookingTeam, DobForm, FieldError } from './offer-views.js';
import { redirectPatient, runPatientPage, sendPatientPage } from './patient-page-response.js';

const COOKIE = 'appointment_session';

/** An appointment link: the message it came in, its booking as it is now, and who may open it. */
interface AppointmentLink {
  readonly notificationId: string;
  readonly referralId: string;
  readonly bookingId: string;
  readonly bookingStatus: string;
  readonly kind: string;
  readonly startsAt: Date;
  readonly past: boolean;
  readonly siteName: string;
  readonly address: string | null;
  readonly trustName: string;
  readonly bookingPhone: string | null;
  readonly bookingPhoneHours: string | null;
  readonly dateOfBirth: string;
  readonly nhsNumber: string;
  readonly lockedAt: Date | null;
  readonly openRequest: boolean;
}

@Injectable()
export class AppointmentLinks {
  constructor(private readonly prisma: PrismaService) {}

  /** The link's message, when it is an appointment message (booked or moved), with its booking. */
  async load(notificationId: string): Promise<AppointmentLink | null> {
    const { rows } = await this.prisma.sql.query<AppointmentLink>(
      `SELECT n.id AS "notificationId", n.referral_id AS "referralId", b.id AS "bookingId", b.status AS "bookingStatus", b.kind, b.starts_at AS "startsAt",
              b.starts_at <= now() AS past, s.name AS "siteName", NULLIF(concat_ws(', ', s.address, s.postcode), '') AS address,
              t.name AS "trustName", COALESCE(s.booking_phone, t.booking_phone) AS "bookingPhone", t.booking_phone_hours AS "bookingPhoneHours",
              to_char(p.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", p.nhs_number AS "nhsNumber", l.locked_at AS "lockedAt",
              EXISTS (SELECT 1 FROM task k WHERE k.referral_id = n.referral_id AND k.kind = 'appointment_change_request' AND k.status = 'OPEN'
                        AND k.detail->>'bookingId' = b.id::text) AS "openRequest"
         FROM notification n
         JOIN referral r ON r.id = n.referral_id
         JOIN patient p ON p.id = r.patient_id
         JOIN booking b ON b.referral_id = r.id AND b.id::text = n.detail->>'bookingId'
         JOIN site s ON s.ods = b.site_ods
         JOIN trust t ON t.ods = s.trust_ods
         LEFT JOIN offer_link l ON l.notification_id = n.id
        WHERE n.id = $1::uuid AND n.event IN ('appointment_booked', 'appointment_rescheduled')`,
      [notificationId],
    );
    return rows[0] ?? null;
  }
}

@ApiExcludeController()
@Controller('offer/appointment')
@Public()
export class AppointmentPageController {
  private readonly logger = new Logger('AppointmentPage');

  constructor(
    private readonly links: OfferLinkService,
    private readonly appointments: AppointmentLinks,
    private readonly bookings: Bookings,
    private readonly audit: AuditService,
  ) {}

  @Get(':token')
  async start(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.open(token, res);
      if (!link) return;
      if (this.links.sessionValid(link.notificationId, cookieOf(req, COOKIE))) return this.redirect(res, `/offer/appointment/${token}/change`);
      this.send(
        res,
        200,
        appointmentDobPage({ action: `/offer/appointment/${token}`, values: { day: '', month: '', year: '' }, errors: [], message: null, fields: new Set() }),
      );
    });
  }

  @Post(':token')
  async checkDateOfBirth(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.open(token, res);
      if (!link) return;
      const body = await readForm(req);
      const values: DobForm = { day: field(body, 'dob-day'), month: field(body, 'dob-month'), year: field(body, 'dob-year') };
      const action = `/offer/appointment/${token}`;
      const problem = dobProblem(values);
      if (problem)
        return this.send(
          res,
          400,
          appointmentDobPage({
            action,
            values,
            errors: [{ href: `dob-${problem.first}`, text: problem.message }],
            message: problem.message,
            fields: problem.fields,
          }),
        );
      const given = `${values.year}-${values.month.padStart(2, '0')}-${values.day.padStart(2, '0')}`;
      if (given !== link.dateOfBirth) {
        const left = await this.links.recordFailed(link);
        if (left === 0) return this.send(res, 403, APPOINTMENT_PAGES.locked(teamOf(link)));
        const message = `The date of birth you entered does not match our records. Check it and try again. You have ${left} more ${left === 1 ? 'try' : 'tries'} before this link is locked.`;
        return this.send(
          res,
          400,
          appointmentDobPage({ action, values, errors: [{ href: 'dob-day', text: message }], message, fields: new Set(['day', 'month', 'year']) }),
        );
      }
      if (!(await this.links.recordVerified(link))) return this.send(res, 403, APPOINTMENT_PAGES.locked(teamOf(link)));
      const secure = req.protocol === 'https';
      void res.header(
        'Set-Cookie',
        `${COOKIE}=${this.links.newSession(link.notificationId)}; Path=/offer/appointment/${token}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
      );
      this.redirect(res, `/offer/appointment/${token}/change`);
    });
  }

  @Get(':token/change')
  async change(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.open(token, res);
      if (!link) return;
      const session = cookieOf(req, COOKIE);
      if (!this.links.sessionValid(link.notificationId, session)) return this.redirect(res, `/offer/appointment/${token}`);
      await this.audit.record({ caller: callerFor(link), action: 'referral.read', referralId: link.referralId, requestId: req.id ?? null, outcome: 200 });
      this.send(res, 200, this.form(token, link, session!, { request: '', reasonCode: '', comment: '' }, []));
    });
  }

  @Post(':token/change')
  async request(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    await this.page(res, async () => {
      const link = await this.open(token, res);
      if (!link) return;
      const session = cookieOf(req, COOKIE);
      const body = await readForm(req, { bytes: 8 * 1024, fields: 10 });
      if (!this.links.sessionValid(link.notificationId, session) || !this.links.csrfValid(link.notificationId, session!, body.csrf))
        return this.redirect(res, `/offer/appointment/${token}`);
      const values: ChangeForm = {
        request: field(body, 'request'),
        reasonCode: field(body, 'reasonCode', 40),
        // Whole (the form's 8 KB bounds it): a refused comment comes back as it was written, not cut.
        comment: field(body, 'comment', Infinity),
      };
      const errors: FieldError[] = [];
      if (values.request !== 'change' && values.request !== 'cancel')
        errors.push({ href: 'request', text: 'Select whether you want another date or to cancel' });
      if (!(values.reasonCode in CHANGE_REQUEST_REASONS)) errors.push({ href: 'reasonCode', text: 'Select why you cannot come' });
      if (values.comment.length > COMMENT_MAX)
        errors.push({ href: 'comment', text: `What you tell the booking team must be ${COMMENT_MAX} characters or fewer` });
      if (errors.length) return this.send(res, 400, this.form(token, link, session!, values, errors));
      const caller = callerFor(link);
      try {
        await this.bookings.requestChange(caller, link.referralId, link.bookingId, {
          request: values.request as 'change' | 'cancel',
          reasonCode: values.reasonCode as ChangeRequestReason,
          ...(values.comment ? { note: values.comment } : {}),
        });
      } catch (e) {
        if (e instanceof DuplicateError) return this.send(res, 409, APPOINTMENT_PAGES.asked(teamOf(link)));
        if (e instanceof TransitionConflictError || e instanceof BusinessRuleError) return this.send(res, 410, APPOINTMENT_PAGES.notOpen(teamOf(link)));
        throw e;
      }
      await this.audit.record({ caller, action: 'referral.change-request', referralId: link.referralId, requestId: req.id ?? null, outcome: 201 });
      this.send(res, 200, requestSentPage(values.request as 'change' | 'cancel', teamOf(link)));
    });
  }

  /** The link if it can be used now; else the page that says why (and null). */
  private async open(token: string, res: Response): Promise<AppointmentLink | null> {
    const id = this.links.notificationIdOf(token);
    const link = id ? await this.appointments.load(id) : null;
    if (!link) this.send(res, 404, APPOINTMENT_PAGES.invalid(null));
    else if (link.lockedAt) this.send(res, 403, APPOINTMENT_PAGES.locked(teamOf(link)));
    else if (link.bookingStatus !== 'BOOKED' || link.past) this.send(res, 410, APPOINTMENT_PAGES.notOpen(teamOf(link)));
    else if (link.openRequest) this.send(res, 200, APPOINTMENT_PAGES.asked(teamOf(link)));
    else return link;
    return null;
  }

  private form(token: string, link: AppointmentLink, session: string, values: ChangeForm, errors: FieldError[]): string {
    return changePage({
      action: `/offer/appointment/${token}/change`,
      csrf: this.links.csrfFor(link.notificationId, session),
      appointment: {
        kindText: link.kind === 'procedure' ? 'procedure' : 'pre-operative assessment',
        when: momentInWords(link.startsAt.toISOString()),
        siteName: link.siteName,
        address: link.address,
        trustName: link.trustName,
      },
      values,
      errors,
      team: teamOf(link),
    });
  }

  private send(res: Response, status: number, body: string) {
    sendPatientPage(res, status, body);
  }

  private redirect(res: Response, to: string) {
    redirectPatient(res, to);
  }

  /** Runs a page; a failure shows the "problem with the service" page, logged without patient data. */
  private page(res: Response, fn: () => Promise<void>) {
    return runPatientPage(res, this.logger, 'appointment page', fn, (status) => this.send(res, status, APPOINTMENT_PAGES.invalid(null)));
  }
}

function teamOf(link: AppointmentLink): BookingTeam {
  return { trustName: link.trustName, phone: link.bookingPhone, hours: link.bookingPhoneHours };
}

/** Names the link, not the patient: what the timeline and audit trail show as the actor. */
function callerFor(link: AppointmentLink): Caller {
  return { sub: `appointment-link:${link.notificationId}`, roles: ['patient'], role: 'patient', ods: null, nhsNumber: link.nhsNumber };
}
