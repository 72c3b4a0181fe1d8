// The OpenAPI document's account of failures: one `Error` schema (the body HttpErrorsFilter writes)
// and, on every operation, the error statuses it can answer with, each with that schema. Nest's
// decorators describe a route's own successes; the failures every route shares are added here in
// one place rather than by a dozen decorators on each handler. Routes under /v1 also declare the
// bearer token, so the document's "Try it out" sends it; the others declare that they need none.
import type { OpenAPIObject } from '@nestjs/swagger';
import { REFERRAL_STATUSES } from '#domain';
import { isFhirPath, OPERATION_OUTCOME_SCHEMA, OPERATION_OUTCOME_SCHEMA_NAME } from '../fhir/fhir-openapi.js';

export const ERROR_SCHEMA_NAME = 'Error';

/** The error body of every failure (apps/api/src/http/http-errors.filter.ts). */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 409 },
    error: { type: 'string', example: 'Conflict', description: 'The HTTP reason phrase' },
    message: {
      type: 'string',
      example: 'Cannot record a clinical review: the referral is AWAITING_PATIENT_CONSENT',
      description: 'What went wrong, in words for the person using the client',
    },
    details: {
      description:
        'Bad input (400) and a refusal about one field (409, 422): one entry per field, `[{field, messages}]`, the field named as the request has it (`patient.postcode`, `weeks[2].slots`). A transition refused from the current status (409): `{currentStatus, allowedFrom}`. Not ready (503 from `/health/ready`): what each dependency said, `{postgres: {status}, redis: {status, message?}}`.',
      oneOf: [
        {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'messages'],
            properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } },
          },
        },
        {
          type: 'object',
          additionalProperties: true,
          properties: {
            currentStatus: { type: 'string', nullable: true, description: 'The status now (null: the referral is gone)' },
            allowedFrom: { type: 'array', items: { type: 'string', enum: [...REFERRAL_STATUSES] } },
          },
        },
      ],
    },
    currentStatus: {
      type: 'string',
      description: "409 refused from the current status: the referral's status now (one of the referral statuses), or a task's (`DONE`)",
    },
    reason: {
      type: 'string',
      enum: ['NO_CAPACITY_LEFT', 'CAPACITY_HELD_FOR_LONGER_WAITERS'],
      description: '422 when an accepted offer cannot take a slot: no slot left at the site, or its free slots are held for patients who have waited longer',
    },
    referralId: { type: 'string', format: 'uuid', description: '409 on opening a referral: the open referral the pathway already has' },
  },
} as const;

const WHAT: Record<number, string> = {
  400: 'Bad input: `details` names each field and what is wrong with it',
  401: 'No bearer token, or one that is not valid (expired, wrong issuer or audience, bad signature)',
  403: "The caller's role may not do this",
  404: "Not found, or not visible to the caller's trust (a referral of another trust does not exist for it)",
  408: 'The body did not arrive in time (HTTP_REQUEST_TIMEOUT_MS); nothing was done: send the request again',
  409: 'Not allowed from the current status (`currentStatus` and `details.allowedFrom` say which), a duplicate, or a concurrent change: reload and try again',
  413: 'The body is too large',
  415: 'The body is not JSON in UTF-8 (or, for an import, not CSV in UTF-8; for an attachment, not a PDF, PNG or JPEG by its bytes)',
  422: 'Well formed, but refused by a business rule (`message` says which; `reason` when a client must act on it)',
  429: 'Too many requests this minute (`Retry-After` says when to try again): from this caller (`RATE_LIMIT_PER_MINUTE`), or, without a valid token, from this address (`PUBLIC_RATE_LIMIT_PER_MINUTE`)',
  503: 'Postgres or Redis is unavailable (`Retry-After` says when to try again)',
};

/** Statuses every route of the versioned API can answer with: no or a bad token, a role not allowed, the rate limit, Postgres or Redis away. */
const EVERY_V1_ROUTE = [401, 403, 429, 503];
/** The JSON body parser runs before every route: any POST, PUT or PATCH can be too slow to arrive (408), too large (413) or not UTF-8 JSON (415). */
const WITH_BODY = [408, 413, 415];

/**
 * What else each operation can answer with, from its handler and the workflow code it calls (a
 * `BusinessRuleError` is 422, a `TransitionConflictError` or `DuplicateError` 409, a not-found
 * error 404; a DTO or a uuid path parameter that fails validation 400). Every operation of the
 * document must be listed here: the e2e test fails on one that is not, so a new route is
 * classified when it is added.
 */
export const OPERATION_ERRORS: Readonly<Record<string, readonly number[]>> = {
  'get /health/live': [],
  'get /health/ready': [503],
  'get /v1/audit': [400],
  'get /v1/capacity': [],
  'put /v1/capacity/{ods}/{specialty}': [400, 422],
  'post /v1/matching/runs': [400],
  'get /v1/matching/runs/{id}': [400, 404],
  // Patient-initiated mutual aid (PIDMAS).
  'post /v1/pidmas/cohorts': [400],
  'get /v1/pidmas/cohorts': [],
  'get /v1/pidmas/reason-codes': [],
  'get /v1/pidmas/opt-ins': [400],
  'get /v1/pidmas/opt-ins/no-capacity.csv': [],
  'post /v1/pidmas/opt-ins/{id}/review': [400, 404, 409, 422],
  'get /v1/insights/{chart}': [400],
  'post /v1/insights/refresh': [],
  'get /v1/patient/referrals': [],
  'post /v1/referrals': [400, 404, 409, 422],
  'get /v1/referrals': [400, 422],
  'get /v1/referrals/summary': [],
  'get /v1/referrals/{id}': [400, 404],
  'get /v1/referrals/{id}/notifications': [400, 404],
  'get /v1/referrals/{id}/additional-requirements': [400, 404],
  'put /v1/referrals/{id}/additional-requirements': [400, 404, 409],
  'post /v1/referrals/{id}/clinical-review': [400, 404, 409, 422],
  'post /v1/referrals/{id}/consent': [400, 404, 409, 422],
  'post /v1/referrals/{id}/receiver-decision': [400, 404, 409, 422],
  'post /v1/referrals/{id}/bookings': [400, 404, 409, 422],
  'post /v1/referrals/{id}/bookings/{bookingId}/cancel': [400, 404, 409],
  'post /v1/referrals/{id}/treatment': [400, 404, 409, 422],
  'post /v1/referrals/{id}/discharge': [400, 404, 409, 422],
  'post /v1/referrals/{id}/follow-up': [400, 404, 409],
  'post /v1/referrals/{id}/handback-decision': [400, 404, 409, 422],
  'post /v1/referrals/{id}/withdraw': [400, 404, 409],
  'post /v1/referrals/{id}/retry': [400, 404, 409],
  'post /v1/referrals/{id}/cancel': [400, 404, 409],
  'patch /v1/referrals/{id}/patient-contact': [400, 404, 409],
  'patch /v1/referrals/{id}/clinical-information': [400, 404, 409, 422],
  'post /v1/referrals/{id}/information-requests': [400, 404, 409],
  'post /v1/referrals/{id}/information-requests/{requestId}/answer': [400, 404, 409],
  'post /v1/referrals/{id}/return-to-referrer': [400, 404, 409],
  'post /v1/referrals/{id}/reoffer': [400, 404, 409, 422],
  'post /v1/referrals/{id}/close-to-origin': [400, 404, 409],
  'post /v1/referrals/{id}/attachments': [400, 404],
  'get /v1/referrals/{id}/attachments': [400, 404],
  'get /v1/referrals/{id}/attachments/{attachmentId}': [400, 404],
  'get /v1/reason-codes': [],
  'get /v1/tasks': [400, 422],
  'post /v1/tasks/{id}/complete': [400, 404, 409],
  'get /v1/team-contacts': [],
  'put /v1/team-contacts/{team}': [400, 422],
  'post /v1/waiting-list/imports': [400, 422],
  'get /v1/waiting-list/imports/{id}': [400, 404, 422],
  'get /v1/long-waiters': [400, 422],
  'get /v1/referrals/{id}/fhir': [400, 404],
  // Booking as it really goes (issue 18, booking)
  'post /v1/clinics': [400, 422],
  'get /v1/clinics': [400],
  'get /v1/booking-policy': [],
  'put /v1/booking-policy': [400, 422],
  'post /v1/referrals/{id}/bookings/{bookingId}/reschedule': [400, 404, 409, 422],
  'post /v1/referrals/{id}/bookings/{bookingId}/did-not-attend': [400, 404, 409, 422],
  'post /v1/referrals/{id}/bookings/{bookingId}/change-request': [400, 404, 409, 422],
  // Public, but limited per address like every request without a token (PUBLIC_RATE_LIMIT_PER_MINUTE).
  'get /fhir/r4/metadata': [429],
  'post /fhir/r4/$process-message': [400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 503],
  'get /v1/directory/sites': [400, 422],
  'put /v1/directory/sites/{siteOds}': [400, 403, 422],
  'post /v1/directory/sites/{siteOds}/services': [400, 403, 404, 409, 422],
  'put /v1/directory/services/{id}': [400, 403, 404, 409, 422],
  'post /v1/postcodes/loads': [400, 408, 413, 415, 422],
  'get /v1/group': [404],
  'post /v1/group/trusts': [400, 403, 409, 422],
};

/** The error statuses `method` on `path` can answer with, besides those its handler documents. */
function sharedErrors(path: string, method: string): number[] {
  const own = OPERATION_ERRORS[`${method} ${path}`] ?? [];
  if (!path.startsWith('/v1/')) return [...own];
  return [...EVERY_V1_ROUTE, ...own, ...(method === 'post' || method === 'put' || method === 'patch' ? WITH_BODY : [])];
}

/** Adds the Error schema, the shared error responses and the bearer requirement to `doc` (in place; returned). */
export function documentErrors(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA as never;
  doc.components.schemas[OPERATION_OUTCOME_SCHEMA_NAME] = OPERATION_OUTCOME_SCHEMA as never;
  const errorContent = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` } } };
  // The FHIR routes answer errors as OperationOutcomes, in FHIR's media type (and JSON's, as FHIR servers do).
  const outcome = { schema: { $ref: `#/components/schemas/${OPERATION_OUTCOME_SCHEMA_NAME}` } };
  const fhirContent = { 'application/fhir+json': outcome, 'application/json': outcome };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      // Health needs no token: it says so (an empty list) rather than leaving it unsaid.
      op.security ??= path.startsWith('/v1/') ? [{ bearer: [] }] : [];
      for (const status of sharedErrors(path, method)) {
        op.responses[String(status)] ??= { description: WHAT[status] };
      }
      // Every failure a handler documents (or that was added above) has the one error body.
      const content = isFhirPath(path) ? fhirContent : errorContent;
      for (const [status, response] of Object.entries(op.responses)) {
        if (response && Number(status) >= 400 && !('$ref' in response)) response.content ??= content;
      }
    }
  }
  return doc;
}
