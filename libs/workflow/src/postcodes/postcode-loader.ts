// Loads postcode geography from the ONS Postcode Directory (ONSPD) CSV, streamed: live postcodes with
// their coordinates and LSOAs (2011 and 2021, kept for a later deprivation join) into `postcode`,
// terminated ones (doterm set) skipped and removed, then each district touched gets the centroid of
// its live postcodes in `postcode_district` (what a postcode not in the file falls back to).
// Used by `npm run postcodes:load -- <file>` and POST /v1/postcodes/loads; the body is never held whole.
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import { postcodeDistrict } from '#domain';
import type { SqlRunner } from '#persistence';
import { BusinessRuleError } from '../workflow-errors.js';
import { UploadRefusedError } from '../waiting-list/waiting-list-imports.js';

/** The columns read (any order, any case); every other ONSPD column is ignored. */
export const POSTCODE_COLUMNS = { required: ['pcds', 'lat', 'long'], optional: ['doterm', 'lsoa11', 'lsoa21'] } as const;
/** Rows written per statement. */
const BATCH = 2000;
/** Row problems kept for the answer; the count stays exact beyond it. */
const MAX_PROBLEMS = 100;
/** A row longer than this is not ONSPD (its rows are about 500 characters). */
const MAX_ROW_CHARS = 8192;

export interface PostcodeLoadResult {
  /** Data rows read (the header is row 1). */
  readonly rows: number;
  readonly loaded: number;
  /** Terminated postcodes skipped (and removed where an earlier load had them). */
  readonly terminated: number;
  /** Rows with no usable postcode or coordinates (ONSPD gives 99.999999 where it has no grid reference). */
  readonly rejected: number;
  readonly districts: number;
  readonly problems: Array<{ readonly row: number; readonly reason: string }>;
}

export interface PostcodeLoadOptions {
  readonly gzip?: boolean;
  /** Bytes of CSV (after gunzip) at most. */
  readonly maxBytes?: number;
}

interface Row {
  key: string;
  pcds: string;
  district: string;
  lat: number;
  lon: number;
  lsoa11: string | null;
  lsoa21: string | null;
}

/** Loads the CSV into the database through `db` (run it in a transaction: a refused file leaves nothing). */
export async function loadPostcodes(db: SqlRunner, body: Readable, options: PostcodeLoadOptions = {}): Promise<PostcodeLoadResult> {
  let header: Map<string, number> | null = null;
  let rowNumber = 1;
  let loaded = 0;
  let terminated = 0;
  let rejected = 0;
  const problems: Array<{ row: number; reason: string }> = [];
  const districts = new Set<string>();
  let batch: Row[] = [];
  let gone: string[] = [];
  const reject = (reason: string) => {
    rejected++;
    if (problems.length < MAX_PROBLEMS) problems.push({ row: rowNumber, reason });
  };
  const flush = async () => {
    if (batch.length > 0) {
      const rows = batch;
      batch = [];
      await db.query(
        `INSERT INTO postcode (postcode, pcds, district, latitude, longitude, lsoa11, lsoa21, loaded_at)
         SELECT * , now() FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[])
         ON CONFLICT (postcode) DO UPDATE SET pcds = EXCLUDED.pcds, district = EXCLUDED.district, latitude = EXCLUDED.latitude,
           longitude = EXCLUDED.longitude, lsoa11 = EXCLUDED.lsoa11, lsoa21 = EXCLUDED.lsoa21, loaded_at = now()`,
        [
          rows.map((r) => r.key),
          rows.map((r) => r.pcds),
          rows.map((r) => r.district),
          rows.map((r) => r.lat),
          rows.map((r) => r.lon),
          rows.map((r) => r.lsoa11),
          rows.map((r) => r.lsoa21),
        ],
      );
    }
    if (gone.length > 0) {
      const keys = gone;
      gone = [];
      await db.query('DELETE FROM postcode WHERE postcode = ANY($1::text[])', [keys]);
    }
  };
  const sink = new Writable({
    objectMode: true,
    write(record: string[], _enc, cb) {
      void (async () => {
        if (!header) {
          header = new Map(record.map((name, i) => [name.trim().toLowerCase(), i]));
          const missing = POSTCODE_COLUMNS.required.filter((c) => !header!.has(c));
          if (missing.length > 0) {
            throw new BusinessRuleError(
              `The file has no ${missing.join(', ')} column: expected the ONS Postcode Directory CSV (pcds, lat, long, doterm, lsoa11, lsoa21)`,
              {
                field: 'body',
              },
            );
          }
          return;
        }
        rowNumber++;
        const v = (c: string) => {
          const i = header!.get(c);
          return i === undefined ? '' : (record[i] ?? '').trim();
        };
        const pcds = v('pcds').toUpperCase();
        const district = postcodeDistrict(pcds);
        if (!district) return reject('pcds is not a UK postcode');
        const key = pcds.replace(/\s+/g, '');
        if (v('doterm') !== '') {
          terminated++;
          gone.push(key);
          return;
        }
        const lat = Number(v('lat'));
        const lon = Number(v('long'));
        // ONSPD's "no grid reference" is lat 99.999999, long 0.000000.
        if (!v('lat') || !v('long') || !Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180)
          return reject('lat and long must be coordinates (the postcode has no grid reference)');
        districts.add(district);
        batch.push({ key, pcds, district, lat, lon, lsoa11: v('lsoa11') || null, lsoa21: v('lsoa21') || null });
        loaded++;
        if (batch.length + gone.length >= BATCH) await flush();
      })().then(() => cb(), cb);
    },
    final(cb) {
      flush().then(() => cb(), cb);
    },
  });
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (options.maxBytes !== undefined && bytes > options.maxBytes)
        return cb(new UploadRefusedError('UPLOAD_TOO_LARGE', `The file is larger than the ${options.maxBytes} bytes allowed`));
      cb(null, chunk);
    },
  });
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, max_record_size: MAX_ROW_CHARS });
  try {
    await (pipeline as (...s: unknown[]) => Promise<void>)(...(options.gzip ? [body, createGunzip(), limit, parser, sink] : [body, limit, parser, sink]));
  } catch (e) {
    if (e instanceof CsvError)
      throw new UploadRefusedError('UPLOAD_UNREADABLE', `Row ${rowNumber + 1} is not CSV: ${e.message}`, [{ field: 'body', messages: [e.message] }]);
    if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('Z_'))
      throw new UploadRefusedError('UPLOAD_UNREADABLE', 'The body is not valid gzip', [{ field: 'Content-Encoding', messages: ['not valid gzip'] }]);
    throw e;
  }
  if (!header) throw new BusinessRuleError('The file is empty: expected a header row naming the columns (pcds, lat, long...)', { field: 'body' });
  // Every district touched: the centroid of its live postcodes (a district with none left keeps what it had).
  const touched = [...districts];
  if (touched.length > 0) {
    await db.query(
      `INSERT INTO postcode_district (district, latitude, longitude)
       SELECT district, avg(latitude), avg(longitude) FROM postcode WHERE district = ANY($1::text[]) GROUP BY district
       ON CONFLICT (district) DO UPDATE SET latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude`,
      [touched],
    );
  }
  return { rows: rowNumber - 1, loaded, terminated, rejected, districts: touched.length, problems };
}
