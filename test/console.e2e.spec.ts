// The staff console in a real browser: Debian's Chromium (playwright-core) signs in through the
// local OpenID provider's form (code flow with PKCE), reads worklists and referrals, and signs out;
// plus the console's defences (session per trust, CSRF, open redirects, CSP, no session) over HTTP.
// Screenshots at 1280 and 768 px go to test-output/screenshots/ (not in git).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { raiseTask } from '#workflow';
import { signInWithForm, startConsole, type ConsoleHarness } from './support/console.js';
import { bearer, driveTo, getReferral, referralBody, token, waitUntil, type Cast, type Stack } from './support/stack.js';
import { WAITING_LIST_HEADER, csvLine, waitingListRow } from './support/waiting-list.js';

let h: ConsoleHarness;
let s: Stack;
let c: Cast;
let base: string;
let idp: ConsoleHarness['idp'];

beforeAll(async () => {
  h = await startConsole();
  ({ s, c, base, idp } = h);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const newPage = () => h.newPage();
const signedIn = (username: string, start = '/console') => h.signedIn(username, start);
const shots = (page: Page, name: string) => h.shots(page, name);

describe('signing in', () => {
  it('sends a console address without a session to sign in, and back to that address after', async () => {
    const res = await s.http.get('/console/worklists/clinical-review');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in?returnTo=%2Fconsole%2Fworklists%2Fclinical-review');

    const page = await newPage();
    await page.goto(`${base}/console/worklists/clinical-review`);
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await shots(page, 'sign-in');
    await signInWithForm(page, 'clinician.rlq', 'wrong');
    expect(await page.getByRole('alert').textContent()).toContain('Enter a demo username');
    await signInWithForm(page, 'clinician.rlq');
    await page.waitForURL(`${base}/console/worklists/clinical-review`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Clinical review');
    expect(await page.getByRole('navigation', { name: 'Your account' }).textContent()).toContain('Dr Owen Hughes');
  });

  it('refuses to send anyone off the console after signing in (open redirect)', async () => {
    for (const target of ['https://evil.example/', '//evil.example/console', '/console/../../evil', '/\\evil.example']) {
      const page = await newPage();
      await page.goto(`${base}/console/sign-in?returnTo=${encodeURIComponent(target)}`);
      await signInWithForm(page, 'clerk.rlq');
      await page.waitForURL(`${base}/console`);
      expect(new URL(page.url()).origin).toBe(base);
    }
  });

  it('shows the home page with a card and count for each worklist the role works', async () => {
    await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const page = await signedIn('clinician.rlq');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your worklists');
    const card = page.getByRole('link', { name: 'Clinical review' });
    expect(await card.count()).toBe(1);
    const count = Number(await page.locator('.ct-count').first().textContent());
    expect(count).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole('link', { name: 'To book' }).count()).toBe(0); // a clerk's worklist, not a clinician's
    await shots(page, 'home-clinician');
  });
});

describe('worklists and the referral page', () => {
  it('lists the referral on its worklist and opens it, with NHS number spaced and the timeline', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const page = await signedIn('clinician.rlq', '/console/worklists/clinical-review?weeks=52');
    const nhs = ref.body.patient.nhsNumber;
    const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
    // Longest waiters first, 25 a page: follow "Next page" until the referral shows.
    for (let i = 0; i < 40 && (await page.getByRole('cell', { name: spaced }).count()) === 0; i++) {
      await page.getByRole('link', { name: 'Next page' }).click();
    }
    expect(await page.getByRole('cell', { name: spaced }).count()).toBe(1);
    await shots(page, 'worklist-clinical-review');
    await page
      .getByRole('row', { name: new RegExp(spaced) })
      .getByRole('link')
      .click();
    await page.waitForURL(`${base}/console/referrals/${ref.id}`);
    expect(await page.getByText('waiting for a clinician at the referring trust to review it').count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Timeline' }).count()).toBe(1);
    await shots(page, 'referral-clinician');
  });

  it("shows another trust's referral as not found, never its content", async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW'); // RLQ's, no one else is a party yet
    const page = await signedIn('clerk.rjc');
    const res = await page.goto(`${base}/console/referrals/${ref.id}`);
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    expect(await page.content()).not.toContain(ref.body.patient.familyName);
    expect(await page.content()).not.toContain(ref.body.patient.nhsNumber);
  });
});

describe('acting on a referral', () => {
  /** One person's browser: signed in once, reused for every step they take. */
  const people = new Map<string, Page>();
  async function as(username: string): Promise<Page> {
    let page = people.get(username);
    if (!page) {
      page = await signedIn(username);
      people.set(username, page);
    }
    return page;
  }

  it('takes ten referrals from the waiting list to discharge, each stage by the person whose job it is, in the console only', async () => {
    // The trust's waiting list (its PTL upload), ten long-waiters with a name of their own.
    const tag = Date.now()
      .toString(36)
      .replace(/\d/g, (d) => 'abcdefghij'[Number(d)]);
    const rows = Array.from({ length: 10 }, (_, i) =>
      waitingListRow({
        family_name: `Journey${tag}${'abcdefghij'[i]}`,
        rtt_clock_start: new Date(Date.now() - (70 + i) * 7 * 86_400_000).toISOString().slice(0, 10),
      }),
    );
    const upload = await s.http
      .post('/v1/waiting-list/imports')
      .set(bearer(c.clerkRLQ))
      .set('Content-Type', 'text/csv')
      .send(`${WAITING_LIST_HEADER}\n${rows.map(csvLine).join('\n')}\n`);
    expect(upload.status).toBe(202);
    await waitUntil(
      async () => (await s.http.get(`/v1/waiting-list/imports/${upload.body.id}`).set(bearer(c.clerkRLQ))).body.status === 'completed',
      'the import',
    );

    // The referring clerk refers each from the long-waiters list.
    let page = await as('clerk.rlq');
    const ids: string[] = [];
    for (const row of rows) {
      await page.goto(`${base}/console/worklists/long-waiters?weeks=65`);
      const refer = page.getByRole('button', { name: `Refer ${row.given_name} ${row.family_name}` });
      for (let i = 0; i < 40 && (await refer.count()) === 0; i++) await page.getByRole('link', { name: 'Next page' }).click();
      await refer.click();
      await page.waitForURL(/\/console\/referrals\/[0-9a-f-]+\?done=opened/);
      ids.push(new URL(page.url()).pathname.split('/').pop()!);
    }
    const status = async (id: string) =>
      (await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRLQ))).body as { status: string; receivingOds: string | null };
    for (const id of ids) await waitUntil(async () => (await status(id)).status === 'AWAITING_CLINICAL_REVIEW', `screening of ${id}`);

    for (const [n, id] of ids.entries()) {
      const url = `${base}/console/referrals/${id}`;
      page = await as('clinician.rlq');
      await page.goto(url);
      if (n === 0) {
        await shots(page, 'referral-clinical-review');
        await page.getByRole('button', { name: 'Record clinical review' }).click();
        expect(await page.getByRole('alert').textContent()).toContain('Select whether transfer is suitable for this patient');
        await shots(page, 'referral-clinical-review-error');
      }
      await page.getByLabel('Suitable for transfer').check();
      await page.getByRole('button', { name: 'Record clinical review' }).click();
      await page.waitForURL(`${url}?done=clinical-review`);
      expect(await page.getByText('Clinical review recorded').count()).toBe(1);

      // The offers are made by a job: the clerk reloads until they show, as a person would.
      page = await as('clerk.rlq');
      await page.goto(url);
      for (let i = 0; i < 200 && (await page.getByRole('button', { name: "Record patient's answer" }).count()) === 0; i++) await page.reload();
      if (n === 0) await shots(page, 'referral-consent');
      await page.getByRole('radio').first().check();
      await page.getByRole('button', { name: "Record patient's answer" }).click();
      await page.waitForURL(`${url}?done=consent`);

      const receiving = (await status(id)).receivingOds!.toLowerCase();
      page = await as(`clinician.${receiving}`);
      await page.goto(url);
      await page.getByLabel('Accept transfer of care').check();
      await page.getByRole('button', { name: 'Record decision' }).click();
      await page.waitForURL(`${url}?done=receiver-decision`);

      page = await as(`clerk.${receiving}`);
      await page.goto(url);
      if (n === 0) await shots(page, 'referral-booking');
      const when = new Date(Date.now() + (21 + n) * 86_400_000);
      await page.getByLabel('Procedure', { exact: true }).check();
      await page.getByLabel('Day').fill(String(when.getUTCDate()));
      await page.getByLabel('Month').fill(String(when.getUTCMonth() + 1));
      await page.getByLabel('Year').fill(String(when.getUTCFullYear()));
      await page.getByLabel('Time').fill('09:30');
      await page.getByRole('button', { name: 'Book appointment' }).click();
      await page.waitForURL(`${url}?done=book`);
      expect(await page.getByRole('cell', { name: /09:30/ }).count()).toBe(1);

      page = await as(`clinician.${receiving}`);
      await page.goto(url);
      const today = new Date();
      await page.getByLabel('Day').fill(String(today.getUTCDate()));
      await page.getByLabel('Month').fill(String(today.getUTCMonth() + 1));
      await page.getByLabel('Year').fill(String(today.getUTCFullYear()));
      await page.getByRole('button', { name: 'Record treatment' }).click();
      await page.waitForURL(`${url}?done=treatment`);
      await page.getByLabel('Discharge summary').fill('Left total hip replacement, uneventful. Mobilising with one stick. Review in clinic at 6 weeks.');
      await page.getByRole('button', { name: 'Discharge to GP' }).click();
      await page.waitForURL(`${url}?done=discharge`);
      if (n === 0) await shots(page, 'referral-discharged');
    }
    for (const id of ids) {
      const after = (await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRLQ))).body;
      expect(after.status).toBe('DISCHARGED');
      // The timeline says who did each step, by name, with their trust.
      expect(after.timeline.map((e: { actor?: { ods: string | null } }) => e.actor?.ods)).toEqual(expect.arrayContaining(['RLQ', after.receivingOds]));
      const names = after.timeline.map((e: { actor?: { name?: string | null } }) => e.actor?.name);
      expect(names).toEqual(expect.arrayContaining(['Megan Price', 'Dr Owen Hughes']));
    }
    page = await as('clinician.rlq');
    await page.goto(`${base}/console/referrals/${ids[0]}`);
    expect(await page.locator('.ct-timeline').textContent()).toMatch(/Dr Owen Hughes, clinician \(RLQ\)/);
  }, 600_000);

  it('tells the second person to act that the referral has moved on, and shows it as it is now', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const url = `${base}/console/referrals/${ref.id}`;
    const first = await signedIn('clinician.rlq');
    const second = await signedIn('clinician.rlq');
    await first.goto(url);
    await second.goto(url);
    await first.getByLabel('Suitable for transfer').check();
    await first.getByRole('button', { name: 'Record clinical review' }).click();
    await first.waitForURL(`${url}?done=clinical-review`);
    await second.getByLabel('Not suitable').check();
    await second.getByRole('combobox', { name: 'Reason' }).selectOption('COMORBIDITY');
    const [response] = await Promise.all([
      second.waitForResponse((r) => r.request().method() === 'POST'),
      second.getByRole('button', { name: 'Record clinical review' }).click(),
    ]);
    expect(response.status()).toBe(409);
    expect(await second.getByText(/moved on: it is now waiting for the patient/).count()).toBe(1);
    expect(await second.getByRole('button', { name: 'Record clinical review' }).count()).toBe(0);
    await shots(second, 'referral-moved-on');
  });

  it('works by keyboard alone: a clinical review with Tab, Space and Enter only', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const url = `${base}/console/referrals/${ref.id}`;
    const page = await signedIn('clinician.rlq');
    await page.goto(url);
    // Tab to the first radio of the form, choose it with Space, Tab on to the button and press Enter.
    const focused = () =>
      page.evaluate<string>(`(document.activeElement && (document.activeElement.labels?.[0]?.textContent || document.activeElement.textContent) || '').trim()`);
    for (let i = 0; i < 80 && (await focused()) !== 'Suitable for transfer'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Suitable for transfer');
    await page.keyboard.press('Space');
    for (let i = 0; i < 20 && (await focused()) !== 'Record clinical review'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${url}?done=clinical-review`);
  });

  it('shows no action to a person who may not take it now', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const clerk = await signedIn('clerk.rlq');
    await clerk.goto(`${base}/console/referrals/${ref.id}`);
    expect(await clerk.getByRole('button', { name: 'Record clinical review' }).count()).toBe(0);
    expect(await clerk.getByRole('button', { name: 'Withdraw referral' }).count()).toBe(1);
    // And a clerk who posts the clinician's form anyway is refused by role.
    const cookie = (await clerk.context().cookies(`${base}/console`)).map((k) => `${k.name}=${k.value}`).join('; ');
    const csrf = await clerk.locator('input[name=_csrf]').first().getAttribute('value');
    const res = await s.http
      .post(`/console/referrals/${ref.id}/clinical-review`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, decision: 'suitable' });
    expect(res.status).toBe(403);
    expect((await s.http.get(`/v1/referrals/${ref.id}`).set({ Authorization: `Bearer ${c.clinRLQ}` })).body.status).toBe('AWAITING_CLINICAL_REVIEW');
  });
});

describe("the timeline in people's names", () => {
  it("records a member of staff's name from their token, and never a patient's", async () => {
    const named = await token({ role: 'booking_clerk', ods: 'RLQ', sub: 'named-clerk', extra: { name: 'Megan Price' } });
    const res = await s.http.post('/v1/referrals').set(bearer(named)).send(referralBody());
    expect(res.status).toBe(201);
    expect(res.body.timeline[0].actor).toEqual({ sub: 'named-clerk', role: 'booking_clerk', ods: 'RLQ', name: 'Megan Price' });
    const unnamed = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(referralBody());
    expect(unnamed.body.timeline[0].actor).toEqual({ sub: 'clerk-rlq', role: 'booking_clerk', ods: 'RLQ' });
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    const patient = await token({ role: 'patient', nhsNumber: ref.body.patient.nhsNumber, extra: { name: 'Alex Testpatient' } });
    const offer = (await s.http.get(`/v1/referrals/${ref.id}`).set(bearer(c.clinRLQ))).body.offers[0] as { id: string; siteOds: string; siteName: string };
    // The API's offers name the hospital (the console's consent radios are labelled with it).
    const site = (await s.prisma.sql.query<{ name: string }>('SELECT name FROM site WHERE ods = $1', [offer.siteOds])).rows[0];
    expect(offer.siteName).toBe(site.name);
    const offerId = offer.id;
    expect((await s.http.post(`/v1/referrals/${ref.id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId })).status).toBe(200);
    const view = (await s.http.get(`/v1/referrals/${ref.id}`).set(bearer(c.clinRLQ))).body;
    const answered = view.timeline.find((e: { actor?: { role: string } }) => e.actor?.role === 'patient');
    expect(answered.actor).not.toHaveProperty('name');
    expect(JSON.stringify(view.timeline)).not.toContain('Alex Testpatient');
  });
});

describe('finding work', () => {
  it('finds a referral by NHS number with or without spaces, by pathway id, and by family name with date of birth', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', {
      patient: {
        familyName: `Search${Date.now()
          .toString(36)
          .replace(/\d/g, (d) => 'abcdefghij'[Number(d)])}`,
        dateOfBirth: '1951-03-09',
      },
    });
    const page = await signedIn('clerk.rlq');
    const nhs = ref.body.patient.nhsNumber;
    for (const q of [
      nhs,
      `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`,
      ref.body.pathwayId,
      `${ref.body.patient.familyName.toLowerCase()} 9/3/1951`,
    ]) {
      await page.goto(`${base}/console/search`);
      await page.getByLabel('NHS number, pathway id, or family name with date of birth').fill(q);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(`${base}/console/referrals/${ref.id}`);
    }
    // Not the other trust's: RJC's clerk finds nothing by the same number.
    const other = await signedIn('clerk.rjc');
    await other.goto(`${base}/console/search?q=${nhs}`);
    expect(await other.getByText(/No referral your trust can see matches/).count()).toBe(1);
    await other.goto(`${base}/console/search?q=${encodeURIComponent('Smith 31/02/1960')}`);
    expect(await other.getByRole('alert').textContent()).toContain('The date of birth must be a real date');
    await shots(other, 'search-error');
  });

  it('gives two clinicians pressing "Review next" two different patients, longest waiter first', async () => {
    const a = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { rttClockStart: new Date(Date.now() - 900 * 7 * 86_400_000).toISOString().slice(0, 10) });
    const b = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { rttClockStart: new Date(Date.now() - 899 * 7 * 86_400_000).toISOString().slice(0, 10) });
    const first = await signedIn('clinician.rlq');
    await first.getByRole('link', { name: 'Review next' }).click();
    await first.waitForURL(`${base}/console/referrals/${a.id}`);
    // The same clinician again (another window) keeps their own patient.
    await first.goto(`${base}/console/worklists/clinical-review/next`);
    expect(first.url()).toBe(`${base}/console/referrals/${a.id}`);
    // A second clinician gets the next longest waiter, not the one the first has open.
    const second = await signedIn('clinician2.rlq');
    await second.getByRole('link', { name: 'Review next' }).click();
    await second.waitForURL(`${base}/console/referrals/${b.id}`);
    for (const id of [a.id, b.id])
      expect((await s.http.post(`/v1/referrals/${id}/cancel`).set(bearer(c.clinRLQ)).send({ reason: 'Test over' })).status).toBe(200);
  });

  it("lists the team's tasks, each with the patient it is about, and marks one done", async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW', { patient: { familyName: 'Taskpatient', givenName: 'Robin' } });
    const key = `console-test-${ref.id}`;
    expect(await raiseTask(s.prisma.sql, { trustOds: 'RLQ', team: 'booking', kind: 'offer_unanswered', referralId: ref.id, key })).toBe(true);
    const page = await signedIn('clerk.rlq', '/console/worklists/tasks');
    const button = page.getByRole('button', { name: /Mark as done.*The patient has not answered the offer.*, TASKPATIENT, Robin/ });
    // Oldest first: other suites' tasks may come first; page on until it shows.
    for (let i = 0; i < 40 && (await button.count()) === 0; i++) await page.getByRole('link', { name: 'Next page' }).click();
    expect(await button.count()).toBe(1);
    await shots(page, 'tasks');
    const id = (await s.prisma.sql.query<{ id: string }>('SELECT id::text FROM task WHERE key = $1', [key])).rows[0].id;
    // Who it is about, as the worklists name them: the patient's name (the link to the referral), NHS number, weeks waited.
    const row = page.locator('tr', { has: page.locator(`form[action="/console/tasks/${id}/done"]`) });
    const cells = (await row.getByRole('cell').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(cells.slice(0, 3)).toEqual([
      'TASKPATIENT, Robin',
      ref.nhs.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3'),
      String((await getReferral(s, c.clerkRLQ, ref.id)).weeksWaited),
    ]);
    expect(await row.getByRole('link', { name: 'TASKPATIENT, Robin' }).getAttribute('href')).toBe(`/console/referrals/${ref.id}`);
    await page.locator(`form[action="/console/tasks/${id}/done"] button`).click();
    await page.waitForURL(`${base}/console/worklists/tasks?done=task`);
    expect((await s.prisma.sql.query<{ status: string }>('SELECT status FROM task WHERE key = $1', [key])).rows[0].status).toBe('DONE');
  });

  it('refers a long-waiter from the waiting list, opening the referral', async () => {
    const row = waitingListRow({ rtt_clock_start: new Date(Date.now() - 950 * 7 * 86_400_000).toISOString().slice(0, 10), family_name: 'Longwaiter' });
    const res = await s.http
      .post('/v1/waiting-list/imports')
      .set(bearer(c.clerkRLQ))
      .set('Content-Type', 'text/csv')
      .send(`${WAITING_LIST_HEADER}\n${csvLine(row)}\n`);
    expect(res.status).toBe(202);
    await waitUntil(
      async () => (await s.http.get(`/v1/waiting-list/imports/${res.body.id}`).set(bearer(c.clerkRLQ))).body.status === 'completed',
      'the import',
    );
    const page = await signedIn('clerk.rlq', '/console/worklists/long-waiters');
    await shots(page, 'long-waiters');
    await page
      .getByRole('button', { name: `Refer ${row.given_name} ${row.family_name}` })
      .first()
      .click();
    await page.waitForURL(/\/console\/referrals\/[0-9a-f-]+\?done=opened/);
    expect(await page.getByText('Referral opened: screening runs now').count()).toBe(1);
    expect(await page.getByText(row.pathway_id).count()).toBeGreaterThanOrEqual(1);
  });
});

describe('assets', () => {
  it("serves nhsuk-frontend's stylesheet, script and images from the package, and nothing else", async () => {
    const css = await s.http.get('/console/assets/nhsuk-frontend.min.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.text).toContain('url(/console/assets/images/');
    const js = await s.http.get('/console/assets/nhsuk-frontend.min.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await s.http.get('/console/assets/images/favicon.svg')).status).toBe(200);
    for (const bad of ['..%2F..%2Fpackage.json', 'index.scss', 'images/..%2F..%2Fnhsuk.scss'])
      expect((await s.http.get(`/console/assets/${bad}`)).status).toBe(404);
  });
});

describe('defences', () => {
  it('refuses a form without its CSRF token with a page that says so (403)', async () => {
    const page = await signedIn('clerk.rlq');
    const cookies = await page.context().cookies(`${base}/console`);
    const cookie = cookies.map((k) => `${k.name}=${k.value}`).join('; ');
    const res = await s.http.post('/console/sign-out').set('Cookie', cookie).type('form').send({ _csrf: 'not-the-token' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('This form has expired');
    const none = await s.http.post('/console/sign-out').set('Cookie', cookie).type('form').send({});
    expect(none.status).toBe(403);
  });

  it('sends a Content-Security-Policy without unsafe-inline, and the browser blocks an inline script', async () => {
    const res = await s.http.get('/console/signed-out');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    const page = await signedIn('clerk.rlq');
    await page.evaluate(`(() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.appendChild(s); })()`);
    expect(await page.evaluate('window.__ran === true')).toBe(false);
    // nhsuk-frontend's own script (a module from 'self') did run: it marks the body.
    expect(await page.evaluate(`document.body.classList.contains('nhsuk-frontend-supported')`)).toBe(true);
  });

  it('signs out of the console and of the identity provider', async () => {
    const page = await signedIn('clerk.rlq');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/signed-out`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You have signed out');
    await shots(page, 'signed-out');
    await page.goto(`${base}/console`);
    // The provider asks for the password again: its session ended too.
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    expect(await page.getByLabel('Password').count()).toBe(1);
  });
});

describe('accessibility', () => {
  it('every page above meets WCAG 2.2 A and AA as far as axe-core can tell', () => {
    expect(h.axeFindings.size).toBeGreaterThanOrEqual(10);
    expect(Object.fromEntries(h.axeFindings)).toEqual(Object.fromEntries([...h.axeFindings.keys()].map((k) => [k, []])));
  });
});
