// nhsuk-frontend's CSS, JS and images for the console, served from the package (not copied), and
// our own small stylesheet and script. Public: the sign-in pages need them before a session exists.
import { Controller, Get, Param, Res, StreamableFile, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Public } from '#auth';
import { ConsolePageError } from './console-access.js';
import type { ConsoleResponse } from './console-request.js';
import { NHSUK_DIST } from './views.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/manifest+json',
};

/** Our own additions: a few lines nhsuk-frontend has no class for, and the script that starts its components. */
const OWN: Record<string, string> = {
  // Links in tables and the footer at least 24 px tall (WCAG 2.2 target size, 2.5.8).
  'console.css':
    '.ct-nowrap{white-space:nowrap}.ct-count{display:block;font-size:2.5rem;font-weight:700;line-height:1.1}.ct-filters__button{margin-top:2rem}' +
    '.ct-timeline li{margin-bottom:.75rem}.nhsuk-table__cell a,.nhsuk-footer__meta a{display:inline-block;min-height:24px;padding:2px 0}.ct-table-button{margin-bottom:0}' +
    '.ct-progress progress{display:block;width:100%;height:1.5rem;accent-color:#005eb8}.ct-progress p{margin-top:.5rem}' +
    '.ct-tags{list-style:none;padding:0;margin:0 0 1rem}.ct-tags li{display:inline-block;margin:0 .25rem .25rem 0}' +
    // A table that scrolls in its container keeps its visually hidden text inside it, not off the page's edge.
    '.nhsuk-table-container{position:relative}\n',
  // Unticking a box whose follow-up questions it hides clears their answers, so what is saved is what is seen
  // (without JavaScript every follow-up shows and counts: views/requirements-form.ts).
  'console.js':
    "import { initAll } from './nhsuk-frontend.min.js';\ninitAll();\n" +
    "document.addEventListener('change', (e) => {\n" +
    '  const box = e.target;\n' +
    "  const id = box instanceof HTMLInputElement && box.type === 'checkbox' && !box.checked ? (box.getAttribute('aria-controls') ?? box.dataset.ariaControls) : null;\n" +
    '  if (!id) return;\n' +
    "  for (const f of document.getElementById(id)?.querySelectorAll('input, select, textarea') ?? []) {\n" +
    "    if (f.type === 'checkbox' || f.type === 'radio') f.checked = false;\n" +
    "    else f.value = '';\n" +
    '  }\n' +
    '});\n',
  // A waiting-list import's page: moves its progress bar from the import's status, and reloads the
  // page when the import has ended. Each look is audited as the API's GET of an import is: every
  // second at first, then less often (at most every 5 s) for a long import.
  'import-progress.js': [
    "const box = document.querySelector('[data-progress-url]');",
    'if (box) {',
    "  const bar = box.querySelector('progress');",
    "  const text = document.getElementById('import-progress-text');",
    '  let looks = 0;',
    '  const tick = async () => {',
    '    try {',
    // Not following a redirect: signed out, the answer is one to the sign-in page, and the script stops (the link on the page still works).
    "      const r = await fetch(box.dataset.progressUrl, { headers: { accept: 'application/json' }, redirect: 'manual' });",
    '      if (!r.ok) return;',
    '      const p = await r.json();',
    '      if (p.done) return location.reload();',
    '      bar.max = Math.max(p.rowsTotal, 1);',
    '      bar.value = p.rowsRead;',
    '      bar.textContent = p.percent + "%";',
    '      text.textContent = p.text;',
    '    } catch {}',
    '    setTimeout(tick, Math.min(5000, 1000 + 250 * looks++));',
    '  };',
    '  setTimeout(tick, 1000);',
    '}',
    '',
  ].join('\n'),
};

const cache = new Map<string, Buffer>();

function asset(name: string): Buffer | null {
  const hit = cache.get(name);
  if (hit) return hit;
  let body: Buffer | null = null;
  if (OWN[name]) body = Buffer.from(OWN[name]);
  else if (/^(nhsuk-frontend\.min\.(css|js)|images\/[\w.-]+\.(svg|png|ico)|manifest\.json)$/.test(name)) {
    const file = name.startsWith('nhsuk-frontend') ? path.join(NHSUK_DIST, 'nhsuk', name) : path.join(NHSUK_DIST, 'nhsuk', 'assets', name);
    try {
      body = readFileSync(file);
      // The stylesheet refers to its images at /assets/: they are served here.
      if (name.endsWith('.css')) body = Buffer.from(body.toString('utf8').replaceAll('url(/assets/', 'url(/console/assets/'));
    } catch {
      body = null;
    }
  }
  if (body) cache.set(name, body);
  return body;
}

@ApiExcludeController()
@Public()
@UseFilters(ConsoleErrorsFilter)
@Controller('console/assets')
export class ConsoleAssetsController {
  @Get(':name')
  file(@Param('name') name: string, @Res({ passthrough: true }) res: ConsoleResponse): StreamableFile {
    return this.serve(name, res);
  }

  @Get('images/:name')
  image(@Param('name') name: string, @Res({ passthrough: true }) res: ConsoleResponse): StreamableFile {
    return this.serve(`images/${name}`, res);
  }

  private serve(name: string, res: ConsoleResponse): StreamableFile {
    const body = asset(name);
    if (!body) throw new ConsolePageError(404, 'Page not found', 'There is no such file.');
    res.header('cache-control', 'public, max-age=3600');
    return new StreamableFile(body, { type: TYPES[path.extname(name)] ?? 'application/octet-stream', length: body.length });
  }
}
