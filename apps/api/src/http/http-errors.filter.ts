// One error body for every failure: {statusCode, error, message, details?}; no stack traces or SQL.
// Fastify's own refusals (a body too large, a Content-Length the body did not keep) read the same.
import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendOperationOutcome } from '../fhir/operation-outcome.js';
import { Prisma } from '#prisma-client';
import { WorkflowError } from '#workflow';
import { httpStatusOf } from './error-statuses.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  [extra: string]: unknown;
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  currentStatus?: string;
}

export function errorBody(statusCode: number, message: string, details?: unknown): ErrorBody {
  const body: ErrorBody = { statusCode, error: REASONS[statusCode] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}

/** Connection failures to Postgres (down, restarting, failing over): unavailable, not broken. */
function isDatabaseUnavailable(e: unknown): boolean {
  if (e instanceof Prisma.PrismaClientInitializationError) return true;
  const err = e as { message?: string; code?: string; cause?: { code?: string; originalCode?: string; message?: string } };
  const codes = [err?.code, err?.cause?.code, err?.cause?.originalCode].filter((c): c is string => typeof c === 'string');
  // SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, crash, cannot connect now).
  if (codes.some((c) => c.startsWith('08') || /^57P0[1-3]$/.test(c) || ['P1001', 'P1002', 'P1017', 'P2024'].includes(c))) return true;
  const msg = `${err?.message ?? ''} ${err?.cause?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|connect ETIMEDOUT|timeout exceeded when trying to connect|terminating connection|server closed the connection|the database system is (starting up|shutting down|in recovery mode)|Can't reach database|not queryable|Connection ended unexpectedly|Client was closed/i.test(
    msg,
  );
}

/** Fastify's refusals of a request it could not read, in our words (its codes: fastify/lib/errors.js). */
const FASTIFY_REFUSALS: Readonly<Record<string, { status: number; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: 'Send the body as UTF-8 JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, message: 'The request body could not be read: it did not match its Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: 'The request body is not valid JSON' },
  FST_ERR_BAD_URL: { status: 400, message: 'The request path could not be read' },
};

/**
 * A request Fastify could not read (the body cut short, its connection gone, a malformed path):
 * the client's doing, so a 4xx in our words. Fastify hands these over as errors with a 4xx
 * `statusCode`, which Nest's adapter wraps in an HttpException with the error as its cause.
 */
function unreadable(e: unknown): { status: number; body: ErrorBody } | null {
  const err = (e instanceof HttpException ? e.cause : e) as { code?: unknown; statusCode?: unknown } | undefined;
  if (!err || typeof err !== 'object') return null;
  const known = typeof err.code === 'string' ? FASTIFY_REFUSALS[err.code] : undefined;
  if (known) return { status: known.status, body: errorBody(known.status, known.message) };
  if (e instanceof HttpException) return null;
  const status = err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, body: errorBody(status, 'The request could not be read') };
  return null;
}

/** No database connection free in time: too much load right now, not a fault. */
function isOverloaded(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? '');
  return /Unable to start a transaction in the given time|timeout exceeded when trying to connect/i.test(msg);
}

@Catch()
export class HttpErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toBody(exception);
    if (status === 503) this.logger.warn({ err: { message: (exception as Error)?.message?.slice(0, 200) } }, 'dependency unavailable');
    else if (status >= 500)
      this.logger.error({ err: { type: (exception as Error)?.name, message: (exception as Error)?.message?.slice(0, 300) } }, 'request failed');
    // Already answered (a body deadline's 408, request-deadlines.ts): this is the body's reading ending after it.
    if (reply.sent) return;
    if (status === 503) void reply.header('Retry-After', '5');
    this.send(host, reply, status, body);
  }

  /**
   * Writes the answer. Under /fhir/ it is an OperationOutcome even when no FHIR controller was reached
   * (an unknown path, a body that could not be read); the FHIR controller's own filter always writes one.
   */
  protected send(host: ArgumentsHost, reply: FastifyReply, status: number, body: ErrorBody): void {
    const req = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    if (req && /^\/fhir\//i.test(req.url)) return sendOperationOutcome(req, reply, status, body);
    void reply.status(status).send(body);
  }

  private toBody(e: unknown): { status: number; body: ErrorBody } {
    const refused = unreadable(e);
    if (refused) return refused;
    if (e instanceof WorkflowError) {
      const status = httpStatusOf(e);
      // A refusal about one field reads like a validation error: details [{field, messages}].
      const d = e.details as { field?: string } | undefined;
      const { field, ...rest } = d ?? {};
      const body: ErrorBody = field
        ? { ...errorBody(status, e.message, [{ field, messages: [e.message] }]), ...rest }
        : errorBody(status, e.message, e.details);
      const current = (e.details as { currentStatus?: string } | undefined)?.currentStatus;
      if (current) body.currentStatus = current;
      return { status, body };
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const r = e.getResponse();
      if (typeof r === 'object' && r && 'details' in r) return { status, body: r as ErrorBody };
      const message =
        typeof r === 'string'
          ? r
          : Array.isArray((r as { message?: unknown }).message)
            ? (r as { message: string[] }).message.join('; ')
            : String((r as { message?: string }).message ?? e.message);
      return { status, body: errorBody(status, message) };
    }
    if (isDatabaseUnavailable(e)) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, body: errorBody(503, 'The database is unavailable; try again shortly') };
    }
    if (isOverloaded(e)) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, body: errorBody(503, 'The service is busy; try again shortly') };
    }
    // Serialisation failure or deadlock (Prisma's P2034, or SQLSTATE 40001 / 40P01 from plain SQL).
    const code = (e as { code?: unknown } | null)?.code;
    if ((e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2034') || code === '40001' || code === '40P01') {
      return { status: 409, body: errorBody(409, 'A concurrent change conflicted with this one; reload and try again') };
    }
    return { status: 500, body: errorBody(500, 'Something went wrong on our side; the request was not completed') };
  }
}
