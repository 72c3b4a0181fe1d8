// `npm run lint`: ESLint (typescript-eslint's type-aware recommended rules, eslint.config.mjs) and
// Prettier's check over the code. `npm run format` writes Prettier's layout.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg, file) => path.join(root, 'node_modules', pkg, file);
export const PRETTIER_GLOBS = ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'scripts/**/*.mjs', 'bench/**/*.mjs', 'prisma/*.mjs', '*.js', '*.ts', '*.mjs'];

const write = process.argv.includes('--write');
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
const prettier = run([bin('prettier', 'bin/prettier.cjs'), write ? '--write' : '--check', '--log-level', 'warn', ...PRETTIER_GLOBS]);
const eslint = write ? 0 : run([bin('eslint', 'bin/eslint.js'), 'apps', 'libs', 'test']);
process.exit(prettier || eslint);
