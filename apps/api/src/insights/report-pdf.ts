// The weekly report as a PDF: its HTML printed by Chromium (playwright-core driving the system's
// Chromium, as the console's browser tests do). One browser per report, closed after: reports are
// weekly, so a browser kept running would cost memory for nothing.
import { chromium } from 'playwright-core';

/** `chromiumPath`: INSIGHTS_CHROMIUM_PATH (config.insights). */
export async function htmlToPdf(html: string, chromiumPath: string): Promise<Buffer> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    // No script runs in the report and nothing is fetched: everything it shows is in the HTML.
    const page = await browser.newPage({ javaScriptEnabled: false, offline: true });
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '15mm', bottom: '15mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
