// How every form on the referral page is answered: the use case runs; 303 back to the referral on
// success; the page again with an error summary (400) for a mistake or a rule the use case refused
// (422); with "moved on" (409) when someone else changed it first. One copy, for every controller
// of the referral page's forms.
import { Injectable } from '@nestjs/common';
import type { Caller } from '#auth';
import { isUuid } from '#domain';
import { BusinessRuleError, ConcurrentChangeError, DuplicateError, TransitionConflictError, WrongSideError } from '#workflow';
import { ConsolePageError } from './console-access.js';
import { readForm, type ConsoleRequest, type ConsoleResponse } from './console-request.js';
import { IdentityProvider } from './identity-provider.js';
import { ReferralPage, movedOnBanner, type Banner, type FormProblem } from './referral-page.js';
import { renderForSession, seeOther } from './console-render.js';

export type FieldError = { field: string; text: string };
export type Form = Record<string, string>;

/** A mistake in a form, found before any use case runs. */
export class FormErrors extends Error {
  constructor(readonly errors: FieldError[]) {
    super('The form has mistakes');
  }
}

/** A field's text, trimmed (readForm has made each line break one character). */
export { field as formText } from './console-forms.js';

export function check(errors: FieldError[], ok: boolean, field: string, message: string): void {
  if (!ok) errors.push({ field, text: message });
}

@Injectable()
export class ReferralForms {
  constructor(
    private readonly page: ReferralPage,
    private readonly idp: IdentityProvider,
  ) {}

  /** Reads the form and runs `run` with it (see the file's header for the answers). */
  async act(action: string, id: string, req: ConsoleRequest, res: ConsoleResponse, run: (caller: Caller, form: Form) => Promise<void>): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no referral at this address, or it is not one your trust can see.');
    const form = await readForm(req);
    return this.answer(action, id, req, res, form, () => run(req.caller!, form));
  }

  /** Runs `run` (the form already read: `form`, for the values shown again) and answers as act does. */
  async answer(action: string, id: string, req: ConsoleRequest, res: ConsoleResponse, form: Form, run: () => Promise<void>): Promise<string> {
    try {
      await run();
    } catch (e) {
      const values = Object.fromEntries(Object.entries(form).filter(([k]) => k !== '_csrf'));
      if (e instanceof FormErrors) return this.again(req, res, 400, id, { problem: { action, errors: e.errors, values } });
      if (e instanceof TransitionConflictError || e instanceof ConcurrentChangeError) {
        const status = e.currentStatus;
        const banner: Banner = status
          ? movedOnBanner(status)
          : {
              title: 'This referral has moved on',
              text: 'This referral has moved on: someone else changed it just now. Check it before you do anything else.',
            };
        return this.again(req, res, 409, id, { banner });
      }
      if (e instanceof BusinessRuleError || e instanceof WrongSideError || e instanceof DuplicateError) {
        const details = e.details as { field?: string } | Array<{ field?: string }> | undefined;
        const field = (Array.isArray(details) ? details[0]?.field : details?.field) ?? 'form';
        const status = e instanceof DuplicateError ? 409 : 422;
        return this.again(req, res, status, id, {
          problem: { action, errors: [{ field: field.replace(/^clinicalInformation\./, ''), text: e.message }], values },
        });
      }
      throw e;
    }
    return seeOther(res, `/console/referrals/${id}?done=${action}`);
  }

  async again(req: ConsoleRequest, res: ConsoleResponse, status: number, id: string, opts: { problem?: FormProblem; banner?: Banner }): Promise<string> {
    return renderForSession(req, res, this.idp, 'referral.njk', await this.page.context(req.caller!, id, opts), status);
  }
}
