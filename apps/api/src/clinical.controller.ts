// The clinical package routes: the package the referring trust records for the receiving clinician,
// the attachments sent with the referral, the receiving clinician's request for information (and the
// referrer's answer) and return to referrer with advice; and the coded reason lists.
import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res, BadRequestException } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#config';
import { CLINICAL_INFORMATION_FIELDS, STATUS_DESCRIPTIONS } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import {
  ATTACHMENT_KINDS,
  AttachmentTypeError,
  Attachments,
  ClinicalPackage,
  InformationRequests,
  ReferralQueries,
  TransferOfCare,
  UploadRefusedError,
  type AttachmentKind,
} from '#workflow';
import { ClinicalInformationDto, InformationAnswerDto, InformationRequestDto, ReturnWithAdviceDto } from './dto/clinical.dto.js';
import { ReceiverRejectionView, ReferralStateView, ReferralView } from './dto/responses/referral.responses.js';
import { AttachmentList, AttachmentView, ReasonCodeLists, reasonCodeLists } from './dto/responses/clinical.responses.js';
import { errorBody } from './http/http-errors.filter.js';
import { uuidParam } from './http/uuid-param.js';
import { Answer, CommandAnswer, CommandResponse } from './http/prefer.js';

const id = uuidParam('id');

/** What a raw upload may declare itself as: the bytes decide in the end. */
const UPLOAD_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'application/octet-stream']);

export class AttachmentUploadQueryDto {
  @ApiProperty({ enum: ATTACHMENT_KINDS, description: 'What the document is' })
  @IsIn(ATTACHMENT_KINDS, { message: `$property must be one of ${ATTACHMENT_KINDS.join(', ')}` })
  kind!: AttachmentKind;

  @ApiPropertyOptional({ example: 'knee-xray-report.pdf', description: 'The file name to show and download it as' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  filename?: string;
}

@ApiTags('clinical package')
@Controller('v1/referrals/:id')
export class ClinicalController {
  constructor(
    private readonly packages: ClinicalPackage,
    private readonly requests: InformationRequests,
    private readonly transfers: TransferOfCare,
    private readonly attachments: Attachments,
    private readonly queries: ReferralQueries,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Patch('clinical-information')
  @RequirePermission('referral.clinical-information')
  @ApiOperation({
    summary: 'Referring trust: record or change the clinical package the receiving clinician decides on, until the receiving trust decides',
    description:
      'Only the fields sent change; null clears one (comorbidities: the list sent replaces the one held). SNOMED CT concept ids are checked (Verhoeff check digit). ' +
      'The timeline names the fields that changed, never their values. Seen by clinicians of the two trusts only.',
  })
  @ApiOkResponse({ type: ReferralView, description: 'The referral with the package changed' })
  @ApiConflictResponse({ description: 'The receiving trust has decided already, or the referral changed concurrently' })
  async clinicalInformation(@CurrentCaller() caller: Caller, @Param('id', id) refId: string, @Body() dto: ClinicalInformationDto): Promise<ReferralView> {
    if (!CLINICAL_INFORMATION_FIELDS.some((f) => dto[f] !== undefined)) {
      const message = `Send at least one of ${CLINICAL_INFORMATION_FIELDS.join(', ')}`;
      throw new BadRequestException(errorBody(400, message, [{ field: 'body', messages: [message] }]));
    }
    await this.packages.update(caller, refId, dto);
    return this.queries.get(caller, refId);
  }

  @Post('information-requests')
  @HttpCode(201)
  @RequirePermission('referral.information-request')
  @ApiOperation({
    summary: 'Receiving clinician: request for information from the referrer before deciding (e-RS "request for information")',
    description:
      'While the transfer of care awaits the decision. The referral keeps its status and shows informationRequest.status OPEN until the referring trust answers; its clinical team gets a task (and its worklist email). One open at a time.',
  })
  @CommandResponse(201, ReferralView, 'The referral with the request open')
  @ApiConflictResponse({ description: 'Not awaiting the receiving trust’s decision, or a request is open already' })
  async requestInformation(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Body() dto: InformationRequestDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    await this.requests.ask(caller, refId, dto);
    return answer.referralRead(
      () => this.queries.state(caller, refId),
      () => this.queries.get(caller, refId),
    );
  }

  @Post('information-requests/:requestId/answer')
  @HttpCode(200)
  @RequirePermission('referral.information-answer')
  @ApiOperation({ summary: 'Referring trust (clinician or booking clerk): answer the request for information; it comes back on the timeline' })
  @CommandResponse(200, ReferralView, 'The referral with the request answered')
  @ApiNotFoundResponse({ description: 'No such request on this referral, or the referral is not visible to your trust' })
  @ApiConflictResponse({ description: 'Already answered' })
  async answerInformation(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('requestId', uuidParam('requestId')) requestId: string,
    @Body() dto: InformationAnswerDto,
    @Answer() answer: CommandAnswer,
  ): Promise<ReferralView | ReferralStateView> {
    await this.requests.answer(caller, refId, requestId, dto);
    return answer.referralRead(
      () => this.queries.state(caller, refId),
      () => this.queries.get(caller, refId),
    );
  }

  @Post('return-to-referrer')
  @HttpCode(200)
  @RequirePermission('referral.return-with-advice')
  @ApiOperation({
    summary: 'Receiving clinician: return to referrer with advice (e-RS "return to referrer with advice")',
    description:
      'The transfer of care is not accepted: REJECTED_BY_RECEIVER with reasonCode RETURNED_WITH_ADVICE; the advice reaches the referring clinicians (a clinical note and a task for their team); the patient keeps their place and is told.',
  })
  @ApiOkResponse({ type: ReceiverRejectionView, description: 'The outcome only: the trust is no longer a party' })
  @ApiConflictResponse({ description: 'Not awaiting the receiving trust’s decision, or changed concurrently' })
  async returnToReferrer(@CurrentCaller() caller: Caller, @Param('id', id) refId: string, @Body() dto: ReturnWithAdviceDto): Promise<ReceiverRejectionView> {
    const out = await this.transfers.returnWithAdvice(caller, refId, dto);
    return { id: refId, status: out.to, statusDescription: STATUS_DESCRIPTIONS[out.to], version: out.version, receivingOds: null };
  }

  @Post('attachments')
  @HttpCode(201)
  @RequirePermission('attachment.upload')
  @ApiOperation({
    summary: 'Referring trust: attach a referral letter, clinic letter or imaging report (PDF, PNG or JPEG)',
    description:
      'The body is the file itself (Content-Type application/pdf, image/png, image/jpeg or application/octet-stream), not JSON. Its type is judged from its bytes; ' +
      'anything else is refused (415), as is a file over ATTACHMENT_MAX_BYTES (default 20 MB: 413).',
  })
  @ApiConsumes('application/pdf', 'image/png', 'image/jpeg', 'application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: AttachmentView })
  @ApiPayloadTooLargeResponse({ description: 'Larger than ATTACHMENT_MAX_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not a PDF, PNG or JPEG by its bytes, or declared as another type' })
  async upload(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Query() q: AttachmentUploadQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AttachmentView> {
    const req = request.raw;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!UPLOAD_TYPES.has(type))
      throw new AttachmentTypeError(`Send the file itself as application/pdf, image/png or image/jpeg (Content-Type was ${type || 'missing'})`);
    const max = this.config.workflow.attachmentMaxBytes;
    if (Number(req.headers['content-length'] ?? NaN) > max) {
      void res.header('Connection', 'close'); // do not read the rest of what we refuse
      throw new UploadRefusedError('UPLOAD_TOO_LARGE', `The file is larger than the ${max} bytes allowed (ATTACHMENT_MAX_BYTES)`, [
        { field: 'body', messages: [`body must be at most ${max} bytes`] },
      ]);
    }
    // Read through a stream of our own: a refusal part-way ends it, not the request's socket, so the answer still goes.
    const body = new PassThrough();
    const interrupted = () => {
      if (!req.complete) body.destroy(new UploadRefusedError('UPLOAD_UNREADABLE', 'The upload was interrupted'));
    };
    req.once('close', interrupted);
    req.pipe(body);
    try {
      const view = await this.attachments.add(caller, refId, { kind: q.kind, filename: q.filename, body, maxBytes: max });
      void res.header('Location', `/v1/referrals/${refId}/attachments/${view.id}`);
      return view;
    } catch (e) {
      req.unpipe(body);
      if (e instanceof UploadRefusedError && e.code === 'UPLOAD_TOO_LARGE') void res.header('Connection', 'close');
      else if (!req.complete) req.resume();
      throw e;
    } finally {
      req.off('close', interrupted);
    }
  }

  @Get('attachments')
  @RequirePermission('attachment.read')
  @ApiOperation({ summary: "The referral's attachments (descriptions): clinicians of the two trusts only" })
  @ApiOkResponse({ type: AttachmentList })
  @ApiNotFoundResponse({ description: 'Not there, or not visible to you' })
  list(@CurrentCaller() caller: Caller, @Param('id', id) refId: string): Promise<AttachmentList> {
    return this.attachments.list(caller, refId);
  }

  @Get('attachments/:attachmentId')
  @RequirePermission('attachment.download')
  @ApiOperation({
    summary: 'Open one attachment (its bytes): clinicians of the two trusts only; every download is in the audit trail (action attachment.download)',
  })
  @ApiProduces('application/pdf', 'image/png', 'image/jpeg')
  @ApiOkResponse({ description: 'The file', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'Not there, or not visible to you' })
  async download(
    @CurrentCaller() caller: Caller,
    @Param('id', id) refId: string,
    @Param('attachmentId', uuidParam('attachmentId')) attachmentId: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Buffer> {
    const a = await this.attachments.open(caller, refId, attachmentId);
    void res.header('Content-Type', a.mediaType);
    void res.header('Content-Disposition', `attachment; filename="${a.filename}"`);
    void res.header('X-Content-Type-Options', 'nosniff');
    void res.header('Cache-Control', 'no-store');
    return a.content;
  }
}

@ApiTags('clinical package')
@Controller('v1/reason-codes')
export class ReasonCodesController {
  @Get()
  @RequirePermission('reason-codes.read')
  @ApiOperation({ summary: 'The coded reasons (not suitable, rejection, cancellation, withdrawal), each with its meaning in plain English' })
  @ApiOkResponse({ type: ReasonCodeLists })
  list(): ReasonCodeLists {
    return reasonCodeLists();
  }
}
