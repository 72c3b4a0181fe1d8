// Every console error as a page in plain words, never JSON or a stack trace: sign-in needed is a
// redirect; a referral this person cannot see is "not found" (as the API's 404); anything
// unexpected is logged and shown as "Sorry, there is a problem with the service".
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { WorkflowError } from '#workflow';
import { httpStatusOf } from '../http/error-statuses.js';
import { ConsolePageError, ROLE_NAMES, SignInNeeded } from './console-access.js';
import { FormTooLargeError, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { renderPage } from './views.js';
import { securityHeaders } from './console-headers.js';

const PLAIN: Record<number, [string, string]> = {
  400: ['There is a problem with this request', 'Go back and check what you entered.'],
  403: ['You cannot do this', 'Your role does not allow it.'],
  404: ['Page not found', 'If you typed the web address, check it is correct. If you pasted it, check you copied the whole address.'],
  413: ['That was too much', 'The form sent more than a page allows. Go back and try again.'],
};

@Catch()
export class ConsoleErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  catch(e: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<ConsoleResponse & { send(body: string): void }>();
    if (e instanceof SignInNeeded) {
      res.status(303);
      res.header('location', `/console/sign-in?returnTo=${encodeURIComponent(e.returnTo)}`);
      res.header('cache-control', 'no-store');
      res.send('');
      return;
    }
    let status = 500;
    let title = 'Sorry, there is a problem with the service';
    let message = 'Try again later. If it keeps happening, tell your trust’s service desk.';
    if (e instanceof ConsolePageError) {
      ({ status, title, message } = e);
    } else if (e instanceof FormTooLargeError) {
      status = 413;
      [title, message] = PLAIN[413];
    } else if (e instanceof WorkflowError || e instanceof HttpException) {
      status = e instanceof WorkflowError ? httpStatusOf(e) : e.getStatus();
      if (status >= 500) this.logger.error(e);
      else [title, message] = PLAIN[status] ?? [PLAIN[400][0], e.message];
    } else {
      this.logger.error(e instanceof Error ? e : new Error(String(e)));
    }
    const nonce = securityHeaders(res, null);
    res.status(status);
    res.send(
      renderPage('error.njk', {
        title,
        message,
        cspNonce: nonce,
        user: req.consoleSession
          ? { name: req.consoleSession.name, roleName: ROLE_NAMES[req.caller?.role ?? 'booking_clerk'], trustName: req.consoleSession.trustName }
          : null,
        csrf: req.consoleSession?.csrf,
        signedIn: Boolean(req.consoleSession),
      }),
    );
  }
}
