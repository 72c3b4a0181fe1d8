// Waiting-list import (a trust's PTL extract as CSV, streamed) and the long-waiters worklist.
import { PassThrough } from 'node:stream';
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiRequestTimeoutResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '#config';
import { WAITING_LIST_COLUMNS } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { LongWaiters, UploadRefusedError, WaitingListImports, uploadLimits } from '#workflow';
import { ImportErrorsQueryDto, ImportUploadQueryDto, LongWaitersQueryDto } from './dto/waiting-list.dto.js';
import { bodyDeadline } from './http/request-deadlines.js';
import { uuidParam } from './http/uuid-param.js';
import { ImportView, LongWaiterPage } from './dto/responses/waiting-list.responses.js';

const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

@ApiTags('waiting list')
@Controller('v1/waiting-list')
export class WaitingListController {
  constructor(
    private readonly imports: WaitingListImports,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('imports')
  @HttpCode(202)
  @RequirePermission('waiting-list.import')
  @ApiOperation({
    summary: "Upload the caller's trust's waiting list (PTL) as CSV; it is applied by a job (GET the import to follow it)",
    description:
      `Content-Type: text/csv (UTF-8), optionally Content-Encoding: gzip. Header row, then one row per pathway: ${WAITING_LIST_COLUMNS.join(', ')} ` +
      '(any order, any case; other columns are ignored and listed in ignoredColumns). The body is streamed, never held in memory; ' +
      'the largest accepted is WAITING_LIST_MAX_BYTES (default 500 MB), WAITING_LIST_MAX_ROWS rows (default 1,000,000) of at most ' +
      'WAITING_LIST_MAX_ROW_CHARS characters (default 8,192), gzip expanding at most WAITING_LIST_MAX_GZIP_RATIO times (default 100). ' +
      'The upload must arrive within WAITING_LIST_UPLOAD_TIMEOUT_MS (default 1 hour) and never send nothing for WAITING_LIST_IDLE_TIMEOUT_MS ' +
      '(default 30 s); a trust may have WAITING_LIST_UPLOADS_PER_TRUST uploads in progress at once (default 1). Rows that fail validation are reported with their row number ' +
      '(the header is row 1); good rows are kept; a pathway id already on the list is updated.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'Content-Encoding', required: false, schema: { type: 'string', enum: ['identity', 'gzip'] } })
  @ApiAcceptedResponse({
    type: ImportView,
    description: 'Staged and queued (`status: queued`); `Location` is the import to follow',
    headers: { Location: { description: 'The import: /v1/waiting-list/imports/{id}', schema: { type: 'string' } } },
  })
  @ApiRequestTimeoutResponse({
    description:
      'The upload took longer than WAITING_LIST_UPLOAD_TIMEOUT_MS, or sent nothing for WAITING_LIST_IDLE_TIMEOUT_MS: nothing of it was kept; send the file again',
  })
  @ApiPayloadTooLargeResponse({
    description:
      'Larger than WAITING_LIST_MAX_BYTES, more rows than WAITING_LIST_MAX_ROWS, a row longer than WAITING_LIST_MAX_ROW_CHARS, or gzip expanding more than WAITING_LIST_MAX_GZIP_RATIO times',
  })
  @ApiTooManyRequestsResponse({
    description:
      "The caller's trust already has WAITING_LIST_UPLOADS_PER_TRUST uploads in progress, or this server its share of uploads; or too many requests this minute from this caller (RATE_LIMIT_PER_MINUTE) or, without a valid token, from this address (PUBLIC_RATE_LIMIT_PER_MINUTE)",
  })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not text/csv, not UTF-8, or an unsupported Content-Encoding' })
  async upload(
    @CurrentCaller() caller: Caller,
    @Query() q: ImportUploadQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ImportView> {
    // The body as Node's request stream: Fastify's catch-all parser leaves a text/csv body unread (http/body-parsing.ts).
    const req = request.raw;
    const [type = '', ...params] = (req.headers['content-type'] ?? '').split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'text/csv') {
      const message = `Send the waiting list as text/csv (Content-Type was ${type || 'missing'})`;
      throw new UploadRefusedError('UPLOAD_NOT_CSV', message, [{ field: 'Content-Type', messages: [message] }]);
    }
    const charset = params
      .find((p) => p.startsWith('charset='))
      ?.slice(8)
      .replace(/"/g, '');
    if (charset && !CHARSETS.has(charset)) {
      const message = `Send the CSV as UTF-8 (charset was ${charset})`;
      throw new UploadRefusedError('UPLOAD_NOT_CSV', message, [{ field: 'Content-Type', messages: [message] }]);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      const message = `Content-Encoding ${encoding} is not supported: send the CSV as is or gzip-compressed`;
      throw new UploadRefusedError('UPLOAD_NOT_CSV', message, [{ field: 'Content-Encoding', messages: [message] }]);
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (encoding === 'identity' && declared > this.config.waitingList.maxBytes) {
      void res.header('Connection', 'close'); // do not read the rest of what we refuse
      throw new UploadRefusedError(
        'UPLOAD_TOO_LARGE',
        `The file is larger than the ${this.config.waitingList.maxBytes} bytes allowed (WAITING_LIST_MAX_BYTES)`,
      );
    }
    // The JSON parser takes only JSON types: a text/csv body reaches us unread, as the request stream.
    const body = new PassThrough();
    const interrupted = () => {
      if (!req.complete) body.destroy(new Error('the upload was interrupted'));
    };
    if (req.destroyed) throw new UploadRefusedError('UPLOAD_UNREADABLE', 'The upload was interrupted');
    req.once('close', interrupted);
    // Too slow or silent too long (request-deadlines.ts): the pipeline ends, the transaction rolls back, the client gets 408.
    const deadline = bodyDeadline(request);
    deadline?.claim((message) => body.destroy(new UploadRefusedError('UPLOAD_TOO_SLOW', message, [{ field: 'body', messages: [message] }])));
    req.pipe(body);
    try {
      const view = await this.imports.upload(caller, {
        body,
        mode: q.mode ?? 'full',
        gzip: encoding === 'gzip',
        limits: uploadLimits(this.config),
      });
      void res.header('Location', `/v1/waiting-list/imports/${view.id}`);
      return view;
    } catch (e) {
      // Refused part-way: stop reading, and let Node discard the rest (or drop the connection for an oversized or too slow one).
      req.unpipe(body);
      if (e instanceof UploadRefusedError && (e.code === 'UPLOAD_TOO_LARGE' || e.code === 'UPLOAD_TOO_SLOW')) void res.header('Connection', 'close');
      else if (!req.complete) req.resume();
      throw e;
    } finally {
      req.off('close', interrupted);
      deadline?.release();
    }
  }

  @Get('imports/:id')
  @RequirePermission('waiting-list.import')
  @ApiOperation({
    summary:
      'An import of your trust: status (queued, running, completed, failed), rows read, accepted, rejected; row-level errors (row, field, reason), a page at a time',
  })
  @ApiNotFoundResponse({ description: 'Not there, or not an import of your trust' })
  @ApiOkResponse({ type: ImportView })
  get(@CurrentCaller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Query() q: ImportErrorsQueryDto): Promise<ImportView> {
    return this.imports.get(caller, id, q);
  }
}

@ApiTags('waiting list')
@Controller('v1/long-waiters')
export class LongWaitersController {
  constructor(private readonly longWaiters: LongWaiters) {}

  @Get()
  @RequirePermission('waiting-list.read')
  @ApiOperation({
    summary:
      "Your trust's open waiting-list entries not yet referred, longest wait first, with weeks waited and cohort band (18, 40, 52, 65, 78, 104); keyset-paginated",
  })
  @ApiOkResponse({ type: LongWaiterPage })
  list(@CurrentCaller() caller: Caller, @Query() q: LongWaitersQueryDto): Promise<LongWaiterPage> {
    return this.longWaiters.list(caller, q);
  }
}
