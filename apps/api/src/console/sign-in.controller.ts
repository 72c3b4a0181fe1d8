// Signing in and out of the console: OpenID Connect authorization code flow with PKCE (state,
// nonce and verifier kept in a short-lived encrypted cookie), then the session cookie; signing out
// clears it and ends the identity provider's session too.
import { Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PERMISSIONS, Public } from '#auth';
import { PrismaService } from '#persistence';
import { ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { securityHeaders } from './console-headers.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { ConsoleSessions, SESSION_COOKIE, SIGN_IN_COOKIE, cookieValue, safeReturnTo } from './console-session.js';
import { IdentityProvider, SignInRefusedError } from './identity-provider.js';
import { renderPage } from './views.js';
import { seeOther } from './console-render.js';

/** Post-redirect-get, setting the sign-in's cookies on the way. */
function redirect(res: ConsoleResponse, location: string, cookies: string[]): string {
  res.header('set-cookie', cookies);
  return seeOther(res, location);
}

@ApiExcludeController()
@Public()
@UseFilters(ConsoleErrorsFilter)
@Controller('console')
export class SignInController {
  constructor(
    private readonly idp: IdentityProvider,
    private readonly sessions: ConsoleSessions,
    private readonly prisma: PrismaService,
  ) {}

  @Get('sign-in')
  async signIn(@Query('returnTo') returnTo: unknown, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!this.idp.configured) throw new ConsolePageError(503, 'Sign-in is not set up', 'This service has no identity provider configured (OIDC_ISSUER_URL).');
    const start = await this.refusedAsPage(() => this.idp.authorizationUrl());
    const cookie = await this.sessions.signInCookie({ state: start.state, nonce: start.nonce, verifier: start.verifier, returnTo: safeReturnTo(returnTo) });
    return redirect(res, start.url, [cookie]);
  }

  @Get('auth/callback')
  async callback(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const pending = await this.sessions.openSignIn(cookieValue(req.headers.cookie as string | undefined, SIGN_IN_COOKIE));
    if (!pending) throw new ConsolePageError(400, 'Your sign-in has expired', 'Sign-in took too long or was started in another window. Sign in again.');
    const url = new URL(req.url, this.idp.redirectUri());
    const person = await this.refusedAsPage(() => this.idp.person(url, pending));
    const { rows } = await this.prisma.sql.query<{ name: string }>('SELECT name FROM trust WHERE ods = $1', [person.ods]);
    if (!rows[0]) throw new ConsolePageError(403, 'Your organisation does not use crosstrust', `${person.ods} is not a trust of the group.`);
    const session = this.sessions.newSession({ ...person, trustName: rows[0].name });
    // The additional requirements manager has no worklists: their home is the page where they find a patient.
    const onlyRequirements =
      person.roles.includes('additional_requirements_manager') && !person.roles.some((r) => (PERMISSIONS['referral.list'] as readonly string[]).includes(r));
    const to = onlyRequirements && pending.returnTo === '/console' ? '/console/additional-requirements' : pending.returnTo;
    return redirect(res, to, [await this.sessions.sessionCookie(session), this.sessions.cleared(SIGN_IN_COOKIE)]);
  }

  @Post('sign-out')
  async signOut(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    // Signing out needs no valid session (it may have timed out), but a form from this session if there is one.
    const opened = await this.sessions.open(cookieValue(req.headers.cookie as string | undefined, SESSION_COOKIE));
    const form = await readForm(req);
    if (opened && form._csrf !== opened.session.csrf) {
      throw new ConsolePageError(
        403,
        'This form has expired',
        'This form could not be sent: it is out of date or came from another page. Go back, reload the page and try again.',
      );
    }
    const end = await this.idp.endSessionUrl();
    return redirect(res, end ?? '/console/signed-out', [this.sessions.cleared(SESSION_COOKIE)]);
  }

  @Get('signed-out')
  signedOut(@Res({ passthrough: true }) res: ConsoleResponse): string {
    const cspNonce = securityHeaders(res, null);
    return renderPage('signed-out.njk', { title: 'You have signed out', cspNonce });
  }

  @Get('accessibility')
  accessibility(@Res({ passthrough: true }) res: ConsoleResponse): string {
    return renderPage('static.njk', {
      title: 'Accessibility statement for the crosstrust staff console',
      cspNonce: securityHeaders(res, null),
      paragraphs: [
        'The Foundation Group of NHS trusts runs this console for booking teams, clinicians and trust admins. We want as many people as possible to be able to use it: to change colours, contrast and fonts, zoom in up to 400% without text spilling off the screen, and get around it using just a keyboard or a screen reader.',
        'It is built with the NHS.UK design system and tested against the Web Content Accessibility Guidelines (WCAG) 2.2 level AA with automated checks on every page of the journeys our tests follow, and by keyboard.',
        "If you find a problem, tell your trust's service desk: we aim to reply within 5 working days.",
      ],
    });
  }

  @Get('privacy')
  privacy(@Res({ passthrough: true }) res: ConsoleResponse): string {
    return renderPage('static.njk', {
      title: 'Privacy notice for staff using crosstrust',
      cspNonce: securityHeaders(res, null),
      paragraphs: [
        'When you sign in we keep your name, role and trust in an encrypted cookie for as long as you are signed in, and record what you read and change of patients’ referrals in an audit trail your trust can see.',
        'Patients’ details are shown to you only for referrals your trust is part of, and only as much as your role needs. Do not copy them out of the console.',
      ],
    });
  }

  private async refusedAsPage<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SignInRefusedError)
        throw new ConsolePageError(e.message.includes('cannot be reached') ? 503 : 403, 'You could not be signed in', e.message);
      throw e;
    }
  }
}
