// The console's waiting-list pages for booking clerks: upload a PTL extract (the same import as
// POST /v1/waiting-list/imports, in process, streamed from the form into the importer), follow its
// progress, see the rejected rows by reason and download them as CSV; the trust's recent imports.
import { Readable } from 'node:stream';
import { Controller, Get, Inject, Param, Post, Req, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import { Public, type Caller } from '#auth';
import { APP_CONFIG, type AppConfig } from '#config';
import { WAITING_LIST_COLUMNS, isUuid } from '#domain';
import { BusinessRuleError, MAX_STORED_IMPORT_ERRORS, ReferralNotFoundError, UploadRefusedError, WaitingListImports, uploadLimits } from '#workflow';
import { httpStatusOf } from '../http/error-statuses.js';
import { ConsoleAccess, ConsoleGuard, ConsolePageError, ConsoleUpload } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import { renderForSession, seeOther } from './console-render.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { UploadFormError, dropsConnection, receiveUpload } from './console-upload.js';
import { IdentityProvider } from './identity-provider.js';

type ImportView = Awaited<ReturnType<WaitingListImports['get']>>;

const MODES = {
  full: { text: 'The whole waiting list', hint: 'Patients on your list who are not in this file are closed (kept, never deleted)' },
  partial: { text: 'Only some rows', hint: 'The rows in this file are added or updated; nothing is closed' },
} as const;

/** What each status means to a clerk, with its NHS.UK tag colour. */
const STATUS_TAGS: Record<string, { text: string; classes: string }> = {
  queued: { text: 'Waiting to start', classes: 'nhsuk-tag--grey' },
  running: { text: 'In progress', classes: 'nhsuk-tag--blue' },
  completed: { text: 'Completed', classes: 'nhsuk-tag--green' },
  failed: { text: 'Failed', classes: 'nhsuk-tag--red' },
};

const count = (n: number) => n.toLocaleString('en-GB');
/** The importer's messages name the setting behind a limit, for operators; a clerk needs the words only. */
const plain = (message: string) => message.replace(/\s*\([A-Z][A-Z0-9_]+\)/g, '');
const isGzip = (filename: string, mimeType: string) => /\.gz$/i.test(filename) || /^application\/(x-)?gzip$/i.test(mimeType);
const isCsv = (filename: string, mimeType: string) => /\.(csv|txt)(\.gz)?$/i.test(filename) || mimeType === 'text/csv' || isGzip(filename, mimeType);

/** Progress as the page and its script show it. */
function progress(v: ImportView) {
  const done = v.status === 'completed' || v.status === 'failed';
  const percent = v.rowsTotal > 0 ? Math.floor((100 * v.rowsRead) / v.rowsTotal) : 0;
  return {
    status: v.status,
    done,
    rowsTotal: v.rowsTotal,
    rowsRead: v.rowsRead,
    percent,
    text: `${count(v.rowsRead)} of ${count(v.rowsTotal)} rows checked (${percent}%)`,
  };
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/waiting-list')
export class WaitingListPagesController {
  constructor(
    private readonly imports: WaitingListImports,
    private readonly idp: IdentityProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ConsoleAccess('waiting-list.import')
  async page(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    return this.uploadPage(req, res);
  }

  @Post()
  @ConsoleAccess('waiting-list.import')
  @ConsoleUpload()
  async upload(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    let mode = '';
    try {
      const view = await receiveUpload(req, req.consoleSession!, 'file', async (file) => {
        mode = file.fields.mode ?? '';
        if (mode !== 'full' && mode !== 'partial')
          throw new UploadFormError([{ field: 'mode', text: 'Select whether the file is your whole waiting list or only some rows' }]);
        // As the API refuses a body that is not text/csv (415); a browser names a file's type from its name, so the name decides.
        if (!isCsv(file.filename, file.mimeType))
          throw new UploadRefusedError('UPLOAD_NOT_CSV', 'The selected file must be a CSV (or a CSV compressed with gzip)');
        return this.imports.upload(caller, {
          body: file.body,
          mode,
          gzip: isGzip(file.filename, file.mimeType),
          limits: uploadLimits(this.config),
        });
      });
      return seeOther(res, `/console/waiting-list/imports/${view.id}`);
    } catch (e) {
      if (dropsConnection(e)) res.header('connection', 'close'); // the rest of the file is not read
      if (e instanceof UploadFormError) return this.uploadPage(req, res, 400, e.errors, mode);
      if (e instanceof UploadRefusedError) return this.uploadPage(req, res, httpStatusOf(e), [{ field: 'file', text: plain(e.message) }], mode);
      if (e instanceof BusinessRuleError) return this.uploadPage(req, res, 422, [{ field: 'file', text: plain(e.message) }], mode);
      throw e;
    }
  }

  @Get('imports/:id')
  @ConsoleAccess('waiting-list.import')
  async importPage(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    const caller = req.caller!;
    const view = await this.find(caller, id);
    const p = progress(view);
    const reasons = p.done ? await this.imports.errorSummary(caller, id) : [];
    const statusTag = STATUS_TAGS[view.status] ?? STATUS_TAGS.queued;
    return renderForSession(req, res, this.idp, 'waiting-list-import.njk', {
      title: p.done ? `Import ${statusTag.text.toLowerCase()}` : 'Import in progress',
      view,
      statusTag,
      mode: MODES[view.mode].text,
      progress: p,
      progressUrl: `/console/waiting-list/imports/${id}/progress`,
      counts: { total: count(view.rowsTotal), accepted: count(view.accepted), rejected: count(view.rejected), closed: count(view.closed) },
      reasons: reasons.map((r) => ({ ...r, rows: count(r.rows) })),
      truncated: view.errorsTruncated ? count(MAX_STORED_IMPORT_ERRORS) : null,
      downloadUrl: `/console/waiting-list/imports/${id}/rejected-rows.csv`,
      back: { href: '/console/waiting-list', text: 'Waiting list' },
    });
  }

  /** The import's progress for the page's script (the page itself shows the same without it). */
  @Get('imports/:id/progress')
  @ConsoleAccess('waiting-list.import')
  async progress(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    const view = await this.find(req.caller!, id);
    res.header('cache-control', 'no-store');
    return progress(view);
  }

  /**
   * The rejected rows as CSV: row number (as a spreadsheet shows it), column and reason, one line
   * per problem. Nothing of the row's values: the reasons never repeat them.
   */
  @Get('imports/:id/rejected-rows.csv')
  @ConsoleAccess('waiting-list.import')
  async rejectedRows(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<StreamableFile> {
    const caller = req.caller!;
    const first = await this.find(caller, id, 1000);
    const imports = this.imports;
    async function* lines() {
      yield ['row', 'column', 'reason'];
      let page = first.errors;
      for (;;) {
        for (const e of page.items) yield [e.row, e.field, e.reason];
        if (!page.nextCursor) return;
        page = (await imports.get(caller, id, { errorsCursor: page.nextCursor, errorsLimit: 1000 })).errors;
      }
    }
    res.header('cache-control', 'no-store');
    // A spreadsheet opening the file must not run a cell as a formula (none should look like one; this makes sure).
    const csv = Readable.from(lines()).pipe(stringify({ escape_formulas: true, record_delimiter: '\r\n' }));
    return new StreamableFile(csv, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="rejected-rows-${id}.csv"` });
  }

  private async find(caller: Caller, id: string, errorsLimit = 1): Promise<ImportView> {
    const notFound = new ConsolePageError(404, 'Page not found', 'There is no import at this address, or it is not one of your trust’s.');
    if (!isUuid(id)) throw notFound;
    try {
      return await this.imports.get(caller, id, { errorsLimit });
    } catch (e) {
      if (e instanceof ReferralNotFoundError) throw notFound;
      throw e;
    }
  }

  private async uploadPage(
    req: ConsoleRequest,
    res: ConsoleResponse,
    status = 200,
    errors: Array<{ field: string; text: string }> = [],
    mode = '',
  ): Promise<string> {
    const recent = await this.imports.recent(req.caller!, 20);
    const errorOf = (field: string) => errors.find((e) => e.field === field)?.text;
    return renderForSession(
      req,
      res,
      this.idp,
      'waiting-list.njk',
      {
        title: 'Upload a waiting list',
        columns: WAITING_LIST_COLUMNS,
        maxSize: `${Math.round(this.config.waitingList.maxBytes / (1024 * 1024))} MB`,
        modes: Object.entries(MODES).map(([value, m]) => ({ value, text: m.text, hint: { text: m.hint } })),
        mode,
        errors: errors.map((e) => ({ text: e.text, href: `#upload-${e.field}` })),
        errorOf,
        recent: recent.map((v) => ({
          ...v,
          href: `/console/waiting-list/imports/${v.id}`,
          tag: STATUS_TAGS[v.status] ?? STATUS_TAGS.queued,
          modeText: MODES[v.mode].text,
          rows: count(v.rowsTotal),
          accepted: count(v.accepted),
          rejected: count(v.rejected),
        })),
        back: { href: '/console', text: 'Your worklists' },
      },
      status,
    );
  }
}
