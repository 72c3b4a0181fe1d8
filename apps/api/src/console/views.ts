// The console's pages: nhsuk-frontend's own Nunjucks macros and page template (the NHS.UK design
// system), with our templates in ./views. Autoescaped; nothing of a page is built by string concatenation.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

/** nhsuk-frontend's dist folder: its templates (`nhsuk/...`), CSS, JS and images. */
export const NHSUK_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')), 'dist');

/** Our templates live beside the sources (not compiled): found from here, in src/ or in dist/. */
function viewsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'apps', 'api', 'src', 'console', 'views');
    if (existsSync(candidate)) return candidate;
    const here = path.join(dir, 'views');
    if (path.basename(dir) === 'console' && existsSync(here)) return here;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('The console templates (apps/api/src/console/views) are missing');
    dir = up;
  }
}

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([viewsDir(), NHSUK_DIST], { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

/** NHS numbers as people read them: 943 476 5919. */
env.addFilter('nhsNumber', (v: unknown) => (typeof v === 'string' && /^\d{10}$/.test(v) ? `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6)}` : v));
/** Dates as people read them: 5 March 2026. */
env.addFilter('ukDate', (v: unknown) => {
  if (typeof v !== 'string' && !(v instanceof Date)) return v;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
});
/** Date and time: 5 March 2026, 14:05. */
env.addFilter('ukDateTime', (v: unknown) => {
  if (typeof v !== 'string' && !(v instanceof Date)) return v;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  return d.toLocaleString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });
});

export function renderPage(template: string, context: Record<string, unknown>): string {
  return env.render(template, context);
}
