// The clinical package in the staff console, in Chromium: the referring clinician records the
// package and attaches a report; the receiving clinician reads both, makes a request for
// information; the referring booking clerk answers it (without JavaScript); the receiving clinician
// accepts; another referral is returned to the referrer with advice; a GIF is refused; the cancel
// and withdraw forms offer the coded reasons.
import { describe, expect, it } from '@jest/globals';
import { useConsole } from './support/console.js';
import { bearer, driveTo, getReferral, lastEventOf } from './support/stack.js';
import { tinyGif, tinyPdf } from './support/documents.js';

const h = useConsole();

describe('the clinical package on the referral page', () => {
  it('takes a referral letter of the full 20,000 characters without JavaScript, whatever its letters, and says at the field when one is longer', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const origin = await h.signedIn('clinician.rlq', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    // Accented letters and line breaks: percent-encoded, each takes several bytes (about 75 KB in all).
    const line = 'Seen in clinic: pain on walking, réduction of movement, naïve to injections; ';
    const letter = line.repeat(Math.ceil(20_000 / line.length)).slice(0, 19_991) + '\nRegards.';
    expect(letter).toHaveLength(20_000);
    await origin.getByLabel('Referral letter').fill(letter);
    await origin.getByRole('button', { name: 'Save clinical information' }).click();
    expect(await origin.locator('.nhsuk-notification-banner').textContent()).toContain('Clinical information saved');
    const saved = await getReferral(s, c.clinRLQ, ref.id);
    expect(saved.clinicalInformation.referralLetter).toBe(letter);

    await origin.getByLabel('Referral letter').fill(letter + 'x');
    await origin.getByRole('button', { name: 'Save clinical information' }).click();
    expect(await origin.locator('.nhsuk-error-summary').textContent()).toMatch(/20,000 characters/);
  }, 120_000);

  it('is recorded by the referring clinician, read by the receiving one, who asks, gets the answer and accepts', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const page = `/console/referrals/${ref.id}`;

    // The referring clinician records the package and attaches the X-ray report.
    const origin = await h.signedIn('clinician.rlq', page);
    await h.shots(origin, 'referral-clinical-forms');
    await origin.getByLabel('Diagnosis SNOMED CT code').fill('239873007');
    await origin.getByLabel('Diagnosis', { exact: true }).fill('Osteoarthritis of knee');
    await origin.getByLabel('Side').selectOption('left');
    await origin.getByLabel('Comorbidities').fill('38341003 Hypertension\n44054006 Type 2 diabetes mellitus');
    await origin.getByLabel('BMI').fill('31.4');
    await origin.getByLabel('ASA grade').selectOption('2');
    await origin.getByRole('group', { name: 'Takes an anticoagulant?' }).getByLabel('Yes').check();
    await origin.getByLabel('Which anticoagulant').fill('Apixaban 5 mg twice daily');
    await origin.getByLabel('Mobility').fill('Walks with a stick');
    await origin.getByLabel('Referral letter').fill('Dear colleague,\nThank you for seeing this patient.');
    await origin.getByRole('button', { name: 'Save clinical information' }).click();
    expect(await origin.locator('.nhsuk-notification-banner').textContent()).toContain('Clinical information saved');
    await origin.getByLabel('What the document is').selectOption('imaging_report');
    await origin.getByLabel('Document (PDF, PNG or JPEG)').setInputFiles({ name: 'knee-xray-report.pdf', mimeType: 'application/pdf', buffer: tinyPdf() });
    await origin.getByRole('button', { name: 'Add attachment' }).click();
    expect(await origin.locator('.nhsuk-notification-banner').textContent()).toContain('Attachment added');
    // A GIF is refused at its field.
    await origin.getByLabel('What the document is').selectOption('clinic_letter');
    await origin.getByLabel('Document (PDF, PNG or JPEG)').setInputFiles({ name: 'scan.gif', mimeType: 'image/gif', buffer: tinyGif() });
    await origin.getByRole('button', { name: 'Add attachment' }).click();
    expect(await origin.locator('.nhsuk-error-summary').textContent()).toContain('The selected file must be a PDF, PNG or JPEG');

    // The receiving clinician reads it all before deciding, and downloads the report.
    const receiver = await h.signedIn('clinician.rjc', page);
    const summary = await receiver.locator('#clinical-information + dl').textContent();
    expect(summary).toContain('Osteoarthritis of knee (SNOMED CT 239873007)');
    expect(summary).toContain('Hypertension (38341003)');
    expect(summary).toContain('ASA II: mild systemic disease');
    expect(summary).toContain('Yes: Apixaban 5 mg twice daily');
    expect(await receiver.getByText('Thank you for seeing this patient.').count()).toBe(1);
    const link = receiver.getByRole('link', { name: 'Download knee-xray-report.pdf' });
    const download = await receiver.request.get(new URL((await link.getAttribute('href'))!, h.base).toString());
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toBe('application/pdf');
    expect(Buffer.compare(await download.body(), tinyPdf())).toBe(0);
    await h.shots(receiver, 'referral-clinical-package');

    await receiver.getByLabel('Your question for the referrer').fill('Please send the latest HbA1c result.');
    await receiver.getByRole('button', { name: 'Request information' }).click();
    expect(await receiver.locator('.nhsuk-notification-banner').textContent()).toContain('Request for information sent to the referrer');
    expect(await receiver.getByText("Waiting for the referrer's answer").count()).toBeGreaterThanOrEqual(1);
    expect(await receiver.getByRole('button', { name: 'Request information' }).count()).toBe(0);

    // The referring booking clerk answers, without JavaScript; the clerk does not see the package.
    const clerk = await h.signedIn('clerk.rlq', page, { javaScriptEnabled: false });
    expect(await clerk.locator('#clinical-information').count()).toBe(0);
    expect(await clerk.getByText('The receiving clinician asks: Please send the latest HbA1c result.').count()).toBe(1);
    await clerk.getByLabel('Your answer').fill('HbA1c 48 mmol/mol on 1 November.');
    await clerk.getByRole('button', { name: 'Answer the request for information' }).click();
    expect(await clerk.locator('.nhsuk-notification-banner').textContent()).toContain('Answer sent to the receiving clinician');
    await h.shots(clerk, 'referral-information-answered');

    // The receiving clinician reads the answer and accepts.
    await receiver.goto(`${h.base}${page}`);
    expect(await receiver.getByText(/HbA1c 48 mmol\/mol on 1 November\./).count()).toBe(1);
    await receiver.getByLabel('Accept transfer of care').check();
    await receiver.getByRole('button', { name: 'Record decision' }).click();
    expect((await getReferral(s, c.clinRJC, ref.id)).status).toBe('AWAITING_BOOKING');
    // The download was audited as the API's is.
    const audit = await s.prisma.sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_event WHERE action = 'attachment.download' AND referral_id = $1::uuid AND actor_ods = 'RJC' AND outcome = 200`,
      [ref.id],
    );
    expect(Number(audit.rows[0].n)).toBe(1);
  });

  it('returns a referral to the referrer with advice', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const receiver = await h.signedIn('clinician.rjc', `/console/referrals/${ref.id}`);
    await receiver.getByRole('button', { name: 'Return to referrer with advice' }).click();
    expect(await receiver.locator('.nhsuk-error-summary').textContent()).toContain('Enter your advice for the referrer');
    await receiver.getByLabel('Advice for the referrer').fill('BMI above our limit of 40: refer to weight management first.');
    await receiver.getByRole('button', { name: 'Return to referrer with advice' }).click();
    await receiver.waitForURL(/\/console\/worklists\/receiver-acceptance/);
    const view = await getReferral(s, c.clinRLQ, ref.id);
    expect(view.status).toBe('REJECTED_BY_RECEIVER');
    expect(lastEventOf(view, 'returned_to_referrer').detail).toMatchObject({ reasonCode: 'RETURNED_WITH_ADVICE' });
    // The referring clinicians have a task to read the advice.
    const tasks = await h.signedIn('clinician.rlq', '/console/worklists/tasks');
    expect(await tasks.getByText('The receiving clinician returned the referral with advice: read it on the referral').count()).toBeGreaterThanOrEqual(1);
  });

  it('offers the coded reasons when cancelling', async () => {
    const { s, c } = h;
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const clerk = await h.signedIn('clerk.rlq', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    await clerk.getByRole('button', { name: 'Cancel referral' }).click();
    expect(await clerk.locator('.nhsuk-error-summary').textContent()).toContain('Select why the referral is cancelled');
    await clerk.getByLabel('Why the referral is cancelled').selectOption('TREATED_ELSEWHERE');
    await clerk.getByRole('button', { name: 'Cancel referral' }).click();
    const view = (await s.http.get(`/v1/referrals/${ref.id}`).set(bearer(c.clerkRLQ))).body;
    expect(view.status).toBe('CANCELLED');
    expect(lastEventOf(view, 'cancelled').detail).toMatchObject({
      reasonCode: 'TREATED_ELSEWHERE',
      reason: 'The patient has been treated elsewhere (privately or at another trust)',
    });
  });

  it('every page shot here has no axe-core findings', () => {
    expect([...h.axeFindings.keys()].sort()).toEqual(['referral-clinical-forms', 'referral-clinical-package', 'referral-information-answered']);
    expect(Object.fromEntries(h.axeFindings)).toEqual({ 'referral-clinical-forms': [], 'referral-clinical-package': [], 'referral-information-answered': [] });
  });
});
