// docs/architecture.md against the tree: its referral state diagram is the transition table's, and
// its package diagram is the imports between apps and libs as they are. A change to either that
// the picture does not show fails here, with the picture it should be.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { referralStateDiagram } from '#domain';

const root = process.cwd();
const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');

/** The Mermaid block that follows an HTML comment naming it. */
function block(name: string): string {
  const m = doc.match(new RegExp(`<!-- ${name} -->\\s*\`\`\`mermaid\\n([\\s\\S]*?)\\n\`\`\``));
  if (!m) throw new Error(`docs/architecture.md has no mermaid block after <!-- ${name} -->`);
  return m[1].trim();
}

const PACKAGES = [...readdirSync(path.join(root, 'apps')).map((d) => `apps/${d}`), ...readdirSync(path.join(root, 'libs')).map((d) => `libs/${d}`)];

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesOf(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

/** `a --> b` for every package a whose code imports #b (a lib) or reaches into another package by path. */
function importEdges(): string[] {
  const edges = new Set<string>();
  for (const pkg of PACKAGES) {
    const from = pkg.split('/')[1];
    for (const file of filesOf(path.join(root, pkg))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '#([a-z-]+)'/g)) if (m[1] !== 'prisma-client') edges.add(`${from} --> ${m[1]}`);
      for (const m of text.matchAll(/from '((?:\.\.\/)+)(apps|libs)\/([a-z-]+)\//g)) edges.add(`${from} --> ${m[3]}`);
    }
  }
  return [...edges].sort();
}

describe('docs/architecture.md', () => {
  it('draws the referral statuses exactly as the transition table allows them', () => {
    expect(block('referral-states')).toBe(referralStateDiagram());
  });

  it('draws the packages and every dependency between them, and no lib depends on an app', () => {
    const drawn = block('packages')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes('-->'))
      .sort();
    const actual = importEdges();
    expect(drawn).toEqual(actual.map((e) => e));
    const apps = new Set(PACKAGES.filter((p) => p.startsWith('apps/')).map((p) => p.split('/')[1]));
    const libsOnApps = actual.filter((e) => {
      const [from, to] = e.split(' --> ');
      return !apps.has(from) && apps.has(to);
    });
    expect(libsOnApps).toEqual([]);
  });
});
