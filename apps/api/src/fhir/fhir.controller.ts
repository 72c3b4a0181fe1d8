// The FHIR routes: the referral as a UK Core Bundle, the CapabilityStatement, and BaRS-shaped
// intake ($process-message). Errors here are OperationOutcomes (OperationOutcomeFilter).
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Bundle, MessageHeader } from '@medplum/fhirtypes';
import { APP_CONFIG, type AppConfig } from '#config';
import { CurrentCaller, Public, RequirePermission, type Caller } from '#auth';
import { isUuid } from '#domain';
import {
  BarsIntake,
  capabilityStatement,
  FhirExport,
  readBarsMessage,
  SYSTEMS,
  UK_CORE,
  WorkflowError,
  type FhirIssue,
  type NewReferralMessage,
} from '#workflow';
import { uuidParam } from '../http/uuid-param.js';
import { errorBody } from '../http/http-errors.filter.js';
import { httpStatusOf } from '../http/error-statuses.js';
import { validationPipe } from '../http/validation.js';
import { CreateReferralDto, newReferralFrom } from '../dto/referral.dto.js';
import { OperationOutcomeFilter } from './operation-outcome.filter.js';
import { echoCorrelationId, FHIR_JSON, fhirBase } from './fhir-http.js';
import { FHIR_RESOURCE_SCHEMA } from './fhir-openapi.js';

const STARTED = new Date().toISOString();

/** A refusal of the whole message: 422 naming each problem by FHIRPath (the filter makes it an OperationOutcome). */
function unprocessable(issues: readonly FhirIssue[]): HttpException {
  const message = `The message does not conform: ${issues.map((i) => `${i.expression}: ${i.message}`).join('; ')}`;
  return new HttpException(
    errorBody(
      422,
      message,
      issues.map((i) => ({ field: i.expression, messages: [i.message], code: i.code })),
    ),
    422,
  );
}

@ApiTags('fhir')
@UseFilters(OperationOutcomeFilter)
@Controller()
export class FhirController {
  /** The FHIR base URL, for fullUrls. */
  private readonly base: string;

  constructor(
    private readonly fhir: FhirExport,
    private readonly intake: BarsIntake,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.base = fhirBase(config.http.publicBaseUrl);
  }

  @Get('v1/referrals/:id/fhir')
  @RequirePermission('referral.fhir-export')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({
    summary:
      'The referral as FHIR R4 UK Core resources: a collection Bundle (Patient, Organizations, Locations, ServiceRequest, Task, EpisodeOfCare for the RTT period, Appointments, Procedure, Composition)',
    description:
      'Staff of a party trust; minimised by role as GET /v1/referrals/{id} is (the discharge summary text only to clinicians). Errors are OperationOutcomes.',
  })
  @ApiHeader({ name: 'X-Correlation-ID', required: false, description: 'Echoed on the answer' })
  @ApiOkResponse({
    description: 'A FHIR Bundle of type collection',
    content: { 'application/fhir+json': { schema: FHIR_RESOURCE_SCHEMA }, 'application/json': { schema: FHIR_RESOURCE_SCHEMA } },
  })
  async export(
    @CurrentCaller() caller: Caller,
    @Param('id', uuidParam('id')) id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Bundle> {
    echoCorrelationId(req, res);
    return this.fhir.bundle(caller, id, this.base);
  }

  @Get('fhir/r4/metadata')
  @Public()
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({ summary: 'The CapabilityStatement: what the FHIR endpoints support (no token needed)' })
  @ApiOkResponse({
    description: 'A FHIR CapabilityStatement',
    content: { 'application/fhir+json': { schema: FHIR_RESOURCE_SCHEMA }, 'application/json': { schema: FHIR_RESOURCE_SCHEMA } },
  })
  metadata(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply) {
    echoCorrelationId(req, res);
    return capabilityStatement(this.base, STARTED);
  }

  @Post('fhir/r4/$process-message')
  @HttpCode(200)
  @RequirePermission('fhir.process-message')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({
    summary:
      'BaRS-shaped intake: a servicerequest-request message opens a referral (reason new) or withdraws or cancels one (update: ServiceRequest revoked or entered-in-error)',
    description:
      'Integration role, for its own trust. The answer is a response message: MessageHeader (response.code ok) and the referral as a ServiceRequest (its id, and meta.lastUpdated for a later update). A message that does not conform is refused whole: 422 with an OperationOutcome naming each problem by FHIRPath.',
  })
  @ApiHeader({ name: 'X-Request-ID', required: true, description: 'A UUID per message; the same one again answers 409' })
  @ApiHeader({ name: 'X-Correlation-ID', required: false, description: 'Echoed on the answer' })
  @ApiBody({ description: 'A FHIR message Bundle', schema: FHIR_RESOURCE_SCHEMA })
  @ApiOkResponse({
    description: 'A FHIR response message Bundle',
    content: { 'application/fhir+json': { schema: FHIR_RESOURCE_SCHEMA }, 'application/json': { schema: FHIR_RESOURCE_SCHEMA } },
  })
  async processMessage(
    @CurrentCaller() caller: Caller,
    @Body() body: unknown,
    @Headers('x-request-id') requestId: string | undefined,
    @Req() req: FastifyRequest & { auditReferralId?: string },
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Bundle> {
    echoCorrelationId(req, res);
    if (!requestId || !isUuid(requestId)) {
      const message = requestId ? 'X-Request-ID must be a UUID' : 'X-Request-ID is required: a UUID per message';
      throw new BadRequestException(errorBody(400, message, [{ field: 'X-Request-ID', messages: [message] }]));
    }
    const { message, issues } = readBarsMessage(body);
    if (message?.kind === 'new') {
      const dto = await this.validated(message, issues);
      if (issues.length) throw unprocessable(issues);
      const referralId = await this.onPaths(message, () => this.intake.open(caller, requestId, newReferralFrom(dto)));
      req.auditReferralId = referralId;
      return this.response(caller, referralId, message.headerId ?? requestId);
    }
    if (!message || issues.length) throw unprocessable(issues);
    req.auditReferralId = message.referralId;
    await this.intake.update(caller, requestId, message);
    return this.response(caller, message.referralId, message.headerId ?? requestId);
  }

  /** The referral's fields through POST /v1/referrals' own validation; each field refused is added to `issues` by its FHIRPath. */
  private async validated(message: NewReferralMessage, issues: FhirIssue[]): Promise<CreateReferralDto> {
    try {
      return (await validationPipe().transform(message.body, { type: 'body', metatype: CreateReferralDto })) as CreateReferralDto;
    } catch (e) {
      const details = ((e as HttpException).getResponse?.() as { details?: Array<{ field: string; messages: string[] }> } | undefined)?.details;
      if (!details) throw e;
      for (const d of details) {
        const expression = message.paths[d.field];
        // A field with no path was not found in the message at all: that is already an issue of its own.
        if (expression && !issues.some((i) => i.expression === expression)) issues.push({ expression, message: d.messages.join('; '), code: 'value' });
      }
      if (issues.length === 0) issues.push({ expression: 'Bundle', message: details.map((d) => d.messages.join('; ')).join('; '), code: 'value' });
      return undefined as never;
    }
  }

  /** A refusal about one field of the referral (its pathway already open, say) names the field as the message had it. */
  private async onPaths<T>(message: NewReferralMessage, act: () => Promise<T>): Promise<T> {
    try {
      return await act();
    } catch (e) {
      const field = e instanceof WorkflowError ? (e.details as { field?: string } | undefined)?.field : undefined;
      const expression = field ? message.paths[field] : undefined;
      if (!(e instanceof WorkflowError) || !expression) throw e;
      const status = httpStatusOf(e);
      throw new HttpException(errorBody(status, e.message, [{ field: expression, messages: [e.message] }]), status);
    }
  }

  /** BaRS's response message: what was done, and the referral as it is now. */
  private async response(caller: Caller, referralId: string, requestHeaderId: string): Promise<Bundle> {
    const sr = await this.fhir.serviceRequest(caller, referralId, this.base);
    const headerId = randomUUID();
    const header: MessageHeader = {
      resourceType: 'MessageHeader',
      id: headerId,
      meta: { profile: [UK_CORE.MessageHeader] },
      eventCoding: { system: SYSTEMS.messageEvents, code: 'servicerequest-response' },
      source: { endpoint: this.base },
      response: { identifier: /^[A-Za-z0-9\-.]{1,64}$/.test(requestHeaderId) ? requestHeaderId : randomUUID(), code: 'ok' },
      focus: [{ reference: sr.fullUrl }],
    };
    return {
      resourceType: 'Bundle',
      id: randomUUID(),
      meta: { profile: [UK_CORE.Bundle] },
      type: 'message',
      timestamp: new Date().toISOString(),
      entry: [{ fullUrl: `urn:uuid:${headerId}`, resource: header }, sr],
    };
  }
}
