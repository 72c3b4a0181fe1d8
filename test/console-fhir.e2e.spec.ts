// The FHIR export in the staff console, in Chromium: the referral page links to the referral as
// FHIR R4 (a file to download, with or without JavaScript), the same Bundle as the API's, valid,
// minimised by role (the discharge summary's words only for clinicians) and audited; another
// trust's staff get the console's "not found". axe-core on the page with the link.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Bundle, Composition } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { startConsole, type ConsoleHarness } from './support/console.js';
import { driveTo } from './support/stack.js';
import { bundleProblems } from './support/fhir-validator.js';

let h: ConsoleHarness;
let referralId = '';

beforeAll(async () => {
  h = await startConsole();
  referralId = (await driveTo(h.s, h.c, 'DISCHARGED')).id;
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Follows the page's link as a person would and reads the file it gives. */
async function download(page: Page): Promise<{ name: string; bundle: Bundle }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download this referral as FHIR R4 (JSON)' }).click()]);
  return { name: file.suggestedFilename(), bundle: JSON.parse(readFileSync(await file.path(), 'utf8')) as Bundle };
}

const summaryOf = (b: Bundle) => (b.entry ?? []).map((e) => e.resource).find((r): r is Composition => r?.resourceType === 'Composition')!.section![0];

describe('the referral as FHIR in the console', () => {
  it('a clinician of the receiving trust downloads it from the referral page: valid, with the summary, audited', async () => {
    const page = await h.signedIn('clinician.rjc', `/console/referrals/${referralId}`);
    await h.axeCheck(page, 'referral-fhir-link');
    const { name, bundle } = await download(page);
    expect(name).toBe(`referral-${referralId}.fhir.json`);
    expect(bundleProblems(bundle)).toEqual([]);
    expect(summaryOf(bundle).text?.div).toContain('Recovered well.');
    const { rows } = await h.s.prisma.sql.query<{ action: string; actor_ods: string; outcome: number }>(
      `SELECT action, actor_ods, outcome FROM audit_event WHERE referral_id = $1 AND action = 'referral.fhir-export'`,
      [referralId],
    );
    expect(rows).toEqual([{ action: 'referral.fhir-export', actor_ods: 'RJC', outcome: 200 }]);
  });

  it('a booking clerk of the referring trust, without JavaScript, gets it without the clinical words', async () => {
    const page = await h.signedIn('clerk.rlq', `/console/referrals/${referralId}`, { javaScriptEnabled: false });
    const { bundle } = await download(page);
    expect(bundleProblems(bundle)).toEqual([]);
    expect(summaryOf(bundle).emptyReason?.coding?.[0].code).toBe('withheld');
    expect(JSON.stringify(bundle)).not.toContain('Recovered well.');
  });

  it("another trust's staff are told it is not there", async () => {
    const page = await h.signedIn('clerk.rlt');
    const res = await page.goto(`${h.base}/console/referrals/${referralId}/fhir`);
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
  });
});
