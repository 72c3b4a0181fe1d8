// A failure as a FHIR OperationOutcome: the API's own status, words and fields (the common error
// body HttpErrorsFilter makes), in FHIR's shape, with a field named by FHIRPath as its expression.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ErrorBody } from '../http/http-errors.filter.js';
import { echoCorrelationId, FHIR_JSON } from './fhir-http.js';

type IssueType = OperationOutcomeIssue['code'];

/** OperationOutcome's issue type for each status the API answers with. */
const ISSUE_TYPE: Readonly<Record<number, IssueType>> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  408: 'timeout',
  409: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
  503: 'transient',
};

/** A field named as FHIRPath (Bundle.entry[1].resource.status) rather than as a header or parameter. */
const FHIRPATH = /^[A-Z][A-Za-z]+(\.|\[|$)/;

export function operationOutcome(status: number, body: ErrorBody): OperationOutcome {
  const code = ISSUE_TYPE[status] ?? 'exception';
  const fields = Array.isArray(body.details) ? (body.details as Array<{ field?: unknown; messages?: unknown; code?: unknown }>) : [];
  const issue: OperationOutcomeIssue[] = fields
    .filter((d) => typeof d.field === 'string')
    .map((d) => {
      const field = d.field as string;
      const text = Array.isArray(d.messages) ? d.messages.join('; ') : body.message;
      const fhirPath = FHIRPATH.test(field) && field !== 'X-Request-ID' && field !== 'X-Correlation-ID';
      return {
        severity: 'error' as const,
        code: typeof d.code === 'string' ? (d.code as IssueType) : code,
        details: { text },
        diagnostics: fhirPath ? text : `${field}: ${text}`,
        ...(fhirPath ? { expression: [field] } : {}),
      };
    });
  if (issue.length === 0) issue.push({ severity: status >= 500 ? 'fatal' : 'error', code, details: { text: body.message }, diagnostics: body.message });
  return { resourceType: 'OperationOutcome', issue };
}

/** Writes the failure as an OperationOutcome in application/fhir+json, echoing X-Correlation-ID. */
export function sendOperationOutcome(req: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody): void {
  echoCorrelationId(req, reply);
  void reply.status(status).header('Content-Type', FHIR_JSON).send(operationOutcome(status, body));
}
