// `npm run start:api` / `npm run start:worker`: one process on its own, against DATABASE_URL and
// REDIS_URL, or the local services in .data/dev (found running, or started for it).
import { requireRuntime } from './lib/runtime.mjs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureServices, prisma, root } from './lib/local-services.mjs';
import { ensureBuilt } from './lib/build.mjs';
import { ensureDevIssuerKey } from './lib/dev-issuer.mjs';

requireRuntime();

const app = process.argv[2];
if (!['api', 'worker'].includes(app)) {
  console.error('usage: node scripts/run-app.mjs api|worker');
  process.exit(2);
}
const services = await ensureServices('dev', { database: 'crosstrust' });
const keyFile = path.resolve(root, process.env.AUTH_DEV_KEY_FILE || '.data/dev-issuer.json');
const env = { ...process.env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, AUTH_DEV_KEY_FILE: keyFile };
if ((env.AUTH_MODE ?? 'dev') === 'dev') await ensureDevIssuerKey(keyFile);
ensureBuilt();
prisma(['migrate', 'deploy'], env);
const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', 'apps', app, 'src', 'main.js')], { cwd: root, env, stdio: 'inherit' });
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', async (code) => {
  await services.stop();
  process.exit(code ?? 0);
});
