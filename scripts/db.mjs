// `npm run db:migrate` / `npm run db:seed` against DATABASE_URL or the local dev database.
import { requireRuntime } from './lib/runtime.mjs';
import { ensureServices, prisma } from './lib/local-services.mjs';
import { seed } from '../prisma/seed.mjs';

requireRuntime();

const what = process.argv[2];
// Only Postgres: neither migrations nor the seed touch Redis (the migrate image has no redis-server).
const services = await ensureServices('dev', { database: 'crosstrust', redis: false });
const env = { ...process.env, DATABASE_URL: services.databaseUrl };
try {
  if (what === 'migrate') process.stdout.write(prisma(['migrate', 'deploy'], env));
  else if (what === 'seed') await seed(services.databaseUrl);
  else throw new Error('usage: node scripts/db.mjs migrate|seed');
} finally {
  await services.stop();
}
