// `npm test`: type-check, then the whole Jest suite (unit and e2e) against a real Postgres and
// Redis started in .data/test (or DATABASE_URL / REDIS_URL when given), workers running.
// Each run gets its own database and queue prefix, so it never touches a running instance's data.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { dropDatabase, ensureServices, log, prisma, root } from './lib/local-services.mjs';
import { ensureBuilt, ensureGenerated } from './lib/build.mjs';
import { ensureDevIssuerKey } from './lib/dev-issuer.mjs';
import { describeRuntime, requireRuntime } from './lib/runtime.mjs';

// The suites run on the Node.js line production runs (the Dockerfile's image), nothing else: on a
// machine whose own Node is older, npm runs this script on the one npm install brought.
requireRuntime({ strictMajor: true });
log(`Runtime: ${describeRuntime()}`);
const t0 = Date.now();
ensureGenerated();
log('Type-checking (tsc --noEmit)');
const tc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'], {
  cwd: root,
  stdio: 'inherit',
});
if (tc.status !== 0) {
  log('Type errors: fix them first');
  process.exit(1);
}
// The whole suite (no files named, as CI runs it) is linted too: ESLint and Prettier (npm run lint).
const namedFiles = process.argv.slice(2).some((a) => !a.startsWith('--'));
if (!namedFiles && !process.argv.includes('--faults') && !process.argv.includes('--write-openapi')) {
  log('Linting (npm run lint: ESLint, Prettier)');
  const lint = spawnSync(process.execPath, [path.join(root, 'scripts', 'lint.mjs')], { cwd: root, stdio: 'inherit' });
  if (lint.status !== 0) {
    log("Lint errors: fix them first (npm run lint; npm run format writes Prettier's layout)");
    process.exit(1);
  }
}

const database = `crosstrust_test_${process.pid}`;
const profile = process.env.CROSSTRUST_TEST_PROFILE || 'test';
const services = await ensureServices(profile, { database, recreateDatabase: true });
// The local MESH mailbox of this run, removed with its database at the end.
const meshDir = path.join(root, '.data', profile, `mesh-${process.pid}`);
let code = 1;
try {
  const keyFile = path.join(root, '.data', profile, 'dev-issuer.json');
  await ensureDevIssuerKey(keyFile);
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    QUEUE_PREFIX: `{ct-test-${process.pid}}`,
    AUTH_DEV_KEY_FILE: keyFile,
    AUTH_MODE: 'dev',
    OUTBOX_POLL_MS: '20',
    // The local MESH mailbox in this profile's data folder, its loops as quick as the outbox's.
    MESH_LOCAL_DIR: meshDir,
    MESH_SEND_INTERVAL_MS: '20',
    MESH_POLL_INTERVAL_MS: '20',
    // The suites send hundreds of requests a minute as one caller; the limit has its own test.
    RATE_LIMIT_PER_MINUTE: '1000000',
    // Likewise the per-address limit on requests without a valid token (every suite sends from 127.0.0.1).
    PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
    // SMS are held between 21:00 and 08:00 UK time: a suite run in the evening would find its SMS
    // waiting until morning. Off for every suite; the quiet-hours tests set their own window.
    SMS_QUIET_HOURS: 'off',
    LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim(),
  };
  log('Applying migrations to the test database');
  prisma(['migrate', 'deploy'], env);
  // One process for every suite (--runInBand): Jest's ESM module registries (--experimental-vm-modules) are not
  // all freed between files, and at about 95 files the heap passed Node's default 4 GB (an out-of-memory stop at
  // the 58th file). The machines have 24 GB; 12 GB leaves room to grow. Next: a worker recycled by
  // --workerIdleMemoryLimit, once the suites are checked to need nothing of the parent's process.
  const jest = (extra) =>
    spawnSync(process.execPath, ['--max-old-space-size=12288', path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', ...extra], {
      cwd: root,
      env,
      stdio: 'inherit',
    }).status ?? 1;
  // `npm run openapi`: the OpenAPI test writes docs/openapi.json from the served document.
  if (process.argv.includes('--write-openapi')) env.CROSSTRUST_WRITE_OPENAPI = '1';
  const userArgs = process.argv.slice(2).filter((a) => a !== '--faults' && a !== '--with-faults' && a !== '--write-openapi');
  const faultsOnly = process.argv.includes('--faults');
  // The whole suite (no files named) includes the fault suite; CROSSTRUST_FAULTS=0 leaves it out.
  const withFaults = process.argv.includes('--with-faults') || (userArgs.length === 0 && process.env.CROSSTRUST_FAULTS !== '0');
  code = faultsOnly ? 0 : jest(userArgs);
  if (code === 0 && (faultsOnly || withFaults)) {
    // The fault suite runs the apps as deployed: separate processes from dist/.
    ensureBuilt();
    log('Fault suite: own Postgres, Redis, API and worker processes per test');
    code = jest(['--testMatch', '**/test/faults/**/*.faults.spec.ts', '--testTimeout', '600000', ...userArgs]);
  }
} finally {
  if (services.pgInfo) await dropDatabase(services.pgInfo, database).catch(() => {});
  rmSync(meshDir, { recursive: true, force: true });
  await services.stop();
}
log(`Tests ${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(code);
