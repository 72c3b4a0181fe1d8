// Who may open a console page, and the guard that reads the session cookie: no session, to
// sign-in (303); a form without the session's CSRF token, 403 (a file upload's token is checked as it
// streams: ConsoleUpload); a role without the permission, 403.
// It sets the request's caller and permission as the API's guard does, so the same audit
// interceptor records each read and change, and the use cases see the same Caller.
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { PERMISSIONS, type Permission, type Role } from '#auth';
import { ConsoleSessions, type ConsoleSession } from './console-session.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';

export const CONSOLE_PERMISSION = 'crosstrust:console-permission';
/** The permission a console page needs (the API's permission of the same action). */
export const ConsoleAccess = (permission: Permission) => SetMetadata(CONSOLE_PERMISSION, permission);

const CONSOLE_UPLOAD = 'crosstrust:console-upload';
/**
 * A route that takes a file (multipart/form-data): its CSRF token is the form's first field, which
 * the handler checks as the body streams, before any of the file is used (console-upload.ts). The
 * guard cannot read it without reading the file first. Any other type posted there is checked here.
 */
export const ConsoleUpload = () => SetMetadata(CONSOLE_UPLOAD, true);

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
  additional_requirements_manager: 'additional requirements manager',
  group_admin: 'group admin',
};

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether a form's `_csrf` is the session's token. */
export function csrfMatches(sent: string | undefined, session: ConsoleSession): boolean {
  return Boolean(sent) && sameToken(sent!, session.csrf);
}

/** The refusal of a form without the session's CSRF token. */
export function formExpired(): ConsolePageError {
  return new ConsolePageError(
    403,
    'This form has expired',
    'This form could not be sent: it is out of date or came from another page. Go back, reload the page and try again.',
  );
}

const isMultipart = (req: ConsoleRequest) => /^multipart\/form-data\s*;/i.test(String(req.headers['content-type'] ?? ''));

@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: ConsoleSessions,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
    const res = ctx.switchToHttp().getResponse<ConsoleResponse>();
    const opened = await this.sessions.openFor(req, req.headers.cookie as string | undefined);
    if (!opened) throw new SignInNeeded(req.method === 'GET' ? req.url : '/console');
    const { session } = opened;
    if (opened.touch) res.header('set-cookie', await this.sessions.sessionCookie(session, true));
    const upload = this.reflector.getAllAndOverride<boolean | undefined>(CONSOLE_UPLOAD, [ctx.getHandler(), ctx.getClass()]) === true && isMultipart(req);
    if (req.method !== 'GET' && req.method !== 'HEAD' && !upload) {
      const form = await readForm(req);
      if (!csrfMatches(form._csrf, session)) throw formExpired();
    }
    req.consoleSession = session;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(CONSOLE_PERMISSION, [ctx.getHandler(), ctx.getClass()]);
    const allowed: readonly Role[] = permission ? PERMISSIONS[permission] : ['booking_clerk', 'clinician', 'trust_admin'];
    const role = allowed.find((r) => session.roles.includes(r));
    if (!role) {
      throw new ConsolePageError(403, 'You cannot use this page', `This page is for ${allowed.map((r) => `${ROLE_NAMES[r]}s`).join(' and ')}.`);
    }
    req.caller = { sub: session.sub, roles: session.roles, role, ods: session.ods, nhsNumber: null, name: session.name };
    if (permission) req.permission = permission;
    return true;
  }
}
