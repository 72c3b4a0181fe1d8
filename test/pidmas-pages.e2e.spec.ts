// Patient-initiated mutual aid (PIDMAS) in Chromium, as people use it: a booking clerk invites a
// cohort from the console (and again: nobody is invited twice), patients answer on the opt-in page
// with JavaScript off, a clinician checks each opt-in from the console with JavaScript off (a
// referral opened, or the no-capacity list), and the clerk downloads that list as CSV. axe-core on
// every page; screenshots at 1280 and 768 px (test-output/screenshots/console-pidmas-*).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { APP_CONFIG, type AppConfig } from '#config';
import { optInLinkToken, optInLinkUrl } from '#notifications';
import { startConsole, weekAhead, type ConsoleHarness } from './support/console.js';
import { bearer, isoDay, nhsNumber, waitForStatus } from './support/stack.js';

/** General surgery: no other suite's waiting list or capacity uses it. */
const SPECIALTY = '100';
let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
  // Free slots at Stratford (RJC08): about 43 miles from Hereford (HR1), about 70 from Llandrindod Wells (LD1).
  const res = await h.s.http
    .put(`/v1/capacity/RJC/${SPECIALTY}`)
    .set(bearer(h.c.adminRJC))
    .send({ weeklySlots: 5, fromDate: weekAhead(1).monday, toDate: isoDay(7 * 6), siteOds: 'RJC08' });
  expect(res.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const h1 = async (page: Page) => (await page.getByRole('heading', { level: 1 }).textContent())?.replace(/\s+/g, ' ').trim();

/** An open entry of RLQ's waiting list, with the trust's record of the patient's mobile number from an earlier referral. */
async function entry(postcode: string, familyName: string) {
  const nhs = nhsNumber();
  const { rows } = await h.s.prisma.sql.query<{ id: string }>(
    `INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods,
       specialty_code, procedure_code, rtt_clock_start, priority, status, last_seen_seq)
     VALUES ('RLQ', $1, $2, $3, 'Sam', '1958-03-15', $4, 'M81001', $5, 'T201', $6::date, 'P4', 'open', 0) RETURNING id::text AS id`,
    [`PIP-${randomUUID()}`, nhs, familyName, postcode, SPECIALTY, isoDay(-(70 * 7 + 3))],
  );
  const { rows: p } = await h.s.prisma.sql.query<{ id: string }>(
    `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, postcode, phone, gp_practice_ods, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 'Sam', '1958-03-15', $3, '07700900200', 'M81001', now()) RETURNING id::text AS id`,
    [nhs, familyName, postcode],
  );
  await h.s.prisma.sql.query(
    `INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, status, updated_at)
     VALUES (gen_random_uuid(), $1::uuid, 'RLQ', '110', 'W371', '2020-01-01', $2, 'P4', 'WITHDRAWN', now())`,
    [p[0].id, `EARLIER-${randomUUID()}`],
  );
  return { entryId: rows[0].id, nhs, familyName };
}

async function linkOf(entryId: string) {
  const { rows } = await h.s.prisma.sql.query<{ id: string }>('SELECT id::text AS id FROM pidmas_invitation WHERE entry_id = $1::uuid', [entryId]);
  expect(rows).toHaveLength(1);
  return optInLinkUrl(h.base, optInLinkToken(h.s.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret, rows[0].id));
}

/** A patient answers on the opt-in page with JavaScript off: date of birth, then the answer. */
async function optIn(url: string, radius: 'Up to 50 miles' | 'Up to 100 miles', name: string) {
  const page = await h.newPage({ javaScriptEnabled: false });
  await page.goto(url);
  expect(await h1(page)).toBe('What is your date of birth?');
  if (name === 'near') await h.shots(page, 'pidmas-opt-in-date-of-birth');
  await page.getByLabel('Day').fill('15');
  await page.getByLabel('Month').fill('3');
  await page.getByLabel('Year').fill('1958');
  await page.getByRole('button', { name: 'Continue' }).click();
  expect(await h1(page)).toBe('Ask to be treated sooner at another hospital');
  // Sent with no answer: the NHS.UK error summary names the question.
  await page.getByRole('button', { name: 'Send my answer' }).click();
  expect(await page.getByRole('alert').textContent()).toContain('Select whether you would like to be considered');
  if (name === 'near') await h.shots(page, 'pidmas-opt-in-error');
  await page.getByLabel('Yes, I would like to be considered').check();
  await page.getByLabel(radius).check();
  if (name === 'near') await page.getByLabel('Is there anything you need to help you travel or take part? (optional)').fill('Hospital transport');
  if (name === 'near') await h.shots(page, 'pidmas-opt-in-answer');
  await page.getByRole('button', { name: 'Send my answer' }).click();
  expect(await h1(page)).toBe('You have asked to be considered');
  expect(await page.getByText(`You told us you would travel ${radius.toLowerCase()}.`).count()).toBe(1);
  if (name === 'near') await h.shots(page, 'pidmas-opt-in-done');
  // The link answers once: opened again elsewhere, it says so.
  const other = await h.newPage({ javaScriptEnabled: false });
  await other.goto(url);
  expect(await h1(other)).toBe('You have already answered');
}

describe('patients who ask, in the console and on the opt-in page', () => {
  let near: Awaited<ReturnType<typeof entry>>;
  let far: Awaited<ReturnType<typeof entry>>;
  let clerk: Page;

  it('a booking clerk invites a cohort from the console, and inviting it again sends nobody a second invitation', async () => {
    near = await entry('HR1 2ER', 'Pidmasnear');
    far = await entry('LD1 5PQ', 'Pidmasfar');
    clerk = await h.signedIn('clerk.rlq');
    await clerk.getByRole('link', { name: 'Patients who ask' }).first().click();
    expect(await h1(clerk)).toBe('Patients who ask');
    await clerk.getByRole('button', { name: 'Invite the cohort' }).click();
    expect(await clerk.getByRole('alert').textContent()).toContain('Select the specialty of the cohort');
    await h.shots(clerk, 'pidmas-invite-error');
    await clerk.getByLabel('Specialty').selectOption(SPECIALTY);
    await clerk.getByLabel('Weeks waited').selectOption('65');
    await clerk.getByRole('button', { name: 'Invite the cohort' }).click();
    expect(await clerk.locator('.nhsuk-notification-banner').textContent()).toContain('2 invited now, 0 already invited');
    await h.shots(clerk, 'pidmas-invited');
    // The same cohort again: nobody is sent a second invitation.
    await clerk.getByLabel('Specialty').selectOption(SPECIALTY);
    await clerk.getByLabel('Weeks waited').selectOption('65');
    await clerk.getByRole('button', { name: 'Invite the cohort' }).click();
    expect(await clerk.locator('.nhsuk-notification-banner').textContent()).toContain('0 invited now, 2 already invited');
  }, 120_000);

  it('patients opt in on the opt-in page without JavaScript, once', async () => {
    await optIn(await linkOf(near.entryId), 'Up to 50 miles', 'near');
    await optIn(await linkOf(far.entryId), 'Up to 50 miles', 'far');
  }, 120_000);

  it('a clinician checks each opt-in without JavaScript: a referral where the group has room within the radius, else the no-capacity list and its CSV', async () => {
    const clin = await h.signedIn('clinician.rlq', '/console/patient-initiated', { javaScriptEnabled: false });
    const card = (familyName: string) => clin.locator('section.nhsuk-card', { has: clin.getByRole('heading', { name: `${familyName.toUpperCase()}, Sam` }) });
    expect(await card(near.familyName).getByText('Up to 50 miles from HR1 2ER').count()).toBe(1);
    expect(await card(near.familyName).getByText('Hospital transport').count()).toBe(1);
    await h.shots(clin, 'pidmas-opt-ins');
    // Not suitable needs a reason: said at the field.
    await card(far.familyName).getByLabel('Not suitable').check();
    await clin.getByRole('button', { name: `Record the check for ${far.familyName.toUpperCase()}, Sam` }).click();
    expect(await clin.getByRole('alert').textContent()).toContain('Select why moving is not suitable');
    await h.shots(clin, 'pidmas-opt-ins-error');

    await card(near.familyName).getByLabel('Suitable', { exact: true }).check();
    await clin.getByRole('button', { name: `Record the check for ${near.familyName.toUpperCase()}, Sam` }).click();
    expect(await clin.locator('.nhsuk-notification-banner').textContent()).toContain('Referral opened');
    const href = await clin.getByRole('link', { name: 'Open the referral' }).getAttribute('href');
    const referralId = href!.split('/').pop()!;
    await waitForStatus(h.s, h.c.clinRLQ, referralId, 'AWAITING_PATIENT_CONSENT');

    await card(far.familyName).getByLabel('Suitable', { exact: true }).check();
    await clin.getByRole('button', { name: `Record the check for ${far.familyName.toUpperCase()}, Sam` }).click();
    expect(await clin.locator('.nhsuk-notification-banner').textContent()).toContain('No capacity in the group');
    expect(await card(far.familyName).count()).toBe(0);

    // The clerk's no-capacity list, and its CSV.
    await clerk.goto(`${h.base}/console/patient-initiated/no-capacity`);
    expect(await h1(clerk)).toBe('Opt-ins with no capacity in the group');
    expect(await clerk.getByRole('row', { name: new RegExp(far.familyName.toUpperCase()) }).count()).toBe(1);
    expect(await clerk.getByRole('row', { name: new RegExp(near.familyName.toUpperCase()) }).count()).toBe(0);
    await h.shots(clerk, 'pidmas-no-capacity');
    const [download] = await Promise.all([clerk.waitForEvent('download'), clerk.getByRole('link', { name: 'Download these opt-ins as CSV' }).click()]);
    const text = await (await download.createReadStream()).toArray().then((chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8'));
    const line = text.split('\r\n').find((l) => l.startsWith(far.nhs))!;
    expect(line.split(',').slice(0, 5)).toEqual([far.nhs, far.familyName, 'Sam', '1958-03-15', 'LD1 5PQ']);
    expect(text).not.toContain(near.nhs);
  }, 120_000);

  it('an opt-in whose referral screening closed for want of capacity is listed with a link to that referral', async () => {
    const late = await entry('HR1 2ER', 'Pidmaslate');
    expect((await h.s.http.post('/v1/pidmas/cohorts').set(bearer(h.c.clerkRLQ)).send({ specialtyCode: SPECIALTY, minWeeks: 65 })).status).toBe(201);
    await optIn(await linkOf(late.entryId), 'Up to 50 miles', 'late');
    // Without the worker, screening waits: the check finds capacity, then every free slot is taken.
    await h.s.worker?.close();
    const clin = await h.signedIn('clinician.rlq', '/console/patient-initiated', { javaScriptEnabled: false });
    const card = clin.locator('section.nhsuk-card', { has: clin.getByRole('heading', { name: 'PIDMASLATE, Sam' }) });
    await card.getByLabel('Suitable', { exact: true }).check();
    await clin.getByRole('button', { name: 'Record the check for PIDMASLATE, Sam' }).click();
    const referralId = (await clin.getByRole('link', { name: 'Open the referral' }).getAttribute('href'))!.split('/').pop()!;
    const taken = await h.s.prisma.sql.query<{ service_id: string; week_start: Date; used: number }>(
      `WITH before AS (SELECT service_id, week_start, used FROM capacity_week WHERE specialty_code = $1 AND used < slots FOR UPDATE)
       UPDATE capacity_week cw SET used = cw.slots FROM before b WHERE cw.service_id = b.service_id AND cw.week_start = b.week_start
       RETURNING b.service_id::text AS service_id, b.week_start, b.used`,
      [SPECIALTY],
    );
    try {
      await h.s.startWorker();
      await waitForStatus(h.s, h.c.clinRLQ, referralId, 'NOT_ELIGIBLE');
      await clerk.goto(`${h.base}/console/patient-initiated/no-capacity`);
      const row = clerk.getByRole('row', { name: /PIDMASLATE/ });
      expect(await row.getByRole('cell').nth(7).textContent()).toContain('Closed referral');
      // The opt-in found no capacity at its own check: no referral to show.
      expect(
        (
          await clerk
            .getByRole('row', { name: new RegExp(far.familyName.toUpperCase()) })
            .getByRole('cell')
            .nth(7)
            .textContent()
        )?.trim(),
      ).toBe('None opened');
      await h.shots(clerk, 'pidmas-no-capacity-closed-referral');
      await row.getByRole('link', { name: 'Closed referral for PIDMASLATE, Sam' }).click();
      expect(clerk.url()).toBe(`${h.base}/console/referrals/${referralId}`);
      expect(await clerk.getByText(/not eligible/i).count()).toBeGreaterThan(0);
    } finally {
      for (const t of taken.rows)
        await h.s.prisma.sql.query('UPDATE capacity_week SET used = $3 WHERE service_id = $1::uuid AND week_start = $2', [t.service_id, t.week_start, t.used]);
    }
  }, 120_000);

  it('found no accessibility problem on any page (axe-core, WCAG 2.2 AA)', () => {
    expect(h.axeFindings.size).toBeGreaterThanOrEqual(9);
    expect(Object.fromEntries(h.axeFindings)).toEqual(Object.fromEntries([...h.axeFindings.keys()].map((k) => [k, []])));
  });
});
