// `node bench/staging-cleanup.mjs [--rows N]`: what a huge waiting-list upload leaves behind for the
// next import. With the code as built (dist/), on its own Postgres in .data/bench-staging/:
//   1. stages N rows (default 817,072: what 214 KB of gzip once expanded to), all the same row, as
//      the upload of a compressed file that repeats one line would, and applies them (the import job),
//      while another transaction holds an older snapshot, as another trust's upload still streaming does;
//   2. runs VACUUM ANALYZE on the staging relations, as autovacuum would once it saw the change;
//   3. stages the next import, 5,000 good rows, and applies it batch by batch, timing each batch
//      and the import's end (its cleanup of staging);
//   4. prints the timings and the size of the staging storage (and its dead rows) after each step.
// Figures before and after the staging table per import: docs/benchmarks.md.
import { Readable } from 'node:stream';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDatabase, log, prisma, root, startPostgres } from '../scripts/lib/local-services.mjs';
import { ensureBuilt } from '../scripts/lib/build.mjs';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '817072' }, 'no-build': { type: 'boolean', default: false } }, strict: true });
const ROWS = Number(args.rows);

if (!args['no-build']) ensureBuilt();
const pgInfo = await startPostgres(path.join(root, '.data', 'bench-staging', 'pg'));
const databaseUrl = await ensureDatabase(pgInfo, 'crosstrust_staging', { recreate: true });
prisma(['migrate', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl });
process.env.DATABASE_URL = databaseUrl;
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379'; // not used: the config asks for one
process.env.LOG_LEVEL = 'silent';

const { loadConfig } = await import('#config');
const { PrismaService } = await import('#persistence');
const { WaitingListImports, WaitingListImporter } = await import('#workflow');
const { WAITING_LIST_COLUMNS } = await import('#domain');

const config = loadConfig();
const db = new PrismaService(config);
const imports = new WaitingListImports(db);
const importer = new WaitingListImporter(db, config);
const caller = { sub: 'bench-staging', roles: ['integration'], role: 'integration', ods: 'RLQ', nhsNumber: null };
const header = WAITING_LIST_COLUMNS.join(',') + '\n';
const rttStart = new Date(Date.now() - 60 * 7 * 86_400_000).toISOString().slice(0, 10);
let nhs = 999_600_000;
const goodRow = (i) => {
  let n;
  while (!(n = withCheckDigit(String(nhs++))));
  return `${n},Benchpatient,Sam,1970-01-01,HR1 2ER,M81001,110,W371,${rttStart},STAGE-${i},P4,\n`;
};

function csv(rows, line) {
  return Readable.from(
    (function* () {
      yield header;
      for (let i = 0; i < rows;) {
        let chunk = '';
        for (let n = 0; n < 5000 && i < rows; n++, i++) chunk += line(i);
        yield chunk;
      }
    })(),
  );
}

async function staging() {
  // Every relation that holds staged rows, with its indexes and TOAST.
  const { rows } = await db.sql.query(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes, coalesce(sum(s.n_dead_tup), 0)::bigint AS dead,
            bool_or(s.last_autovacuum IS NOT NULL) AS vacuumed
     FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
     WHERE c.relkind = 'r' AND (c.relname = 'waiting_list_import_row' OR c.relnamespace = to_regnamespace('waiting_list_staging'))`,
  );
  return { mb: Math.round(Number(rows[0].bytes) / 1e5) / 10, deadRows: Number(rows[0].dead), autovacuumRan: rows[0].vacuumed ?? false };
}

async function stagingRelations() {
  const { rows } = await db.sql.query(
    `SELECT c.oid::regclass::text AS rel FROM pg_class c WHERE c.relkind = 'r' AND (c.relname = 'waiting_list_import_row' OR c.relnamespace = to_regnamespace('waiting_list_staging'))`,
  );
  return rows.map((r) => r.rel);
}

const ms = (t) => Math.round(performance.now() - t);
const limits = {
  maxBytes: config.waitingList.maxBytes,
  maxRows: Math.max(ROWS, config.waitingList.maxRows),
  maxRowChars: config.waitingList.maxRowChars,
  maxGzipRatio: config.waitingList.maxGzipRatio,
  perTrust: 1,
  perServer: 1,
};
const upload = (body) => imports.upload(caller, { body, mode: 'partial', gzip: false, limits });

try {
  // Another trust's upload still streaming: its transaction's snapshot keeps vacuum from removing
  // rows deleted after it began (an hour-long upload is allowed).
  const other = await db.pool.connect();
  await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await other.query('SELECT 1 FROM waiting_list_import LIMIT 1');
  let t = performance.now();
  const same = `9434765919,Benchpatient,Sam,1970-01-01,HR1 2ER,M81001,110,W371,${rttStart},STAGE-BIG,P4,\n`;
  const big = await upload(csv(ROWS, () => same));
  log(`staged ${big.rowsTotal} rows in ${ms(t)} ms; staging: ${JSON.stringify(await staging())}`);
  t = performance.now();
  await importer.start(big.id);
  while ((await importer.applyBatch(big.id)) > 0);
  const applied = ms(t);
  t = performance.now();
  await importer.run(big.id); // the rest: the close of the import and its cleanup
  const after = await imports.get(caller, big.id);
  log(
    `applied them in ${applied} ms, end of import (cleanup) ${ms(t)} ms (${after.status}, accepted ${after.accepted}, rejected ${after.rejected}); staging: ${JSON.stringify(await staging())}`,
  );

  // What autovacuum does once it sees the deletes: new statistics; the dead rows stay (see above).
  t = performance.now();
  for (const rel of await stagingRelations()) await db.sql.query(`VACUUM ANALYZE ${rel}`);
  log(`vacuum analyze as autovacuum would: ${ms(t)} ms; staging: ${JSON.stringify(await staging())}`);
  const next = await upload(csv(5000, goodRow));
  await importer.start(next.id); // the job's first step, so the batches can be timed one by one
  const batches = [];
  for (;;) {
    t = performance.now();
    const n = await importer.applyBatch(next.id);
    batches.push({ rows: n, ms: ms(t) });
    if (n === 0) break;
  }
  t = performance.now();
  await importer.run(next.id); // the rest: the close of the import and its cleanup
  const end = ms(t);
  const done = await imports.get(caller, next.id);
  log(
    `next import: ${done.status}, accepted ${done.accepted}, rejected ${done.rejected} ${JSON.stringify(done.errors.items.slice(0, 2))}; batches ${JSON.stringify(batches)}; end of import (cleanup) ${end} ms; staging: ${JSON.stringify(await staging())}`,
  );
  await other.query('COMMIT');
  other.release();
} finally {
  await db.onApplicationShutdown();
  await pgInfo.stop();
}
