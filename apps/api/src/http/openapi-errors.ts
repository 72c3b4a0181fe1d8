// The OpenAPI document's account of failures: one `Error` schema (the body HttpErrorsFilter writes)
// and, on every operation, the error statuses it can answer with, each with that schema. Nest's
// decorators describe a route's own successes; the failures every route shares are added here in
// one place rather than by a dozen decorators on each handler. Routes under /v1 also declare the
// bearer token, so the document's "Try it out" sends it.
import type { OpenAPIObject } from '@nestjs/swagger';
import { REFERRAL_STATUSES } from '#domain';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

export const ERROR_SCHEMA_NAME = 'Error';

/** The error body of every failure (apps/api/src/http/http-errors.filter.ts). */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 409 },
    error: { type: 'string', example: 'Conflict', description: 'The HTTP reason phrase' },
    message: { type: 'string', example: 'Cannot record a clinical review: the referral is AWAITING_PATIENT_CONSENT', description: 'What went wrong, in words for the person using the client' },
    details: {
      description:
        'Bad input (400) and a refusal about one field (409, 422): one entry per field, `[{field, messages}]`, the field named as the request has it (`patient.postcode`, `weeks[2].slots`). A transition refused from the current status (409): `{currentStatus, allowedFrom}`.',
      oneOf: [
        {
          type: 'array',
          items: { type: 'object', required: ['field', 'messages'], properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } },
        },
        {
          type: 'object',
          properties: { currentStatus: { type: 'string', enum: [...REFERRAL_STATUSES] }, allowedFrom: { type: 'array', items: { type: 'string', enum: [...REFERRAL_STATUSES] } } },
        },
      ],
    },
    currentStatus: { type: 'string', enum: [...REFERRAL_STATUSES], description: '409 on a referral: the status it is in now' },
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
  409: 'Not allowed from the referral\'s current status (`currentStatus` and `details.allowedFrom` say which), or a concurrent change: reload and try again',
  413: 'The body is too large',
  422: 'Well formed, but refused by a business rule (`message` says which; `reason` when a client must act on it)',
  429: 'Too many requests from this caller this minute (`Retry-After` says when to try again)',
  503: 'Postgres or Redis is unavailable (`Retry-After` says when to try again)',
};

/** The error statuses `method` on `path` can answer with, besides those its handler documents. */
function sharedErrors(path: string, method: string, op: Operation): number[] {
  if (!path.startsWith('/v1/')) return path === '/health/ready' ? [503] : [];
  const out = [401, 403, 429, 503];
  const hasQuery = (op.parameters ?? []).some((p) => 'in' in p && p.in === 'query');
  if (op.requestBody || hasQuery || path.includes('{')) out.push(400);
  if (op.requestBody) out.push(413);
  if (path.includes('{')) out.push(404);
  // Every command on a referral is a transition (409 from the wrong status) with business rules (422).
  if (method === 'post' && /^\/v1\/referrals\/\{id\}\//.test(path)) out.push(409, 422);
  if (method === 'put' || (method === 'post' && !/^\/v1\/referrals\/\{id\}\//.test(path))) out.push(422);
  return out;
}

/** Adds the Error schema, the shared error responses and the bearer requirement to `doc` (in place; returned). */
export function documentErrors(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA as never;
  const content = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` } } };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      if (path.startsWith('/v1/')) op.security ??= [{ bearer: [] }];
      for (const status of sharedErrors(path, method, op)) {
        op.responses[String(status)] ??= { description: WHAT[status]! };
      }
      // Every failure a handler documents (or that was added above) has the one error body.
      for (const [status, response] of Object.entries(op.responses)) {
        if (response && Number(status) >= 400 && !('$ref' in response)) response.content ??= content;
      }
    }
  }
  return doc;
}
