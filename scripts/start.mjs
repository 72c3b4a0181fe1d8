// `npm start`: Postgres and Redis (started in .data/dev unless DATABASE_URL / REDIS_URL are set),
// migrations, demo data, then the API and the worker. Ctrl-C stops everything it started.
import { describeRuntime, requireRuntime } from './lib/runtime.mjs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ensureServices, log, prisma, root } from './lib/local-services.mjs';
import { ensureBuilt } from './lib/build.mjs';
import { ensureDevIssuerKey } from './lib/dev-issuer.mjs';
import { seed } from '../prisma/seed.mjs';
import { startLocalIdentityProvider } from './lib/local-identity-provider.mjs';

requireRuntime();
log(`Runtime: ${describeRuntime()}`);

const started = Date.now();
// The API's port first: taken, the API would crash at once while another server answered our
// readiness check, and we would say crosstrust was running.
const port = Number(process.env.PORT || '3000');
const taken = await new Promise((resolve) => {
  const probe = net.createServer();
  probe.once('error', (e) => resolve(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? e.code : null));
  probe.listen(port, () => probe.close(() => resolve(null)));
});
if (taken) {
  log(
    `Port ${port} is ${taken === 'EACCES' ? 'not open to this user' : 'already in use (another crosstrust, or another server)'}: stop that, or choose another port, e.g. PORT=${port + 1} npm start`,
  );
  process.exit(1);
}
const services = await ensureServices('dev', { database: 'crosstrust' });
const keyFile = path.resolve(root, process.env.AUTH_DEV_KEY_FILE || '.data/dev-issuer.json');
const env = {
  ...process.env,
  DATABASE_URL: services.databaseUrl,
  REDIS_URL: services.redisUrl,
  AUTH_DEV_KEY_FILE: keyFile,
  PORT: process.env.PORT || '3000',
  // With no MESH_URL, dispatches go to the local folder mailbox here (docs/mesh.md).
  MESH_LOCAL_DIR: process.env.MESH_LOCAL_DIR || path.join(root, '.data', 'dev', 'mesh'),
};
const children = [];
let stopping = false;
// The staff console signs people in with OpenID Connect: with no OIDC_ISSUER_URL configured, a
// local provider (a stand-in for NHS CIS2 with the demo users) runs in this process.
let identityProvider = null;
if (!process.env.OIDC_ISSUER_URL) {
  const publicBase = (env.PUBLIC_BASE_URL || `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  identityProvider = await startLocalIdentityProvider({
    port: Number(process.env.OIDC_PORT || 0),
    publicHost: new URL(publicBase).hostname,
    redirectUris: [`${publicBase}/console/auth/callback`],
    postLogoutRedirectUris: [`${publicBase}/console/signed-out`],
  });
  Object.assign(env, {
    OIDC_ISSUER_URL: identityProvider.issuer,
    OIDC_CLIENT_ID: identityProvider.clientId,
    OIDC_CLIENT_SECRET: identityProvider.clientSecret,
  });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('Stopping');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', resolve);
          c.kill('SIGTERM');
          // Not unref'd: this script stays until its children are gone, killing them if need be.
          setTimeout(() => c.kill('SIGKILL'), 35_000);
        }),
    ),
  );
  await identityProvider?.close();
  await services.stop();
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
// Whoever ran us may have gone (a closed terminal or pipe): keep going, and still stop cleanly.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

try {
  if ((env.AUTH_MODE ?? 'dev') === 'dev') await ensureDevIssuerKey(keyFile);
  ensureBuilt();
  log('Applying migrations');
  prisma(['migrate', 'deploy'], env);
  await seed(env.DATABASE_URL);
} catch (e) {
  log(String(e.message ?? e));
  await stop(1);
}

for (const app of ['api', 'worker']) {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', 'apps', app, 'src', 'main.js')], { cwd: root, env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${app} exited (${signal ?? code}); stopping the rest`);
      stop(1);
    }
  });
  children.push(child);
}

const base = `http://127.0.0.1:${env.PORT}`;
for (let i = 0; i < 600 && !stopping; i++) {
  try {
    const r = await fetch(`${base}/health/ready`);
    if (r.ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
// The API or the worker stopped while we waited (stop() is under way): it has said why.
if (stopping) await new Promise(() => {});
process.stderr.write(`
  crosstrust is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)
    Console    ${(env.PUBLIC_BASE_URL || `http://localhost:${env.PORT}`).replace(/\/+$/, '')}/console   (sign in as clerk.rlq, clinician.rjc...; password demo)
    API        ${base}
    API docs   ${base}/docs   (OpenAPI: ${base}/docs-json)
    Postgres   ${services.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
    Redis      ${services.redisUrl}${identityProvider ? `\n    Sign-in    ${identityProvider.issuer}   (local OpenID provider, a stand-in for NHS CIS2)` : ''}
  A token:     npm run token -- --role booking_clerk --ods RLQ
               npm run token -- --role patient --nhs-number 9434765919
  Ctrl-C stops it.

`);
