// The insights' few styles: served as a stylesheet to the console (its CSP allows styles from 'self'
// only), and put inside the weekly report when it is printed to PDF (nothing is fetched then).
const FIGURE =
  '.ct-chart{margin:0 0 2rem}.ct-chart svg{max-width:100%;height:auto;display:block}.ct-chart figcaption h3{margin-bottom:.5rem}' +
  '.ct-chart__table{overflow-x:auto}.ct-skew{border-left:8px solid #d5281b;padding:.5rem 1rem;margin-bottom:1.5rem}.ct-skew--fair{border-left-color:#007f3b}';

export const INSIGHTS_CSS = `${FIGURE}\n`;

export const REPORT_CSS =
  'body{font-family:Arial,Helvetica,sans-serif;color:#212b32;margin:0 1rem;font-size:14px}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:1.5rem}' +
  'table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:12px}th,td{border-bottom:1px solid #d8dde0;padding:3px 8px;text-align:left}' +
  'td.num,th.num{text-align:right}figure{margin:0 0 1.5rem;break-inside:avoid}' +
  FIGURE;
