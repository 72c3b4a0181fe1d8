// Errors a use case raises, each with a code; the HTTP edge maps codes to statuses in one table
// (apps/api/src/http/error-statuses.ts), so no library knows about HTTP. The base class, the codes
// and the refused transition are the domain's (libs/domain/src/errors.ts): its table raises that one.
import { WorkflowError, type ReferralStatus } from '#domain';

export { TransitionConflictError, WORKFLOW_ERROR_CODES, WorkflowError, type WorkflowErrorCode } from '#domain';

/** Not there, or not visible to this caller: the same answer either way. */
export class ReferralNotFoundError extends WorkflowError {
  readonly code = 'NOT_FOUND' as const;
  constructor(what = 'Referral') {
    super(`${what} not found`);
  }
}

/** Someone else changed the referral between our read and our write. */
export class ConcurrentChangeError extends WorkflowError {
  readonly code = 'CONCURRENT_CHANGE' as const;
  override readonly details: { currentStatus: ReferralStatus | null };
  constructor(readonly currentStatus: ReferralStatus | null) {
    super(`The referral was changed by someone else at the same time${currentStatus ? ` (it is now ${currentStatus})` : ''}; reload it and try again`);
    this.details = { currentStatus };
  }
}

/** A duplicate of something that must be unique (an open referral for the same pathway). */
export class DuplicateError extends WorkflowError {
  readonly code = 'DUPLICATE' as const;
  constructor(
    message: string,
    override readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Well-formed but refused by a business rule. */
export class BusinessRuleError extends WorkflowError {
  readonly code = 'BUSINESS_RULE' as const;
  constructor(
    message: string,
    override readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The caller can see the referral but their trust is on the wrong side for this action. */
export class WrongSideError extends WorkflowError {
  readonly code = 'WRONG_SIDE' as const;
  constructor(message: string) {
    super(message);
  }
}

/** An update written against a version of the referral that has since changed (BaRS: the sender's meta.lastUpdated is stale). */
export class StaleUpdateError extends WorkflowError {
  readonly code = 'CONCURRENT_CHANGE' as const;
  override readonly details: { currentStatus: ReferralStatus; field: string };
  constructor(currentStatus: ReferralStatus, changedAt: Date, field: string) {
    super(`The referral has changed since the version this update was written against (it changed at ${changedAt.toISOString()}); read it again`);
    this.details = { currentStatus, field };
  }
}
