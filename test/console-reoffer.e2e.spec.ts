// Re-offer and close to origin on the console's referral page (issue 18, RO), in Chromium: the referring side's actions after a rejection, a decline or a cancellation.
import { describe, expect, it } from '@jest/globals';
import { useConsole } from './support/console.js';
import { bearer, driveTo, getReferral, lastEventOf, waitUntil } from './support/stack.js';

const h = useConsole();

describe('after a rejection, the referral page', () => {
  it('offers the referring clinician both answers, and closes the referral to the waiting list', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const rejected = await s.http
      .post(`/v1/referrals/${ref.id}/receiver-decision`)
      .set(bearer(c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' });
    expect(rejected.status).toBe(200);
    const page = await h.signedIn('clinician.rlq', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    expect(await page.getByRole('button', { name: 'Offer again elsewhere' }).count()).toBe(1);
    await page.getByLabel('Reason').last().fill('The patient prefers to wait here');
    await page.getByRole('button', { name: 'Close to waiting list' }).click();
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.status).toBe('CANCELLED');
    expect(lastEventOf(view, 'closed_to_origin').detail).toMatchObject({ reason: 'The patient prefers to wait here' });
    expect(await page.getByRole('button', { name: 'Offer again elsewhere' }).count()).toBe(0);
  });
});

describe('after a decline, the referral page', () => {
  it('offers the referring clinician to offer the patient again elsewhere, and re-opens the referral with fresh offers', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    await waitUntil(async () => (await getReferral(s, c.clinRLQ, ref.id)).timeline.some((e: { type: string }) => e.type === 'offers_made'), 'the first offers');
    const declined = await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(ref.patient)).send({ decision: 'decline' });
    expect(declined.body.status).toBe('DECLINED');
    const page = await h.signedIn('clinician.rlq', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    // The clinician is told until when: 90 days (REOFFER_WINDOW_DAYS) after the decline.
    const closedAt = new Date(String(lastEventOf(await getReferral(s, c.clinRLQ, ref.id), 'consent_declined').at));
    const day = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
    await expect(page.locator('#reoffer-title + p').textContent()).resolves.toContain(
      `The referral closed on ${day(closedAt)}. It can be offered again until ${day(new Date(closedAt.getTime() + 90 * 86_400_000))} (90 days after it closed)`,
    );
    await h.shots(page, 'referral-declined');
    expect(h.axeFindings.get('referral-declined')).toEqual([]);
    await page.getByRole('button', { name: 'Offer again elsewhere' }).click();
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.status).toBe('AWAITING_PATIENT_CONSENT');
    expect(lastEventOf(view, 'reoffered')).toMatchObject({ fromStatus: 'DECLINED', detail: { reopenedFrom: 'DECLINED' } });
    expect(await page.getByRole('button', { name: 'Offer again elsewhere' }).count()).toBe(0);
  });
});
