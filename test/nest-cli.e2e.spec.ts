// nest-cli.json names every app and lib of the monorepo where it is, so Nest's CLI, run ad hoc with
// npx (README: "Why there is no @nestjs/cli"), builds, starts and generates into the right folders.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const cli = JSON.parse(readFileSync(path.join(root, 'nest-cli.json'), 'utf8')) as {
  monorepo: boolean;
  compilerOptions: { builder: string; tsConfigPath: string };
  projects: Record<string, { type: string; root: string; sourceRoot: string; entryFile: string }>;
};
const imports = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { imports: Record<string, string> }).imports;
const folders = (dir: string) =>
  readdirSync(path.join(root, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

describe('nest-cli.json', () => {
  it('names every app and lib, each with the entry file it has', () => {
    expect(cli.monorepo).toBe(true);
    const expected = [...folders('apps').map((a) => [a, 'application', `apps/${a}`]), ...folders('libs').map((l) => [l, 'library', `libs/${l}`])];
    expect(
      Object.entries(cli.projects)
        .map(([name, p]) => [name, p.type, p.root])
        .sort(),
    ).toEqual(expected.sort());
    for (const p of Object.values(cli.projects)) {
      expect(p.sourceRoot).toBe(`${p.root}/src`);
      expect(existsSync(path.join(root, p.sourceRoot, `${p.entryFile}.ts`))).toBe(true);
    }
  });

  it('builds as `npm run build` does (tsc with tsconfig.build.json), into the dist/ paths package.json imports', () => {
    expect(cli.compilerOptions).toMatchObject({ builder: 'tsc', tsConfigPath: 'tsconfig.build.json' });
    for (const [name, p] of Object.entries(cli.projects).filter(([, p]) => p.type === 'library'))
      expect(imports[`#${name}`]).toBe(`./dist/${p.sourceRoot}/${p.entryFile}.js`);
  });
});
