// `npm run imd:load [file]`: the Index of Multiple Deprivation by LSOA into imd_lsoa, from the official
// File 7 CSV (IMD 2019 or 2025, from gov.uk) or, with no file, the demo extract prisma/data/imd-demo.csv.
import path from 'node:path';
import pg from 'pg';
import { requireRuntime } from './lib/runtime.mjs';
import { ensureServices } from './lib/local-services.mjs';
import { loadImd } from './lib/imd-loader.mjs';

requireRuntime();

const file = process.argv[2] ?? path.join(import.meta.dirname, '..', 'prisma', 'data', 'imd-demo.csv');
const services = await ensureServices('dev', { database: 'crosstrust', redis: false });
const client = new pg.Client({ connectionString: services.databaseUrl });
try {
  await client.connect();
  const { loaded, edition } = await loadImd(client, file);
  process.stdout.write(`imd_lsoa: ${loaded} small areas loaded (${edition}) from ${file}\n`);
} finally {
  await client.end();
  await services.stop();
}
