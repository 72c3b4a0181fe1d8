// The one table of HTTP statuses for the workflow's error codes (libs/workflow/src/workflow-errors.ts):
// the libraries say what went wrong, only the HTTP edge says how that reads over HTTP.
import { WorkflowError, type WorkflowErrorCode } from '#workflow';

export const HTTP_STATUS_OF_CODE: Readonly<Record<WorkflowErrorCode, number>> = {
  NOT_FOUND: 404,
  TRANSITION_REFUSED: 409,
  CONCURRENT_CHANGE: 409,
  DUPLICATE: 409,
  BUSINESS_RULE: 422,
  WRONG_SIDE: 403,
  UPLOAD_UNREADABLE: 400,
  UPLOAD_TOO_SLOW: 408,
  UPLOAD_TOO_LARGE: 413,
  UPLOAD_NOT_CSV: 415,
  UPLOADS_BUSY: 429,
  ATTACHMENT_TYPE: 415,
};

export function httpStatusOf(e: WorkflowError): number {
  return HTTP_STATUS_OF_CODE[e.code];
}
