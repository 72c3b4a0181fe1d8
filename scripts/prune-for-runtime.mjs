// The Dockerfile's runtime stage runs this after `npm ci --omit=dev`: it removes what that still
// installs and the running apps never load. npm keeps a dev dependency that a production package
// names as an optional peer: here the Prisma CLI and TypeScript, optional peers of @prisma/client,
// with their own dependencies (about 120 MB; the CLI belongs to the migrate stage, not the apps).
// It also removes the Node.js build npm brings for machines whose Node is older: the image has its
// own. What stays is read from the lockfile (scripts/lib/runtime-packages.mjs).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runtimePackages } from './lib/runtime-packages.mjs';

const root = process.argv[2] ?? process.cwd();
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const kept = runtimePackages(lock);

const removed = [];
for (const p of Object.keys(lock.packages)) {
  if (p === '' || kept.has(p) || !existsSync(path.join(root, p))) continue;
  rmSync(path.join(root, p), { recursive: true, force: true });
  removed.push(p);
}
// Their commands too (node_modules/.bin/prisma, tsc, node): links left pointing at nothing.
const bin = path.join(root, 'node_modules', '.bin');
for (const name of existsSync(bin) ? readdirSync(bin) : []) if (!existsSync(path.join(bin, name))) rmSync(path.join(bin, name), { force: true });
const topLevel = removed.filter((p) => !p.slice('node_modules/'.length).includes('/node_modules/')).map((p) => p.slice('node_modules/'.length));
process.stdout.write(`prune-for-runtime: removed ${removed.length} packages not needed at run time: ${topLevel.join(', ')}\n`);
