// The API's pages for people (the staff console and the patient's offer page): one Nunjucks
// environment over nhsuk-frontend's own macros and page template (the NHS.UK design system) and
// our templates, each app's in its own folder. Autoescaped; nothing of a page is built by string concatenation.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

/** nhsuk-frontend's dist folder: its templates (`nhsuk/...`), CSS, JS and images. */
export const NHSUK_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')), 'dist');

/** The folders of our templates, under apps/api/src/ (the Docker runtime stage copies each). */
export const TEMPLATE_FOLDERS = ['console/views', 'offer-page/views', 'insights/views'] as const;

/**
 * Templates live beside the sources (tsc does not copy them): found by walking up from here to the
 * folder holding apps/api/src/, whether this file runs from src/ or from dist/ (the repository, or
 * the Docker image's /app, which copies the template folders).
 */
function templateDir(folder: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'apps', 'api', 'src', folder);
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`The page templates (apps/api/src/${folder}) are missing`);
    dir = up;
  }
}

const folders = TEMPLATE_FOLDERS.map(templateDir);

// The loader takes the first folder holding a name: a template of the same name in two folders
// would silently render the wrong page, so it is refused when the API starts.
const seen = new Map<string, string>();
for (const dir of folders) {
  for (const name of readdirSync(dir)) {
    const other = seen.get(name);
    if (other) throw new Error(`The page template ${name} is in both ${other} and ${dir}: give one of them another name`);
    seen.set(name, dir);
  }
}

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([...folders, NHSUK_DIST], { noCache: false }), {
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
