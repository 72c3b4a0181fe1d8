// Additional requirements in Chromium: the patient tells us on the offer page (no JavaScript: the
// follow-up questions simply show) and the receiving booking team sees them on its worklist and the
// referral page; a referring clerk records them in the console (a mistake names the field); the
// additional requirements manager finds a patient, records their needs and sees nothing clinical.
// axe-core on every new page; screenshots at 1280 and 768 px.
import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { APP_CONFIG, type AppConfig } from '#config';
import { offerLinkToken, offerLinkUrl } from '#notifications';
import { useConsole } from './support/console.js';
import { bearer, driveTo, getReferral, isoDay, waitUntil } from './support/stack.js';

const h = useConsole();

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const main = (page: Page) => page.locator('main').innerText();

describe('additional requirements in the browser', () => {
  it('the patient tells us on the offer page; the receiving booking team sees it on its worklist and the referral page', async () => {
    // Waited longer than any other suite's referral, so it heads RJC's to-book worklist's first page whatever ran before.
    const ref = await driveTo(h.s, h.c, 'AWAITING_PATIENT_CONSENT', { rttClockStart: isoDay(-450 * 7) });
    const n = (await waitUntil(() => h.s.prisma.notification.findFirst({ where: { referralId: ref.id, event: 'offer' } }), 'the offer notification'))!;
    const secret = h.s.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret;
    const url = offerLinkUrl(h.base, offerLinkToken(secret, n.id));

    const page = await h.newPage({ javaScriptEnabled: false });
    await page.goto(url);
    await page.getByLabel('Day').fill('5');
    await page.getByLabel('Month').fill('5');
    await page.getByLabel('Year').fill('1960');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('input[name=answer][value^="accept:"]').first().check();
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForURL(`${url}/answered`);
    expect(await main(page)).toContain('Do you need any help to get to your appointment or to take part in it?');

    await page.getByRole('link', { name: 'Tell us what you need' }).click();
    await page.waitForURL(`${url}/needs`);
    expect(await h1(page)).toBe('Do you need any help to get to your appointment or to take part in it?');
    // Without JavaScript the follow-up questions show beside their boxes.
    expect(await page.getByLabel('Interpreter language').isVisible()).toBe(true);
    await page.getByLabel('I need help with transport').check();
    await page.getByLabel('I need an interpreter, including British Sign Language').check();
    await page.getByLabel('Interpreter language').selectOption({ label: 'British Sign Language (BSL)' });
    await page.getByLabel('Large print', { exact: true }).check();
    await page.getByLabel('A carer or escort will come with me').check();
    await page.getByLabel('Anything else').fill('I get anxious in busy waiting rooms.');
    await h.shots(page, 'offer-needs');
    await page.getByRole('button', { name: 'Send what I need' }).click();
    await page.waitForURL(`${url}/answered?needs=saved`);
    expect(await main(page)).toMatch(/Thank you\. We have passed on what you need to .+'s booking team\./);

    const kept = await h.s.prisma.additionalRequirement.findUniqueOrThrow({ where: { referralId: ref.id } });
    expect(kept).toMatchObject({
      recordedByRole: 'patient',
      requirements: {
        transportNeeded: true,
        interpreterLanguage: 'bfi',
        informationFormats: ['large_print'],
        escort: true,
        other: 'I get anxious in busy waiting rooms.',
      },
    });
    const audits = await h.s.prisma.auditEvent.findMany({ where: { referralId: ref.id, actorSub: `offer-link:${n.id}` } });
    expect(audits.map((a) => `${a.action} ${a.outcome}`)).toEqual(
      expect.arrayContaining(['additional-requirements.read 200', 'additional-requirements.write 200']),
    );

    // RJC accepts the transfer of care; its booking clerk sees the needs on the to-book worklist and the referral.
    expect((await h.s.http.post(`/v1/referrals/${ref.id}/receiver-decision`).set(bearer(h.c.clinRJC)).send({ decision: 'accept' })).status).toBe(200);
    const clerk = await h.signedIn('clerk.rjc', '/console/worklists/to-book');
    const row = clerk
      .getByRole('row')
      .filter({ has: clerk.getByRole('link', { name: 'TESTPATIENT, Alex' }) })
      .filter({ hasText: ref.nhs.slice(6) });
    expect(await row.innerText()).toMatch(/BSL interpreter[\s\S]*Transport[\s\S]*Carer or escort[\s\S]*Large print/);
    expect(await clerk.getByRole('columnheader', { name: 'Additional requirements' }).count()).toBe(1);
    await h.shots(clerk, 'to-book-with-requirements');
    await clerk.goto(`${h.base}/console/referrals/${ref.id}`);
    const section = await main(clerk);
    expect(section).toMatch(/Additional requirements[\s\S]*BSL interpreter/);
    expect(section).toContain('I get anxious in busy waiting rooms.');
    expect(section).toContain('by the patient');
  });

  it('a referring clerk records them in the console; a mistake names the field', async () => {
    const ref = await driveTo(h.s, h.c, 'AWAITING_CLINICAL_REVIEW');
    const page = await h.signedIn('clerk.rlq', `/console/referrals/${ref.id}`);
    expect(await main(page)).toMatch(/Additional requirements\s+None recorded/);
    await page.getByRole('link', { name: 'Record additional requirements' }).click();
    await page.waitForURL(`${h.base}/console/referrals/${ref.id}/additional-requirements`);

    // An interpreter ticked without a language.
    await page.getByLabel('Needs an interpreter (including British Sign Language)').check();
    await page.getByRole('button', { name: 'Save additional requirements' }).click();
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Select the language the interpreter is needed for');
    expect(await page.locator('#interpreterLanguage-error').innerText()).toContain('Select the language the interpreter is needed for');
    expect(await page.title()).toMatch(/^Error: /);
    await h.shots(page, 'additional-requirements-error');

    await page.getByLabel('Interpreter language').selectOption({ label: 'Polish' });
    // Accessible formats ticked, with an answer, then unticked: with JavaScript the hidden answers go with it.
    await page.getByLabel('Needs information in an accessible format').check();
    await page.getByLabel('Braille', { exact: true }).check();
    await page.getByLabel('Needs information in an accessible format').uncheck();
    expect(await page.getByLabel('Braille', { exact: true }).isChecked()).toBe(false);
    await page.getByLabel('Needs transport').check();
    await page.getByLabel('Eligible', { exact: true }).check();
    await page.getByLabel('Mobility needs (for example a wheelchair user)').check();
    await page.getByLabel('Wheelchair user', { exact: true }).check();
    await page.getByRole('button', { name: 'Save additional requirements' }).click();
    await page.waitForURL(`${h.base}/console/referrals/${ref.id}?done=additional-requirements`);
    const text = await main(page);
    expect(text).toContain('Additional requirements saved');
    expect(text).toMatch(/Interpreter: Polish[\s\S]*Transport \(PTS eligible\)[\s\S]*Wheelchair user/);
    expect(text).toContain('by a booking clerk of RLQ');
    const view = await getReferral(h.s, h.c.clerkRLQ, ref.id);
    expect(view.additionalRequirements).toMatchObject({
      interpreterLanguage: 'pol',
      transportNeeded: true,
      patientTransportEligibility: 'yes',
      mobility: ['wheelchair_user'],
    });
    expect(view.timeline.at(-1)).toMatchObject({ type: 'additional_requirements_updated', actor: { name: 'Megan Price' } });

    // RJC is no party yet: the page does not exist for its clerk.
    const other = await h.signedIn('clerk.rjc', `/console/referrals/${ref.id}/additional-requirements`);
    expect(await h1(other)).toBe('Page not found');
  });

  it('the additional requirements manager finds a patient, records their needs, and sees nothing clinical', async () => {
    const ref = await driveTo(h.s, h.c, 'AWAITING_PATIENT_CONSENT');
    const page = await h.signedIn('needs.rlq');
    // Signing in lands on the page where they find a patient (they have no worklists).
    expect(new URL(page.url()).pathname).toBe('/console/additional-requirements');
    await h.shots(page, 'additional-requirements-find');
    await page.getByLabel('NHS number, pathway id, or family name with date of birth').fill(ref.nhs);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${h.base}/console/referrals/${ref.id}/additional-requirements`);
    const text = await main(page);
    expect(text).toContain(`${ref.nhs.slice(0, 3)} ${ref.nhs.slice(3, 6)} ${ref.nhs.slice(6)}`);
    // Who the patient is and their needs: no procedure, offers, timeline, notes or messages.
    for (const clinical of ['W371', 'Procedure', 'Timeline', 'Offers', 'Clinical', 'miles']) expect(text).not.toContain(clinical);
    await page.getByLabel('Needs information in an accessible format').check();
    await page.getByLabel('Easy read', { exact: true }).check();
    await page.getByLabel('Contact method').selectOption({ label: 'Text relay (Relay UK)' });
    await page.getByLabel('Reasonable adjustments for a learning disability or autism').check();
    await page.getByLabel('Reasonable adjustments', { exact: true }).fill('Longer appointment; carer explains letters.');
    await h.shots(page, 'additional-requirements');
    await page.getByRole('button', { name: 'Save additional requirements' }).click();
    await page.waitForURL(`${h.base}/console/referrals/${ref.id}/additional-requirements?done=saved`);
    expect(await main(page)).toMatch(/Additional requirements saved[\s\S]*Easy read[\s\S]*Contact: Text relay \(Relay UK\)[\s\S]*Reasonable adjustments/);
    const kept = await h.s.prisma.additionalRequirement.findUniqueOrThrow({ where: { referralId: ref.id } });
    expect(kept).toMatchObject({ recordedByRole: 'additional_requirements_manager', recordedByOds: 'RLQ' });

    // The referral page itself, and the worklists, are not theirs.
    const res = await page.goto(`${h.base}/console/referrals/${ref.id}`);
    expect(res!.status()).toBe(403);
    expect((await page.goto(`${h.base}/console/worklists/to-book`))!.status()).toBe(403);
  });

  it('no axe-core findings on the new pages', () => {
    const pages = ['offer-needs', 'to-book-with-requirements', 'additional-requirements-error', 'additional-requirements-find', 'additional-requirements'];
    expect(pages.map((p) => [p, h.axeFindings.get(p)])).toEqual(pages.map((p) => [p, []]));
  });
});
