// Charts drawn on the server: a Vega-Lite spec compiled to Vega and rendered to SVG by Vega's own
// headless renderer (no canvas, no script in the page). Each chart is a <figure> with its title, a
// text summary and the table of its data beside it (insights-macros.njk); the SVG is one image to
// assistive technology (role="img", named by the figure's title and described by its summary),
// since the table beside it carries every number.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Okabe and Ito's palette ("Color Universal Design", 2008): distinguishable with any of the common
 * colour-vision deficiencies, and each series is also named in the legend and the table.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] as const;
/** Heat maps: cividis, a sequential scheme made to read the same with colour-vision deficiencies. */
export const SEQUENTIAL_SCHEME = 'cividis';

export interface ChartTable {
  readonly head: readonly string[];
  /** Cells as shown (suppressed counts already in words); the first cell of each row is its header. */
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Which columns are numbers (right-aligned). */
  readonly numeric: readonly boolean[];
}

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly svg: string;
  readonly table: ChartTable;
  readonly csvHref: string | null;
}

const CONFIG = {
  font: 'Arial, Helvetica, sans-serif',
  background: 'white',
  range: { category: [...OKABE_ITO] },
  axis: { labelFontSize: 12, titleFontSize: 13, labelColor: '#212b32', titleColor: '#212b32' },
  legend: { labelFontSize: 12, titleFontSize: 13, labelColor: '#212b32', titleColor: '#212b32' },
  view: { stroke: null },
};

/**
 * Vega's SVG marks each group and axis for assistive technology, which would read the picture out
 * piece by piece beside a table that says it all; and a `style` attribute would be refused by the
 * console's CSP (style-src 'self'). Both go, and the root becomes one named image.
 */
export function accessibleSvg(svg: string, id: string): string {
  const body = svg
    .replace(/\s(?:role|aria-[a-z]+|style)="[^"]*"/g, '')
    .replace(/^<svg\s/, `<svg id="${id}-svg" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-summary" focusable="false" `);
  return body;
}

/** Renders a Vega-Lite spec to SVG text (the spec's data inline). */
export async function renderSvg(spec: TopLevelSpec, id: string): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return accessibleSvg(await view.toSVG(), id);
  } finally {
    view.finalize();
  }
}
