// `npm run postcodes:load -- <file>`: loads the ONS Postcode Directory (ONSPD) CSV, or a gzip of it
// (.gz), into DATABASE_URL or the database `npm start` uses: the same loader as POST /v1/postcodes/loads
// (libs/workflow/src/postcodes/postcode-loader.ts, from dist/, built first when stale), streamed, in one transaction.
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireRuntime } from './lib/runtime.mjs';
import { ensureServices, root } from './lib/local-services.mjs';
import { ensureBuilt } from './lib/build.mjs';

requireRuntime();

const usage = 'Usage: npm run postcodes:load -- <ONSPD .csv or .csv.gz file>\n';
const file = process.argv[2];
if (!file || file === '--help' || file === '-h') {
  process.stderr.write(usage);
  process.exit(file ? 0 : 2);
}
if (!existsSync(file)) {
  process.stderr.write(`${file}: no such file\n${usage}`);
  process.exit(2);
}

ensureBuilt();
const { loadPostcodes } = await import(pathToFileURL(path.join(root, 'dist', 'libs', 'workflow', 'src', 'postcodes', 'postcode-loader.js')).href);
// Only the database: loading postcodes needs no Redis.
const services = await ensureServices('dev', { database: 'crosstrust', redis: false });
const { default: pg } = await import('pg');
const client = new pg.Client({ connectionString: services.databaseUrl });
await client.connect();
const started = Date.now();
try {
  await client.query('BEGIN');
  const result = await loadPostcodes(client, createReadStream(file), { gzip: file.endsWith('.gz') });
  await client.query('COMMIT');
  const s = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `Loaded ${result.loaded} postcodes (${result.terminated} terminated skipped, ${result.rejected} rejected) of ${result.rows} rows; ${result.districts} district centroids updated, in ${s} s\n`,
  );
  for (const p of result.problems.slice(0, 20)) process.stdout.write(`  row ${p.row}: ${p.reason}\n`);
} catch (e) {
  await client.query('ROLLBACK').catch(() => {});
  process.stderr.write(`Nothing was loaded: ${e.message}\n`);
  process.exitCode = 1;
} finally {
  await client.end();
  await services.stop();
}
