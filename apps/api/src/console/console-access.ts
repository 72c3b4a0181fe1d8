// Who may open a console page, and the guard that reads the session cookie: no session, to
// sign-in (303); a form without the session's CSRF token, 403; a role without the permission, 403.
// It sets the request's caller and permission as the API's guard does, so the same audit
// interceptor records each read and change, and the use cases see the same Caller.
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { PERMISSIONS, type Permission, type Role } from '#auth';
import { ConsoleSessions, SESSION_COOKIE, cookieValue } from './console-session.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';

export const CONSOLE_PERMISSION = 'crosstrust:console-permission';
/** The permission a console page needs (the API's permission of the same action). */
export const ConsoleAccess = (permission: Permission) => SetMetadata(CONSOLE_PERMISSION, permission);

/** Not signed in (or the session timed out): the filter sends the person to sign in, then back here. */
export class SignInNeeded extends Error {
  constructor(readonly returnTo: string) {
    super('Sign in to continue');
  }
}

/** A console page's refusal, shown as a page in plain words with its status. */
export class ConsolePageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export const ROLE_NAMES: Record<Role, string> = {
  booking_clerk: 'booking clerk',
  clinician: 'clinician',
  trust_admin: 'trust admin',
  patient: 'patient',
  integration: 'integration',
};

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: ConsoleSessions,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
    const res = ctx.switchToHttp().getResponse<ConsoleResponse>();
    const opened = await this.sessions.open(cookieValue(req.headers.cookie as string | undefined, SESSION_COOKIE));
    if (!opened) throw new SignInNeeded(req.method === 'GET' ? req.url : '/console');
    const { session } = opened;
    if (opened.touch) res.header('set-cookie', await this.sessions.sessionCookie(session, true));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const form = await readForm(req);
      if (!form._csrf || !sameToken(form._csrf, session.csrf)) {
        throw new ConsolePageError(
          403,
          'This form has expired',
          'This form could not be sent: it is out of date or came from another page. Go back, reload the page and try again.',
        );
      }
    }
    req.consoleSession = session;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(CONSOLE_PERMISSION, [ctx.getHandler(), ctx.getClass()]);
    const allowed: readonly Role[] = permission ? PERMISSIONS[permission] : ['booking_clerk', 'clinician', 'trust_admin'];
    const role = allowed.find((r) => session.roles.includes(r));
    if (!role) {
      throw new ConsolePageError(403, 'You cannot use this page', `This page is for ${allowed.map((r) => `${ROLE_NAMES[r]}s`).join(' and ')}.`);
    }
    req.caller = { sub: session.sub, roles: session.roles, role, ods: session.ods, nhsNumber: null };
    if (permission) req.permission = permission;
    return true;
  }
}
