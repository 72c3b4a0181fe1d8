// What can go wrong, as codes: the base of every error the rules and the use cases raise, and the
// one the transition table raises itself. libs/workflow adds the others (workflow-errors.ts); the
// HTTP edge maps each code to a status in one table (apps/api/src/http/error-statuses.ts).
import type { ReferralStatus } from './referral-status.js';

/** What went wrong, as a code the edges (HTTP, the offer page) map to their own answers. */
export const WORKFLOW_ERROR_CODES = [
  'NOT_FOUND',
  'TRANSITION_REFUSED',
  'CONCURRENT_CHANGE',
  'DUPLICATE',
  'BUSINESS_RULE',
  'WRONG_SIDE',
  'UPLOAD_UNREADABLE',
  'UPLOAD_TOO_SLOW',
  'UPLOAD_TOO_LARGE',
  'UPLOAD_NOT_CSV',
  'UPLOADS_BUSY',
  'ATTACHMENT_TYPE',
] as const;
export type WorkflowErrorCode = (typeof WORKFLOW_ERROR_CODES)[number];

/** Here, not in libs/workflow, so that the domain's own refusal (below) is one of them. */
export abstract class WorkflowError extends Error {
  abstract readonly code: WorkflowErrorCode;
  readonly details?: unknown;
}

/** The action is not allowed from the referral's current status. */
export class TransitionConflictError extends WorkflowError {
  readonly code = 'TRANSITION_REFUSED' as const;
  override readonly details: { currentStatus: ReferralStatus; allowedFrom?: readonly ReferralStatus[] };
  constructor(
    message: string,
    readonly currentStatus: ReferralStatus,
    allowedFrom?: readonly ReferralStatus[],
  ) {
    super(message);
    this.details = { currentStatus, allowedFrom };
  }
}
