// The weekly report as a PDF: its HTML printed by Chromium (playwright-core driving the system's
// Chromium, as the console's browser tests do). One browser per report, closed after: reports are
// weekly, so a browser kept running would cost memory for nothing.
import { chromium } from 'playwright-core';

/** Where Chromium is (INSIGHTS_CHROMIUM_PATH, else Debian's). */
export const chromiumPath = () => process.env.INSIGHTS_CHROMIUM_PATH || process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function htmlToPdf(html: string): Promise<Buffer> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    // No script runs in the report and nothing is fetched: everything it shows is in the HTML.
    const page = await browser.newPage({ javaScriptEnabled: false, offline: true });
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '15mm', bottom: '15mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
