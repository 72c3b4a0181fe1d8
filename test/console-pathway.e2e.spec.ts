// The pathway after treatment in the staff console, in Chromium: the receiving clinician decides
// the follow-up, the referring clinician takes back a handback (without JavaScript) and discharges;
// a virtual ward is ended by the receiving clinician. Only the roles and trusts that may act see each form.
// A specialist trust's booking clerk refers a patient from its waiting list closer to home.
import { describe, expect, it } from '@jest/globals';
import { useConsole } from './support/console.js';
import { bearer, driveTo, getReferral, isoDay, lastEventOf, waitUntil } from './support/stack.js';
import { WAITING_LIST_HEADER, csvLine, waitingListRow } from './support/waiting-list.js';

const h = useConsole();

describe('the follow-up on the referral page', () => {
  it('is handed back by the receiving clinician, accepted by the referring clinician without JavaScript, and ended with the discharge', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'TREATED');
    const page = `/console/referrals/${ref.id}`;

    // The receiving booking clerk has no follow-up to decide; the receiving clinician does.
    const clerk = await h.signedIn('clerk.rjc', page);
    expect(await clerk.getByRole('heading', { name: 'Follow-up after treatment' }).count()).toBe(0);
    const receiver = await h.signedIn('clinician.rjc', page);
    await receiver.getByRole('button', { name: 'Record follow-up' }).click();
    expect(await receiver.locator('.nhsuk-error-summary').textContent()).toContain('Select who follows the patient up');
    await receiver.getByLabel('Hand the follow-up back to the referring trust').check();
    await receiver.getByLabel('Note for the clinical teams').fill('Wound check at 6 weeks.');
    await receiver.getByRole('button', { name: 'Record follow-up' }).click();
    expect(await receiver.locator('.nhsuk-notification-banner').textContent()).toContain('Follow-up recorded');
    const summary = await receiver.locator('#follow-up + dl').textContent();
    expect(summary).toContain('Handed back to the referring trust');
    expect(summary).toContain('Outside RTT: the clock stopped at treatment');
    // The handback is the referring trust's to decide, and nothing is discharged meanwhile.
    expect(await receiver.getByRole('heading', { name: 'Follow-up handed back to your trust' }).count()).toBe(0);
    expect(await receiver.getByRole('button', { name: 'End follow-up and discharge to GP' }).count()).toBe(0);
    await h.shots(receiver, 'referral-follow-up-handed-back');

    const origin = await h.signedIn('clinician.rlq', page, { javaScriptEnabled: false });
    await origin.getByLabel('Refuse: the receiving trust keeps it').check();
    await origin.getByRole('button', { name: 'Record decision on the handback' }).click();
    expect(await origin.locator('.nhsuk-error-summary').textContent()).toContain('Select why your trust cannot take it back');
    await origin.getByLabel('Accept the follow-up').check();
    await origin.getByRole('button', { name: 'Record decision on the handback' }).click();
    expect(await origin.locator('.nhsuk-notification-banner').textContent()).toContain('Decision on the handback recorded');
    expect(await origin.locator('#follow-up + dl').textContent()).toContain('RLQ');
    await h.shots(origin, 'referral-follow-up-origin');

    // The referring trust holds the follow-up now: the receiving clinician no longer ends it.
    await receiver.goto(new URL(page, h.base).toString());
    expect(await receiver.getByRole('button', { name: 'End follow-up and discharge to GP' }).count()).toBe(0);
    await origin.getByLabel('Discharge summary').fill('Wound healed; discharged to the GP.');
    await origin.getByRole('button', { name: 'End follow-up and discharge to GP' }).click();
    expect(await origin.locator('.nhsuk-notification-banner').textContent()).toContain('Follow-up ended and discharged to the GP');
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.status).toBe('DISCHARGED');
    expect(lastEventOf(view, 'handback_accepted').actor).toMatchObject({ ods: 'RLQ' });
    expect(lastEventOf(view, 'discharged')).toMatchObject({ fromStatus: 'ORIGIN_FOLLOW_UP', actor: { ods: 'RLQ' } });
  });

  it("a handback waits on the referring clinician's worklist, with a card on their home page, until it is accepted", async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'TREATED', { patient: { familyName: 'Handbackworth' } });
    const handed = await s.http.post(`/v1/referrals/${ref.id}/follow-up`).set(bearer(c.clinRJC)).send({ plan: 'hand_back' });
    expect(handed.body.status).toBe('AWAITING_ORIGIN_ACCEPTANCE');

    const home = await h.signedIn('clinician.rlq', '/console', { javaScriptEnabled: false });
    expect(await home.getByRole('link', { name: 'Follow-ups handed back' }).count()).toBe(1);
    await home.getByRole('link', { name: 'Follow-ups handed back' }).click();
    expect(new URL(home.url()).pathname).toBe('/console/worklists/handback-acceptance');
    expect(await home.getByRole('link', { name: /HANDBACKWORTH/ }).count()).toBe(1);
    // The receiving trust's clinician has no such list: the handback is not theirs to accept.
    const receiver = await h.signedIn('clinician.rjc', '/console/worklists/handback-acceptance', { javaScriptEnabled: false });
    expect(await receiver.getByRole('link', { name: /HANDBACKWORTH/ }).count()).toBe(0);

    expect((await s.http.post(`/v1/referrals/${ref.id}/handback-decision`).set(bearer(c.clinRLQ)).send({ decision: 'accept' })).status).toBe(200);
    await home.reload();
    expect(await home.getByRole('link', { name: /HANDBACKWORTH/ }).count()).toBe(0);
  });

  it('the follow-up is chosen with the treatment, without JavaScript', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'BOOKED');
    const receiver = await h.signedIn('clinician.rjc', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    // Optional: none is chosen until the clinician picks a plan.
    expect(await receiver.getByLabel('None now: decide the follow-up later, or discharge').isChecked()).toBe(true);
    await h.shots(receiver, 'referral-treatment-follow-up');
    const today = new Date();
    await receiver.getByLabel('Day').fill(String(today.getUTCDate()));
    await receiver.getByLabel('Month').fill(String(today.getUTCMonth() + 1));
    await receiver.getByLabel('Year').fill(String(today.getUTCFullYear()));
    await receiver.getByLabel('Keep the follow-up at your trust').check();
    await receiver.getByRole('button', { name: 'Record treatment' }).click();
    expect(await receiver.locator('.nhsuk-notification-banner').textContent()).toContain('Treatment recorded');
    expect(await receiver.locator('#follow-up + dl').textContent()).toContain('RJC');
    const view = await getReferral(s, c.clinRJC, ref.id);
    expect(view).toMatchObject({ status: 'FOLLOW_UP', followUp: { plan: 'keep', heldBy: 'RJC' } });
    expect(lastEventOf(view, 'follow_up_kept').detail).toMatchObject({ plan: 'keep' });
  });

  it('a virtual ward, chosen and ended by the receiving clinician', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'TREATED');
    const page = `/console/referrals/${ref.id}`;
    const receiver = await h.signedIn('clinician.rjc', page);
    await receiver.getByLabel('Virtual ward: monitored at home').check();
    await receiver.getByRole('button', { name: 'Record follow-up' }).click();
    expect(await receiver.locator('#follow-up + dl').textContent()).toContain('Virtual ward at home');
    // The referring clinician reads it and has nothing to do.
    const origin = await h.signedIn('clinician.rlq', page);
    expect(await origin.locator('#follow-up + dl').textContent()).toContain('Virtual ward at home');
    expect(await origin.getByRole('button', { name: 'End follow-up and discharge to GP' }).count()).toBe(0);

    await receiver.getByRole('button', { name: 'End follow-up and discharge to GP' }).click();
    expect(await receiver.locator('.nhsuk-error-summary').textContent()).toContain('Enter the discharge summary for the GP');
    await receiver.getByLabel('Discharge summary').fill('Observations stable for 7 days.');
    await receiver.getByRole('button', { name: 'End follow-up and discharge to GP' }).click();
    expect(await receiver.locator('.nhsuk-notification-banner').textContent()).toContain('Follow-up ended and discharged to the GP');
    expect(lastEventOf(await getReferral(s, c.clinRJC, ref.id), 'discharged')).toMatchObject({ fromStatus: 'VIRTUAL_WARD' });
  });

  it("a specialist trust's clerk refers a patient from its waiting list closer to home", async () => {
    const { s, c } = h;
    const tag = Date.now()
      .toString(36)
      .replace(/\d/g, (d) => 'abcdefghij'[Number(d)]);
    const row = waitingListRow({ family_name: `Closer${tag}`, rtt_clock_start: isoDay(-12 * 7) }, 'CTH');
    const upload = await s.http
      .post('/v1/waiting-list/imports')
      .set(bearer(c.clerkRJC))
      .set('Content-Type', 'text/csv')
      .send(`${WAITING_LIST_HEADER}\n${csvLine(row)}\n`);
    expect(upload.status).toBe(202);
    await waitUntil(
      async () => (await s.http.get(`/v1/waiting-list/imports/${upload.body.id}`).set(bearer(c.clerkRJC))).body.status === 'completed',
      'the import',
    );

    // Without JavaScript: the second button of the row is the same form, with the direction.
    const clerk = await h.signedIn('clerk.rjc', '/console/worklists/long-waiters', { javaScriptEnabled: false });
    const refer = clerk.getByRole('button', { name: `Refer closer to home ${row.given_name} ${row.family_name}` });
    for (let i = 0; i < 40 && (await refer.count()) === 0; i++) await clerk.getByRole('link', { name: 'Next page' }).click();
    await refer.click();
    await clerk.waitForURL(/\/console\/referrals\/[0-9a-f-]+\?done=opened/);
    expect(await clerk.locator('dl').filter({ hasText: 'Direction' }).textContent()).toContain('Closer to home: to a local hospital');
    const id = new URL(clerk.url()).pathname.split('/').pop()!;
    expect((await getReferral(s, c.clerkRJC, id)).direction).toBe('closer_to_home');
    await h.shots(clerk, 'referral-closer-to-home');
  });

  it('every page shot here has no axe-core findings', () => {
    expect(Object.fromEntries(h.axeFindings)).toEqual({
      'referral-closer-to-home': [],
      'referral-follow-up-handed-back': [],
      'referral-follow-up-origin': [],
      'referral-treatment-follow-up': [],
    });
  });
});
