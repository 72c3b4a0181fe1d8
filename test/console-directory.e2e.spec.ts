// The staff console's service directory and group pages, in Chromium as people use them: a trust
// admin keeps their trust's sites and services (with and without JavaScript; mistakes said at each
// field), another trust's site is refused; a group admin adds a trust; a clinician reads on the
// referral page which sites were not offered and why, and a booking clerk sees that a distance is
// not known. axe-core on every page (no findings); screenshots at 1280 and 768 px.
import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { weekAhead, useConsole } from './support/console.js';
import { bearer, isoDay, openReferral, token, waitForStatus } from './support/stack.js';

const h = useConsole();

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const servicesOf = async (siteOds: string) => {
  const res = await h.s.http.get('/v1/directory/sites?ods=RJC').set(bearer(h.c.clerkRJC));
  return (res.body.items as Array<{ ods: string; services: Array<{ name: string; procedures: string[]; exclusions: Record<string, number | null> }> }>).find(
    (s) => s.ods === siteOds,
  )!.services;
};

describe('service directory', () => {
  it("a trust admin adds a service to a site with its procedures and exclusions, and changes a site's booking phone", async () => {
    const page = await h.signedIn('admin.rjc', '/console/directory');
    expect(await h1(page)).toBe('Service directory');
    // The seed's services, each site under its own heading.
    expect(await page.getByRole('table', { name: 'Services at Stratford Hospital' }).getByRole('row').filter({ hasText: 'Upper limb surgery' }).count()).toBe(
      1,
    );
    await h.shots(page, 'directory');

    await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Stratford Hospital' });
    const add = page.locator('form[action="/console/directory/services"]');
    await add.getByLabel('Specialty').selectOption('130');
    await add.getByLabel('Service name').fill('Cataract surgery');
    await add.getByLabel('Procedures accepted (OPCS-4)').fill('c71-c75, C77');
    await add.getByLabel('Maximum BMI (optional)').fill('45.5');
    await add.getByLabel('Minimum age in years (optional)').fill('18');
    await add.getByRole('button', { name: 'Add service' }).click();
    await page.waitForURL((u) => u.pathname === '/console/directory' && u.searchParams.get('saved') === 'Cataract surgery');
    expect(await page.getByRole('alert').filter({ hasText: 'Saved' }).textContent()).toContain('Cataract surgery is saved.');
    const cataracts = (await servicesOf('RJC08')).find((v) => v.name === 'Cataract surgery');
    expect(cataracts).toMatchObject({ procedures: ['C71-C75', 'C77'], exclusions: { maxBmi: 45.5, maxAsaGrade: null, minAgeYears: 18 } });
    const row = page.getByRole('table', { name: 'Services at Stratford Hospital' }).getByRole('row').filter({ hasText: 'Cataract surgery' });
    expect((await row.getByRole('cell').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      'Cataract surgery Ophthalmology (130)',
      'C71-C75, C77',
      'BMI over 45.5 Under 18',
    ]);

    await page.getByText('Change the details of Warwick Hospital').click();
    const warwick = page.locator('form[action="/console/directory/sites/RJC02"]');
    await warwick.getByLabel('Booking team phone (optional)').fill('01632 960 209');
    await warwick.getByRole('button', { name: 'Save Warwick Hospital' }).click();
    await page.waitForURL((u) => u.searchParams.get('saved') === 'Warwick Hospital');
    const sites = (await h.s.http.get('/v1/directory/sites?ods=RJC').set(bearer(h.c.clerkRJC))).body.items as Array<{ ods: string; bookingPhone: string }>;
    expect(sites.find((s) => s.ods === 'RJC02')?.bookingPhone).toBe('01632 960 209');
    // Back as it was: the offer messages of other suites give the trust's number.
    await h.s.http
      .put('/v1/directory/sites/RJC02')
      .set(bearer(h.c.adminRJC))
      .send({ name: 'Warwick Hospital', address: 'Lakin Road, Warwick', postcode: 'CV34 5BW', bookingPhone: null });
  });

  it('says what is wrong at each field and saves nothing, without JavaScript too', async () => {
    const page = await h.signedIn('admin.rjc', '/console/directory', { javaScriptEnabled: false });
    const before = await servicesOf('RJC02');
    const add = page.locator('form[action="/console/directory/services"]');
    await add.getByLabel('Procedures accepted (OPCS-4)').fill('hips');
    await add.getByLabel('Maximum ASA grade (optional)').fill('7');
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), add.getByRole('button', { name: 'Add service' }).click()]);
    expect(res.status()).toBe(400);
    const alert = await page.getByRole('alert').textContent();
    for (const m of [
      'Select the site',
      'Select the specialty',
      'Enter the name of the service',
      '"HIPS" is not an OPCS-4 code',
      'Maximum ASA grade must be a whole number from 1 to 5',
    ])
      expect(alert).toContain(m);
    // The summary's links lead to the fields, and what was typed stays.
    expect(await page.getByRole('link', { name: 'Select the site' }).getAttribute('href')).toBe('#new-siteOds');
    expect(await page.locator('#new-procedures').inputValue()).toBe('hips');
    await h.shots(page, 'directory-error');

    // A site postcode the postcode tables do not know is refused at the postcode, by the same use case as the API.
    await page.getByText('Change the details of Warwick Hospital').click();
    const site = page.locator('form[action="/console/directory/sites/RJC02"]');
    await site.getByLabel('Postcode').fill('TR21 0PW');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      site.getByRole('button', { name: 'Save Warwick Hospital' }).click(),
    ]);
    expect(refused.status()).toBe(422);
    expect(await page.getByRole('alert').textContent()).toContain('postcode TR21 0PW is not in the postcode tables');
    expect(await servicesOf('RJC02')).toEqual(before);
  });

  it("refuses another trust's site, and is a trust admin's page", async () => {
    const page = await h.signedIn('admin.rlq', '/console/directory');
    const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value'))!;
    const res = await page.request.post(`${h.base}/console/directory/sites/RJC08`, {
      form: { _csrf: csrf, name: 'Taken over', address: 'Somewhere', postcode: 'CV37 6NX' },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('Only an admin of RJC may change its site RJC08');
    const noToken = await page.request.post(`${h.base}/console/directory/sites/RLQ01`, {
      form: { name: 'x', address: 'y', postcode: 'HR1 2ER' },
      maxRedirects: 0,
    });
    expect(noToken.status()).toBe(403);
    const clerk = await h.signedIn('clerk.rjc');
    expect((await clerk.goto(`${h.base}/console/directory`))?.status()).toBe(403);
  });
});

describe('capacity per service', () => {
  const slotsOf = async (where: string, week: string) => {
    const { rows } = await h.s.prisma.sql.query<{ slots: number }>(
      `SELECT cw.slots FROM capacity_week cw JOIN service sv ON sv.id = cw.service_id WHERE sv.site_ods = 'RJC08' AND sv.treatment_function = '110' AND ${where} AND cw.week_start = $1::date`,
      [week],
    );
    return rows.map((r) => r.slots);
  };

  it("a trust admin sets a week's slots for upper limb surgery apart from the rest of trauma and orthopaedics at the site", async () => {
    const page = await h.signedIn('admin.rjc', '/console/capacity');
    const w = weekAhead(7);
    const fill = async (service: string) => {
      await page.getByLabel('Site').selectOption({ label: 'Stratford Hospital' });
      await page.getByLabel('Specialty').selectOption('110');
      await page.getByLabel('Service').selectOption({ label: service });
      await page.getByLabel('Day').fill(w.day);
      await page.getByLabel('Month').fill(w.month);
      await page.getByLabel('Year').fill(w.year);
      await page.getByLabel('Slots', { exact: true }).fill('3');
      await page.getByRole('button', { name: 'Save slots' }).click();
    };
    const before = await slotsOf('sv.is_default', w.monday);
    await fill('Upper limb surgery at Stratford Hospital (Trauma and orthopaedics)');
    await page.waitForURL((u) => u.pathname === '/console/capacity' && u.searchParams.get('week') === w.monday && u.searchParams.has('service'));
    expect(await page.getByRole('alert').filter({ hasText: 'Capacity saved' }).textContent()).toContain(
      'Upper limb surgery (Trauma and orthopaedics) at Stratford Hospital: 3 slots in the week commencing',
    );
    // The upper limb service has the week's 3 slots; the site's own T&O service is as it was.
    expect(await slotsOf(`sv.name = 'Upper limb surgery'`, w.monday)).toEqual([3]);
    expect(await slotsOf('sv.is_default', w.monday)).toEqual(before);
    expect(await page.getByRole('heading', { name: 'Upper limb surgery (Trauma and orthopaedics) at Stratford Hospital' }).count()).toBe(1);
    await h.shots(page, 'capacity-service');

    // A service of another site: said at the field, nothing saved.
    await page.getByLabel('Site').selectOption({ label: 'Warwick Hospital' });
    await page.getByLabel('Service').selectOption({ label: 'Upper limb surgery at Stratford Hospital (Trauma and orthopaedics)' });
    await page.getByLabel('Slots', { exact: true }).fill('9');
    await page.getByRole('button', { name: 'Save slots' }).click();
    await page.getByRole('alert').filter({ hasText: 'There is a problem' }).waitFor();
    expect(await page.locator('#set-service-error').textContent()).toContain('Upper limb surgery is at Stratford Hospital, for Trauma and orthopaedics');
    expect(await slotsOf(`sv.name = 'Upper limb surgery'`, w.monday)).toEqual([3]);
  });
});

describe('group', () => {
  it('a group admin adds a trust to the group; a trust admin cannot', async () => {
    const page = await h.signedIn('group.admin', '/console/group');
    expect(await h1(page)).toBe('Foundation Group');
    expect(await page.getByRole('table', { name: 'Members of Foundation Group' }).getByRole('row').count()).toBeGreaterThanOrEqual(4);
    await h.shots(page, 'group');
    await page.getByLabel('Trust ODS code').fill('rbk');
    await page.getByLabel('Trust name').fill('Walsall Healthcare NHS Trust');
    await page.getByLabel('Main site ODS code').fill('RBK01');
    await page.getByLabel('Main site name').fill('Manor Hospital');
    await page.getByLabel('Main site address').fill('Moat Road, Walsall');
    await page.getByLabel('Main site postcode').fill('B1 1ZZ');
    await page.getByRole('button', { name: 'Add trust' }).click();
    await page.waitForURL(`${h.base}/console/group?added=RBK`);
    expect(await page.getByRole('alert').filter({ hasText: 'Trust added' }).textContent()).toContain(
      'Walsall Healthcare NHS Trust is a member of Foundation Group',
    );
    const group = await h.s.http.get('/v1/group').set(bearer(h.c.clerkRLQ));
    expect(group.body.members.map((m: { ods: string }) => m.ods)).toContain('RBK');

    await page.getByRole('button', { name: 'Add trust' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Enter the trust’s 3-character ODS code, like RWP');
    await h.shots(page, 'group-error');

    const admin = await h.signedIn('admin.rlq');
    expect((await admin.goto(`${h.base}/console/group`))?.status()).toBe(403);
  });
});

describe('referral page', () => {
  it('shows a clinician the sites not offered and why, and a clerk that a distance is not known', async () => {
    const rjc = h.c.adminRJC;
    const rlt = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    const svc = await h.s.http
      .post('/v1/directory/sites/RJC08/services')
      .set(bearer(rjc))
      .send({ treatmentFunction: '420', name: 'Knees, BMI up to 35 (420)', procedures: ['W40-W42'], maxBmi: 35 });
    const week = { weeklySlots: 2, fromDate: isoDay(7), toDate: isoDay(40) };
    expect(
      (
        await h.s.http
          .put('/v1/capacity/RJC/420')
          .set(bearer(rjc))
          .send({ ...week, serviceId: svc.body.id })
      ).status,
    ).toBe(200);
    expect((await h.s.http.put('/v1/capacity/RLT/420').set(bearer(rlt)).send(week)).status).toBe(200);

    const ref = await openReferral(h.s, h.c, { specialtyCode: '420', procedureCode: 'W401', patient: { postcode: 'TR21 0PW' } });
    await waitForStatus(h.s, h.c.clinRLQ, ref.id, 'AWAITING_CLINICAL_REVIEW');
    await h.s.prisma.sql.query(
      `INSERT INTO clinical_information (referral_id, bmi, updated_by_sub) VALUES ($1::uuid, 38, 'test') ON CONFLICT (referral_id) DO UPDATE SET bmi = EXCLUDED.bmi`,
      [ref.id],
    );
    expect((await h.s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(h.c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);

    const clinician = await h.signedIn('clinician.rlq', `/console/referrals/${ref.id}`);
    const excluded = clinician.getByRole('table', { name: 'Sites with capacity that the patient was not offered, and why' });
    expect((await excluded.getByRole('row').nth(1).getByRole('cell').allTextContents()).map((t) => t.trim())).toEqual([
      'Stratford Hospital',
      'Knees, BMI up to 35 (420)',
      "BMI 38 is above this service's maximum of 35",
    ]);
    await h.shots(clinician, 'referral-excluded-sites');

    const clerk = await h.signedIn('clerk.rlq', `/console/referrals/${ref.id}`);
    expect(await clerk.locator('#distance-unknown').textContent()).toContain('Distance not known');
    const offers = clerk.getByRole('table', { name: 'Offers of treatment' });
    expect(await offers.getByRole('row').filter({ hasText: 'George Eliot Hospital' }).getByRole('cell').nth(2).textContent()).toBe('Not known');
    // BMI is clinical information: the clerk does not see why a site was left out.
    expect(await clerk.getByRole('table', { name: 'Sites with capacity that the patient was not offered, and why' }).count()).toBe(0);
    await h.shots(clerk, 'referral-distance-unknown');
  });

  it('found nothing for axe-core to report on any page', () => {
    expect(h.axeFindings.size).toBeGreaterThanOrEqual(6);
    expect(Object.fromEntries(h.axeFindings)).toEqual(Object.fromEntries([...h.axeFindings.keys()].map((k) => [k, []])));
  });
});
