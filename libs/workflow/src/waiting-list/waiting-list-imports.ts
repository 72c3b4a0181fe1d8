// Waiting-list import, API side: streams an uploaded CSV into Postgres (COPY into the import's own
// staging table) and queues the import job, all in one transaction; and shows an import's progress
// and errors.
//
// The body is never held whole in memory: bytes -> (gunzip) -> csv-parse -> COPY text lines ->
// pg-copy-streams, with backpressure end to end. The rows wait in Postgres, not on a disk of this
// process, so any worker process can apply them, and a crashed import resumes from what is left.
// What one upload may cost is bounded: bytes, rows, the length of a row, how far gzip may expand,
// and how many uploads a trust may have in progress (README, "Configuration").
import { randomUUID } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { parse, CsvError } from 'csv-parse';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import type { AppConfig } from '#config';
import { WAITING_LIST_COLUMNS, type WaitingListColumn } from '#domain';
import { inTransaction, PrismaService, type SqlRunner } from '#persistence';
import type { Caller } from '#auth';
import type { OutboxJob } from '#queue';
import { writeOutbox } from '../outbox/outbox.js';
import { BusinessRuleError, ReferralNotFoundError, WorkflowError } from '../workflow-errors.js';
import { copyIntoStagingSql, createStagingTableSql } from './waiting-list-staging.js';

export type ImportMode = 'full' | 'partial';

/** A refused upload: unreadable CSV or a bad header, too slow, too large, not CSV, too many at once. */
export class UploadRefusedError extends WorkflowError {
  constructor(
    readonly code: 'UPLOAD_UNREADABLE' | 'UPLOAD_TOO_SLOW' | 'UPLOAD_TOO_LARGE' | 'UPLOAD_NOT_CSV' | 'UPLOADS_BUSY',
    message: string,
    override readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Field-level problems stored per import at most; the counts stay exact beyond it. */
export const MAX_STORED_IMPORT_ERRORS = 10_000;
/** Decompressed bytes before the gzip ratio is judged: a small file's ratio says little, and costs little. */
const GZIP_RATIO_GRACE_BYTES = 1024 * 1024;
/** Advisory lock class of the per-trust upload slots (two-int form, so apart from the bigint locks elsewhere). */
const UPLOAD_SLOT_LOCK_CLASS = 0x574c55; // "WLU"

/** What one upload may cost (README, "Configuration"). */
export interface UploadLimits {
  /** Bytes of CSV, after gzip decoding (WAITING_LIST_MAX_BYTES). */
  readonly maxBytes: number;
  /** Data rows (WAITING_LIST_MAX_ROWS). */
  readonly maxRows: number;
  /** Characters in one row (WAITING_LIST_MAX_ROW_CHARS). */
  readonly maxRowChars: number;
  /** Decoded bytes per byte of gzip (WAITING_LIST_MAX_GZIP_RATIO). */
  readonly maxGzipRatio: number;
  /** Uploads of one trust in progress at once, on every API process together (WAITING_LIST_UPLOADS_PER_TRUST). */
  readonly perTrust: number;
  /** Uploads in progress at once on this process: each holds a pool connection for as long as it streams. */
  readonly perServer: number;
}

/** The limits of the configuration, for every route that takes an upload (the API's and the console's). */
export function uploadLimits(config: Pick<AppConfig, 'waitingList' | 'database'>): UploadLimits {
  const w = config.waitingList;
  return {
    maxBytes: w.maxBytes,
    maxRows: w.maxRows,
    maxRowChars: w.maxRowChars,
    maxGzipRatio: w.maxGzipRatio,
    perTrust: w.uploadsPerTrust,
    // Half the pool at most: requests other than uploads keep the rest.
    perServer: Math.max(1, Math.floor(config.database.poolSize / 2)),
  };
}

export function importJob(importId: string): OutboxJob<'waiting-list.import'> {
  return { name: 'waiting-list.import', payload: { importId }, jobId: `waiting-list.import.${importId}` };
}

interface ImportRow {
  id: string;
  origin_ods: string;
  mode: ImportMode;
  status: string;
  rows_total: number;
  rows_read: number;
  accepted: number;
  rejected: number;
  closed: number;
  errors_stored: number;
  ignored_columns: string[];
  failure_reason: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface ImportErrorsQuery {
  readonly errorsCursor?: string;
  readonly errorsLimit?: number;
}

@Injectable()
export class WaitingListImports {
  private uploading = 0;

  constructor(private readonly prisma: PrismaService) {}

  /**
   * Streams the CSV into staging and queues its import; answers once it is committed. Nothing is
   * kept of a refused upload (the transaction rolls back: COPY, staging table and all).
   */
  async upload(caller: Caller, input: { body: Readable; mode: ImportMode; gzip: boolean; limits: UploadLimits }) {
    const ods = caller.ods!;
    const limits = input.limits;
    // Each upload holds a connection for as long as it streams: the rest of the API keeps the others.
    if (this.uploading >= limits.perServer) {
      throw new UploadRefusedError('UPLOADS_BUSY', 'Too many waiting-list uploads at once on this server; try again shortly');
    }
    this.uploading++;
    const importId = randomUUID();
    try {
      // The staged rows, the import and its job: one transaction, so a refused file leaves nothing.
      // The answer is read in it too: the import as accepted (queued), before a worker can start it.
      return await inTransaction(this.prisma.pool, async (client) => {
        await takeTrustSlot(client, ods, limits.perTrust);
        await client.query(createStagingTableSql(importId));
        const staged = new StagingStream(ods, limits.maxRows);
        const copy = client.query(copyFrom(copyIntoStagingSql(importId)));
        let compressed = 0;
        const countCompressed = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            compressed += chunk.length;
            cb(null, chunk);
          },
        });
        let bytes = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            bytes += chunk.length;
            if (bytes > limits.maxBytes)
              return cb(new UploadRefusedError('UPLOAD_TOO_LARGE', `The file is larger than the ${limits.maxBytes} bytes allowed (WAITING_LIST_MAX_BYTES)`));
            // A few hundred kilobytes of gzip can hold millions of rows: the work is the rows, not the bytes sent.
            if (input.gzip && bytes > GZIP_RATIO_GRACE_BYTES && bytes > compressed * limits.maxGzipRatio) {
              const message = `The gzip body expands to more than ${limits.maxGzipRatio} times its size (WAITING_LIST_MAX_GZIP_RATIO), far more than a waiting list does: send the CSV as is, or check what was compressed`;
              return cb(new UploadRefusedError('UPLOAD_TOO_LARGE', message, [{ field: 'body', messages: [message] }]));
            }
            cb(null, chunk);
          },
        });
        const parser = parse({
          bom: true,
          trim: true,
          skip_empty_lines: true,
          relax_column_count: true,
          relax_quotes: true,
          max_record_size: limits.maxRowChars,
          info: true,
        });
        try {
          const stages = input.gzip ? [input.body, countCompressed, createGunzip(), limit, parser, staged, copy] : [input.body, limit, parser, staged, copy];
          await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
        } catch (e) {
          throw uploadError(e, limits);
        }
        if (!staged.header)
          throw new UploadRefusedError('UPLOAD_UNREADABLE', 'The file is empty: expected a header row naming the columns', [
            { field: 'body', messages: ['body must start with a header row'] },
          ]);
        if (staged.rows === 0) throw new BusinessRuleError('The file has a header row but no data rows', { field: 'body' });
        await client.query(
          `INSERT INTO waiting_list_import (id, origin_ods, mode, created_by, bytes, header_fields, rows_total, ignored_columns)
           VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::text[])`,
          [importId, ods, input.mode, caller.sub, bytes, staged.header.fields, staged.rows, staged.header.ignored],
        );
        await writeOutbox(client, null, [importJob(importId)]);
        return this.read(client, caller, importId);
      });
    } finally {
      this.uploading--;
    }
  }

  /** An import of the caller's trust: counts while it runs, row-level errors (a page of them). */
  async get(caller: Caller, id: string, q: ImportErrorsQuery = {}) {
    return this.read(this.prisma.sql, caller, id, q);
  }

  /** The trust's latest imports, newest first, without their errors (the console's list). */
  async recent(caller: Caller, limit = 20) {
    const { rows } = await this.prisma.sql.query<ImportRow>(
      `SELECT ${IMPORT_COLUMNS} FROM waiting_list_import WHERE origin_ods = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [caller.ods ?? '', limit],
    );
    return rows.map(importView);
  }

  /**
   * An import's field problems counted by field and reason, most frequent first, with the first
   * row of each: what the console shows of the rejected rows. Reasons never carry a value, so
   * neither does this. Counts what was kept (MAX_STORED_IMPORT_ERRORS at most).
   */
  async errorSummary(caller: Caller, id: string): Promise<Array<{ field: string; reason: string; rows: number; firstRow: number }>> {
    const { rows } = await this.prisma.sql.query<{ field: string; reason: string; rows: number; first_row: number }>(
      `SELECT e.field, e.reason, count(*)::int AS rows, min(e.row_number) AS first_row
       FROM waiting_list_import_error e JOIN waiting_list_import i ON i.id = e.import_id AND i.origin_ods = $2
       WHERE e.import_id = $1::uuid GROUP BY e.field, e.reason ORDER BY rows DESC, first_row LIMIT 200`,
      [id, caller.ods ?? ''],
    );
    return rows.map((r) => ({ field: r.field, reason: r.reason, rows: r.rows, firstRow: r.first_row }));
  }

  private async read(db: SqlRunner, caller: Caller, id: string, q: ImportErrorsQuery = {}) {
    const { rows } = await db.query<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM waiting_list_import WHERE id = $1::uuid AND origin_ods = $2`, [
      id,
      caller.ods ?? '',
    ]);
    const imp = rows[0];
    if (!imp) throw new ReferralNotFoundError('Waiting-list import');
    const limit = q.errorsLimit ?? 100;
    const after = q.errorsCursor ? decodeErrorCursor(q.errorsCursor) : null;
    const { rows: errors } = await db.query<{ row_number: number; field: string; reason: string }>(
      `SELECT row_number, field, reason FROM waiting_list_import_error
       WHERE import_id = $1::uuid AND ($2::int IS NULL OR (row_number, field) > ($2::int, $3::text))
       ORDER BY row_number, field LIMIT $4`,
      [id, after?.[0] ?? null, after?.[1] ?? '', limit + 1],
    );
    const page = errors.slice(0, limit);
    const last = page[page.length - 1];
    return {
      ...importView(imp),
      errors: {
        items: page.map((e) => ({ row: e.row_number, field: e.field, reason: e.reason })),
        nextCursor: errors.length > limit && last ? Buffer.from(JSON.stringify([last.row_number, last.field])).toString('base64url') : null,
      },
      /** True when more field problems were found than are kept (MAX_STORED_IMPORT_ERRORS); the counts are still exact. */
      errorsTruncated: imp.errors_stored >= MAX_STORED_IMPORT_ERRORS,
    };
  }
}

const IMPORT_COLUMNS = `id, origin_ods, mode, status, rows_total, rows_read, accepted, rejected, closed, errors_stored, ignored_columns,
  failure_reason, created_at, started_at, finished_at`;

function importView(imp: ImportRow) {
  return {
    id: imp.id,
    status: imp.status,
    mode: imp.mode,
    originOds: imp.origin_ods,
    rowsTotal: imp.rows_total,
    rowsRead: imp.rows_read,
    accepted: imp.accepted,
    rejected: imp.rejected,
    closed: imp.closed,
    ignoredColumns: imp.ignored_columns,
    failureReason: imp.failure_reason,
    createdAt: imp.created_at.toISOString(),
    startedAt: imp.started_at?.toISOString() ?? null,
    finishedAt: imp.finished_at?.toISOString() ?? null,
  };
}

function decodeErrorCursor(cursor: string): [number, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A row number Postgres's int holds and a field name with no control characters (a NUL fails in SQL).
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      Number.isInteger(v[0]) &&
      v[0] >= 0 &&
      v[0] <= 2_147_483_647 &&
      typeof v[1] === 'string' &&
      /^[^\u0000-\u001F\u007F]{0,200}$/.test(v[1])
    )
      return [v[0] as number, v[1]];
  } catch {}
  throw new BusinessRuleError('errorsCursor is not valid: use errors.nextCursor from the previous page', { field: 'errorsCursor' });
}

/**
 * Takes one of the trust's upload slots for this transaction (released at its end, whatever the
 * outcome, or when the connection dies): an advisory lock, so the limit holds across every API
 * process and one trust's uploads never stand in the way of another's.
 */
async function takeTrustSlot(client: pg.PoolClient, ods: string, perTrust: number): Promise<void> {
  const { rowCount } = await client.query(
    `SELECT slot FROM generate_series(1, $2::int) AS slot WHERE pg_try_advisory_xact_lock($3::int, hashtext($1 || ':' || slot)) LIMIT 1`,
    [ods, perTrust, UPLOAD_SLOT_LOCK_CLASS],
  );
  if (!rowCount) {
    throw new UploadRefusedError(
      'UPLOADS_BUSY',
      `Your trust already has ${perTrust === 1 ? 'a waiting-list upload' : `${perTrust} waiting-list uploads`} in progress (WAITING_LIST_UPLOADS_PER_TRUST): try again when ${perTrust === 1 ? 'it has' : 'one has'} finished`,
    );
  }
}

/** What a stream failure means for the uploader. */
function uploadError(e: unknown, limits: UploadLimits): Error {
  if (e instanceof WorkflowError) return e;
  if (e instanceof CsvError) {
    const line = (e as CsvError & { lines?: number }).lines;
    const where = line ? ` at line ${line}` : '';
    if (e.code === 'CSV_MAX_RECORD_SIZE') {
      const message = `The CSV has a row longer than the ${limits.maxRowChars} characters allowed (WAITING_LIST_MAX_ROW_CHARS)${where}: a waiting-list row is a few hundred; is a quote left open?`;
      return new UploadRefusedError('UPLOAD_TOO_LARGE', message, [{ field: 'body', messages: [message] }]);
    }
    const what = e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : e.message.replace(/:.*$/, '');
    const message = `The CSV could not be read${where}: ${what}`;
    return new UploadRefusedError('UPLOAD_UNREADABLE', message, [{ field: 'body', messages: [message] }]);
  }
  const code = (e as { code?: string } | null)?.code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
    return new UploadRefusedError('UPLOAD_UNREADABLE', 'The body is not valid gzip (Content-Encoding: gzip)', [
      { field: 'body', messages: ['body must be gzip data'] },
    ]);
  }
  return e as Error;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; NUL (which text cannot hold) replaced. */
function copyText(v: string | undefined): string {
  if (v === undefined) return '\\N';

  return v.replace(/[\\\t\n\r\u0000]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\uFFFD'));
}

interface Header {
  readonly fields: number;
  /** For each contract column, its index in the file's records. */
  readonly index: Record<WaitingListColumn, number>;
  /** Where the optional provider column is, when the extract has one. */
  readonly provider: number | undefined;
  readonly ignored: string[];
}

/**
 * The optional column naming the provider (trust) each pathway belongs to, as the Waiting List
 * Minimum Data Set's "Organisation Identifier (Code of Provider)" does. The contract's CSV has no
 * trust column, so the trust of an import is the caller's; when an extract carries this column,
 * a row naming another trust refuses the whole file: a PTL uploaded under the wrong trust would
 * otherwise put another trust's patients on this trust's long-waiter list.
 */
export const PROVIDER_COLUMNS = ['provider_ods', 'provider_code', 'org_code_provider'] as const;

/** A file (or a row of it) that belongs to another trust: nothing of it is kept. */
export class WrongTrustFileError extends BusinessRuleError {}

/**
 * csv-parse records (with info) in, COPY lines out. The first record is the header: every
 * contract column must be there (any order, any case); other columns are ignored and reported.
 * Row numbers are as a spreadsheet shows them: the header is row 1, blank lines count.
 */
class StagingStream extends Transform {
  header: Header | null = null;
  rows = 0;

  constructor(
    private readonly trustOds: string,
    private readonly maxRows: number,
  ) {
    super({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 256 });
  }

  override _transform(item: { record: string[]; info: { records: number; empty_lines: number } }, _enc: BufferEncoding, cb: TransformCallback): void {
    const { record, info } = item;
    if (!this.header) {
      try {
        this.header = readHeader(record);
      } catch (e) {
        return cb(e as Error);
      }
      return cb();
    }
    if (++this.rows > this.maxRows) {
      return cb(
        new UploadRefusedError('UPLOAD_TOO_LARGE', `The file has more than the ${this.maxRows} rows allowed (WAITING_LIST_MAX_ROWS)`, [
          { field: 'body', messages: [`body must have at most ${this.maxRows} rows`] },
        ]),
      );
    }
    const rowNumber = info.records + info.empty_lines;
    const h = this.header;
    if (h.provider !== undefined) {
      const provider = (record[h.provider] ?? '').trim().toUpperCase();
      // The site code (e.g. RLQ01) of a trust still names that trust: its first three characters.
      if (provider !== '' && provider.slice(0, 3) !== this.trustOds) {
        return cb(
          new WrongTrustFileError(
            `Row ${rowNumber} is for provider ${provider.slice(0, 12)}, not ${this.trustOds}: this looks like another trust's waiting list, so nothing of the file was imported`,
            { field: 'provider_ods' },
          ),
        );
      }
    }
    let line = `${rowNumber}\t${record.length}`;
    for (const c of WAITING_LIST_COLUMNS) line += `\t${copyText(record[h.index[c]])}`;
    cb(null, line + '\n');
  }
}

function readHeader(record: string[]): Header {
  const names = record.map((n) => n.trim().toLowerCase());
  const index = {} as Record<WaitingListColumn, number>;
  const problems: Array<{ field: string; messages: string[] }> = [];
  const known = new Set<string>(WAITING_LIST_COLUMNS);
  names.forEach((n, i) => {
    if (!known.has(n)) return;
    if (index[n as WaitingListColumn] !== undefined) problems.push({ field: n, messages: [`the header row names ${n} more than once`] });
    else index[n as WaitingListColumn] = i;
  });
  const missing = WAITING_LIST_COLUMNS.filter((c) => index[c] === undefined);
  for (const c of missing) problems.push({ field: c, messages: [`the header row has no ${c} column`] });
  if (problems.length) {
    const message = missing.length
      ? `The header row lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected: ${WAITING_LIST_COLUMNS.join(', ')})`
      : problems.map((p) => p.messages[0]).join('; ');
    throw new UploadRefusedError('UPLOAD_UNREADABLE', message, problems);
  }
  const providerAt = names.findIndex((n) => (PROVIDER_COLUMNS as readonly string[]).includes(n));
  return {
    fields: record.length,
    index,
    provider: providerAt >= 0 ? providerAt : undefined,
    ignored: names.filter((n, i) => !known.has(n) && i !== providerAt).slice(0, 50),
  };
}
