// Builds dist/ with tsc when any source is newer than the last build (fast second runs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { log, prisma, root } from './local-services.mjs';

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.prisma')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export function ensureGenerated() {
  const client = path.join(root, 'generated', 'prisma', 'client.ts');
  const schema = path.join(root, 'prisma', 'schema.prisma');
  if (!existsSync(client) || statSync(client).mtimeMs < statSync(schema).mtimeMs) {
    log('Generating the Prisma client');
    prisma(['generate'], { ...process.env, DATABASE_URL: process.env.DATABASE_URL || 'postgresql://localhost:5432/placeholder' });
  }
}

export function ensureBuilt() {
  ensureGenerated();
  const stamp = path.join(root, 'dist', 'apps', 'api', 'src', 'main.js');
  const src = Math.max(
    newest(path.join(root, 'apps')),
    newest(path.join(root, 'libs')),
    newest(path.join(root, 'generated')),
    statSync(path.join(root, 'tsconfig.json')).mtimeMs,
  );
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= src) return;
  log('Building (tsc)');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('The TypeScript build failed');
}
