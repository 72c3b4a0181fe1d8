// Errors of the FHIR controller as FHIR OperationOutcomes (operation-outcome.ts), scoped to it: the
// statuses, the words and the logging are the API's own (HttpErrorsFilter), only the body's shape
// differs. The rest of the API keeps its error body.
import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrorsFilter, type ErrorBody } from '../http/http-errors.filter.js';
import { sendOperationOutcome } from './operation-outcome.js';

@Catch()
export class OperationOutcomeFilter extends HttpErrorsFilter {
  protected override send(host: ArgumentsHost, reply: FastifyReply, status: number, body: ErrorBody): void {
    sendOperationOutcome(host.switchToHttp().getRequest<FastifyRequest>(), reply, status, body);
  }
}
