// Errors a use case raises; the API maps each to its HTTP status (see apps/api/src/http-errors.filter.ts).
import type { ReferralStatus } from '#domain';

export abstract class WorkflowError extends Error {
  abstract readonly httpStatus: number;
  readonly details?: unknown;
}

/** Not there, or not visible to this caller: the same answer either way. */
export class ReferralNotFoundError extends WorkflowError {
  readonly httpStatus = 404;
  constructor(what = 'Referral') {
    super(`${what} not found`);
  }
}

/** The action is not allowed from the referral's current status. */
export class TransitionConflictError extends WorkflowError {
  readonly httpStatus = 409;
  override readonly details: { currentStatus: ReferralStatus; allowedFrom?: readonly ReferralStatus[] };
  constructor(message: string, readonly currentStatus: ReferralStatus, allowedFrom?: readonly ReferralStatus[]) {
    super(message);
    this.details = { currentStatus, allowedFrom };
  }
}

/** Someone else changed the referral between our read and our write. */
export class ConcurrentChangeError extends WorkflowError {
  readonly httpStatus = 409;
  override readonly details: { currentStatus: ReferralStatus | null };
  constructor(readonly currentStatus: ReferralStatus | null) {
    super(`The referral was changed by someone else at the same time${currentStatus ? ` (it is now ${currentStatus})` : ''}; reload it and try again`);
    this.details = { currentStatus };
  }
}

/** A duplicate of something that must be unique (an open referral for the same pathway). */
export class DuplicateError extends WorkflowError {
  readonly httpStatus = 409;
  constructor(message: string, override readonly details?: unknown) {
    super(message);
  }
}

/** Well-formed but refused by a business rule. */
export class BusinessRuleError extends WorkflowError {
  readonly httpStatus = 422;
  constructor(message: string, override readonly details?: unknown) {
    super(message);
  }
}

/** The caller can see the referral but their trust is on the wrong side for this action. */
export class WrongSideError extends WorkflowError {
  readonly httpStatus = 403;
  constructor(message: string) {
    super(message);
  }
}
