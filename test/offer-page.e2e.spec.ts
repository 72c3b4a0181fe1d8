// The patient's offer page in a real browser: Playwright (playwright-core) driving Debian's
// Chromium headless against the real API listening on a loopback port, with the worker making
// the offer. Screenshots at 320 px and 1280 px go to test-output/screenshots/. Also the footer's
// pages, the booking team's phone number (a trust setting) and the reference on the confirmation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Caller } from '#auth';
import { APP_CONFIG, ConfigError, loadConfig, type AppConfig } from '#config';
import { offerLinkToken, offerLinkUrl, verifyOfferLinkToken } from '#notifications';
import { ReferralSearch, parseSearch } from '../apps/api/src/console/search.js';
import { bearer, driveTo, getReferral, useStack, waitUntil } from './support/stack.js';
import { launchChromium } from './support/console.js';

const SHOTS = path.join(process.cwd(), 'test-output', 'screenshots');
const DOB = { day: '5', month: '5', year: '1960' }; // referralBody's default date of birth, 1960-05-05

let browser: Browser;
let base: string;
let secret: string;
const contexts: BrowserContext[] = [];

// Registered first so it runs first: the pages go before the server they talk to.
afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => undefined);
  await browser?.close();
});
const { s, c } = useStack();

beforeAll(async () => {
  await s.api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(s.api.getHttpServer().address() as AddressInfo).port}`;
  secret = s.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

async function newPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
  const ctx = await browser.newContext({ javaScriptEnabled: opts.javaScriptEnabled ?? true, viewport: { width: 320, height: 800 } });
  contexts.push(ctx);
  return ctx.newPage();
}

/** A referral awaiting the patient's answer, and the link of its offer notification. */
async function offered(over: Parameters<typeof driveTo>[3] = {}) {
  const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT', over);
  const n = (await waitUntil(() => s.prisma.notification.findFirst({ where: { referralId: ref.id, event: 'offer' } }), 'the offer notification'))!;
  const token = offerLinkToken(secret, n.id);
  return { ...ref, notificationId: n.id, token, url: offerLinkUrl(base, token) };
}

/** axe-core's findings (WCAG 2.0-2.2, levels A and AA) for each page screenshotted, checked by the last test. */
const axeFindings = new Map<string, string[]>();
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
let axeContext: BrowserContext | undefined;

/**
 * Runs axe-core on the page as the patient sees it: its HTML is served again at the same origin
 * (so its stylesheet loads and colour contrast is real) in a context with JavaScript on and the
 * page's CSP bypassed, since the page itself loads no script and its CSP forbids one.
 */
async function axeCheck(page: Page, name: string) {
  const html = await page.content();
  if (!axeContext) {
    axeContext = await browser.newContext({ bypassCSP: true, javaScriptEnabled: true, viewport: { width: 320, height: 800 } });
    contexts.push(axeContext);
  }
  const p = await axeContext.newPage();
  try {
    const at = `${base}/offer/__axe__/${name}`;
    await p.route(at, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await p.goto(at);
    await p.addScriptTag({ path: path.join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js') });
    // Runs in the page (the tests are compiled without the DOM's types, hence the string).
    const violations: string[] = await p.evaluate(
      `(async (tags) => (await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations
         .map((v) => v.id + ': ' + v.help + ' (' + v.nodes.length + ')'))(${JSON.stringify(AXE_TAGS)})`,
    );
    axeFindings.set(name, violations);
  } finally {
    await p.close();
  }
}

/** Screenshots at 320 px and 1280 px wide, a check that nothing needs scrolling sideways at 320 px, and axe-core's check. */
async function shots(page: Page, name: string) {
  await axeCheck(page, name);
  await page.setViewportSize({ width: 320, height: 800 });
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
  await page.screenshot({ path: path.join(SHOTS, `offer-${name}-320.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, `offer-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 320, height: 800 });
}

async function enterDob(page: Page, dob: { day: string; month: string; year: string }) {
  await page.getByLabel('Day').fill(dob.day);
  await page.getByLabel('Month').fill(dob.month);
  await page.getByLabel('Year').fill(dob.year);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Capacity at RJC (RJC02, the main site, and any other sites given) for `specialty`: `slots` next week only. */
async function capacityNextWeek(specialty: string, slots: number, sites: readonly string[] = ['RJC02']) {
  const d = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const monday = new Date(d.getTime() + (7 - ((d.getUTCDay() + 6) % 7)) * 86_400_000).toISOString().slice(0, 10);
  const sunday = new Date(Date.parse(monday + 'T00:00:00Z') + 6 * 86_400_000).toISOString().slice(0, 10);
  for (const siteOds of sites) {
    const res = await s.http
      .put(`/v1/capacity/RJC/${specialty}`)
      .set(bearer(c.adminRJC))
      .send({ weeklySlots: slots, fromDate: monday, toDate: sunday, siteOds });
    expect(res.status).toBe(200);
  }
}

/** Someone else takes every slot at the site for the specialty. */
const takeAllSlots = (specialty: string, siteOds: string) =>
  s.prisma.sql.query('UPDATE capacity_week SET used = slots WHERE specialty_code = $1 AND site_ods = $2', [specialty, siteOds]);

const h1 = (page: Page) => page.locator('h1').first().innerText();
const statusOf = async (id: string) => (await getReferral(s, c.clinRLQ, id)).status as string;
const linkRow = (notificationId: string) => s.prisma.offerLink.findUnique({ where: { notificationId } });
const mainText = (page: Page) => page.locator('main').innerText();

/** What the confirmation page shows as the reference: the booking team finds the referral by it in the console's search. */
async function expectReferenceFound(page: Page, ref: { id: string; body: { pathwayId: string } }) {
  expect(await page.locator('.nhsuk-panel').innerText()).toContain('Your reference number');
  const reference = await page.locator('.nhsuk-panel #reference').innerText();
  expect(reference).toBe(ref.body.pathwayId);
  const clerk: Caller = { sub: 'clerk.rlq', roles: ['booking_clerk'], role: 'booking_clerk', ods: 'RLQ', nhsNumber: null };
  const query = parseSearch(reference);
  expect(query).toEqual({ kind: 'pathwayId', pathwayId: reference });
  const hits = await s.api.get(ReferralSearch, { strict: false }).find(clerk, query as { kind: 'pathwayId'; pathwayId: string });
  expect(hits.map((h) => h.id)).toContain(ref.id);
}

describe('offer link token', () => {
  it('names the offer notification, and refuses altered, foreign or malformed tokens', () => {
    const id = '0b7c6a52-3f0e-4d8a-9a41-5b2f3c1d9e10';
    const t = offerLinkToken(secret, id);
    expect(t).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    expect(t).not.toContain(id);
    expect(verifyOfferLinkToken(secret, t)).toBe(id);
    expect(verifyOfferLinkToken('another-secret-of-at-least-32-characters', t)).toBeNull();
    const [a, b] = t.split('.') as [string, string];
    const flip = (x: string) => (x[0] === 'A' ? 'B' : 'A') + x.slice(1);
    expect(verifyOfferLinkToken(secret, `${flip(a)}.${b}`)).toBeNull();
    expect(verifyOfferLinkToken(secret, `${a}.${flip(b)}`)).toBeNull();
    for (const bad of ['', 'x', `${a}.`, `${a}.${b}.x`, `${a}=.${b}`, `${a}.${b}`.repeat(3)]) expect(verifyOfferLinkToken(secret, bad)).toBeNull();
    expect(offerLinkUrl('https://crosstrust.example.nhs.uk/', t)).toBe(`https://crosstrust.example.nhs.uk/offer/${t}`);
  });

  it('needs OFFER_LINK_SECRET and an https PUBLIC_BASE_URL in production; elsewhere PUBLIC_BASE_URL defaults to this host and port', () => {
    const env = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };
    const prod = { ...env, NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'crosstrust' };
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(() => loadConfig(prod)).toThrow(/OFFER_LINK_SECRET is required when NODE_ENV=production/);
    expect(() => loadConfig({ ...prod, OFFER_LINK_SECRET: 'short' })).toThrow(/OFFER_LINK_SECRET must be at least 32 characters/);
    expect(() => loadConfig({ ...prod, OFFER_LINK_SECRET: 'x'.repeat(32) })).toThrow(/PUBLIC_BASE_URL is required when NODE_ENV=production/);
    expect(() => loadConfig({ ...prod, OFFER_LINK_SECRET: 'x'.repeat(32), PUBLIC_BASE_URL: 'http://crosstrust.example.nhs.uk' })).toThrow(
      /PUBLIC_BASE_URL must be an https: URL/,
    );
    expect(loadConfig({ ...prod, OFFER_LINK_SECRET: 'x'.repeat(32), PUBLIC_BASE_URL: 'https://crosstrust.example.nhs.uk/' }).http.publicBaseUrl).toBe(
      'https://crosstrust.example.nhs.uk',
    );
    expect(loadConfig({ ...env, PORT: '3100' }).http.publicBaseUrl).toBe('http://localhost:3100');
    expect(() => loadConfig({ ...env, PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL must be a http: or https: URL/);
  });
});

describe('offer page in Chromium', () => {
  it('accepts an offer end to end: date of birth, the offer in plain English, confirmation; the link is then used up', async () => {
    const ref = await offered();
    const page = await newPage();
    const res = await page.goto(ref.url);
    expect(res!.status()).toBe(200);
    const headers = res!.headers();
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(await page.getAttribute('html', 'lang')).toBe('en-GB');
    expect(await page.title()).toBe('What is your date of birth? – Treatment at another hospital – NHS');
    // The stylesheet is nhsuk-frontend's, served by the API (a styled page, not raw HTML).
    expect(
      await page
        .locator('.nhsuk-header')
        .evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor),
    ).toBe('rgb(0, 94, 184)');
    await shots(page, 'date-of-birth');

    await enterDob(page, DOB);
    await page.waitForURL(`${ref.url}/choose`);
    expect(await h1(page)).toBe('You could be treated sooner at another hospital');
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/Wye Valley/); // the referring trust, by name
    expect(text).toMatch(/about \d+ miles? from your home/);
    expect(text).toMatch(/From the week of (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} \w+ \d{4}/);
    expect(text).toContain('What happens next');
    expect(text).toContain('you keep your place');
    expect(text).toContain('the time you have already waited still counts');
    // No patient identifiers on the page or in its address.
    expect(text).not.toContain(ref.nhs);
    expect(page.url()).not.toContain(ref.id);
    await shots(page, 'offers');

    await page.locator('input[name=answer][value^="accept:"]').first().check();
    await page.getByLabel(/How far are you willing to travel/).fill('80');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForURL(`${ref.url}/answered`);
    expect(await h1(page)).toBe('You have accepted the offer');
    expect(await page.locator('main').innerText()).toMatch(/We have asked .+ to take over your care at .+\./);
    await expectReferenceFound(page, ref);
    await shots(page, 'accepted');

    // The same transition, timeline and notifications as the API's consent route.
    expect(await statusOf(ref.id)).toBe('AWAITING_RECEIVER_ACCEPTANCE');
    const r = await s.prisma.referral.findUniqueOrThrow({ where: { id: ref.id } });
    expect(r.receivingOds).toBe('RJC');
    expect(r.travelRadiusMiles).toBe(80);
    const ev = await s.prisma.timelineEvent.findFirstOrThrow({ where: { referralId: ref.id, type: 'consent_accepted' } });
    expect(ev).toMatchObject({ actorRole: 'patient', actorSub: `offer-link:${ref.notificationId}`, toStatus: 'AWAITING_RECEIVER_ACCEPTANCE' });
    expect((ev.detail as { method: string }).method).toBe('online');
    expect(await s.prisma.notification.count({ where: { referralId: ref.id, event: 'consent_recorded' } })).toBe(1);
    const audits = await s.prisma.auditEvent.findMany({ where: { referralId: ref.id, actorSub: `offer-link:${ref.notificationId}` } });
    expect(audits.map((a) => `${a.action} ${a.outcome}`)).toEqual(expect.arrayContaining(['referral.read 200', 'referral.consent 200']));
    expect(await linkRow(ref.notificationId)).toMatchObject({ verifiedCount: 1, failedAttempts: 0, decision: 'accept' });

    // Reused: the link now says it has been answered, in this browser and in any other.
    await page.goto(ref.url);
    expect(await h1(page)).toBe('You have already answered');
    const other = await newPage();
    const again = await other.goto(ref.url);
    expect(again!.status()).toBe(410);
    expect(await h1(other)).toBe('You have already answered');
    await shots(other, 'already-answered');
  });

  it('works without JavaScript: declining keeps the patient on their list, with the travel radius they gave', async () => {
    const ref = await offered();
    const page = await newPage({ javaScriptEnabled: false });
    await page.goto(ref.url);
    await enterDob(page, { day: '05', month: '05', year: '1960' });
    await page.waitForURL(`${ref.url}/choose`);
    await page.getByLabel('No, I want to stay on my current waiting list').check();
    await page.getByLabel(/How far are you willing to travel/).fill('25');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForURL(`${ref.url}/answered`);
    expect(await h1(page)).toBe('You have chosen to stay on your current waiting list');
    expect(await page.locator('main').innerText()).toContain('the time you have already waited still counts');
    await expectReferenceFound(page, ref);
    await shots(page, 'declined');
    expect(await statusOf(ref.id)).toBe('DECLINED');
    expect((await s.prisma.referral.findUniqueOrThrow({ where: { id: ref.id } })).travelRadiusMiles).toBe(25);
    expect(await s.prisma.timelineEvent.count({ where: { referralId: ref.id, type: 'consent_declined', actorRole: 'patient' } })).toBe(1);
    expect(await linkRow(ref.notificationId)).toMatchObject({ decision: 'decline' });

    // Coming back to the form later: nothing to answer any more.
    await page.goto(`${ref.url}/choose`);
    expect(await h1(page)).toBe('You have already answered');
  });

  it('shows errors in the NHS.UK error summary, naming the field, and focuses it', async () => {
    const ref = await offered();
    const page = await newPage();
    await page.goto(ref.url);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForLoadState();
    expect(await page.title()).toMatch(/^Error: What is your date of birth\?/);
    const summary = page.locator('.nhsuk-error-summary');
    expect(await summary.innerText()).toContain('Enter your date of birth');
    expect(await summary.locator('a').getAttribute('href')).toBe('#dob-day');
    expect(await page.evaluate<boolean>("document.activeElement.classList.contains('nhsuk-error-summary')")).toBe(true);
    expect(await page.locator('#dob-day').getAttribute('class')).toContain('nhsuk-input--error');
    await shots(page, 'date-of-birth-error');

    await enterDob(page, { day: '31', month: '2', year: '1960' });
    expect(await summary.innerText()).toContain('Date of birth must be a real date');
    await enterDob(page, { day: '5', month: '', year: '1960' });
    expect(await summary.innerText()).toContain('Date of birth must include a month');
    expect(await summary.locator('a').getAttribute('href')).toBe('#dob-month');
    // Form errors are not wrong dates of birth: they do not count towards the lockout.
    expect((await linkRow(ref.notificationId))?.failedAttempts ?? 0).toBe(0);

    await enterDob(page, DOB);
    await page.waitForURL(`${ref.url}/choose`);
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForLoadState();
    expect(await summary.innerText()).toContain('Select whether you would like to be treated at another hospital');
    expect(await summary.locator('a').getAttribute('href')).toBe('#answer');
    await page.locator('input[name=answer][value^="accept:"]').first().check();
    await page.getByLabel(/How far are you willing to travel/).fill('lots');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForLoadState();
    expect(await summary.innerText()).toContain('How far you are willing to travel must be a whole number of miles, from 1 to 500');
    expect(await page.locator('#radius').inputValue()).toBe('lots');
    await shots(page, 'offers-error');
    // A radius shorter than the hospital is far: the rule from recordConsent, in the patient's words.
    await page.locator('input[name=answer][value^="accept:"]').first().check();
    await page.getByLabel(/How far are you willing to travel/).fill('1');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForLoadState();
    expect(await summary.innerText()).toMatch(/from your home, further than the distance you entered/);
    expect(await statusOf(ref.id)).toBe('AWAITING_PATIENT_CONSENT');
  });

  it('locks the link after 5 wrong dates of birth and tells the patient to phone the booking team', async () => {
    const ref = await offered();
    const page = await newPage();
    await page.goto(ref.url);
    for (let i = 1; i <= 4; i++) {
      await enterDob(page, { day: '6', month: '5', year: '1960' });
      expect(await page.locator('.nhsuk-error-summary').innerText()).toContain(`You have ${5 - i} more ${5 - i === 1 ? 'try' : 'tries'}`);
    }
    expect(await page.locator('#dob-day').inputValue()).toBe('6');
    await enterDob(page, { day: '6', month: '5', year: '1960' });
    expect(await h1(page)).toBe('You cannot use this link any more');
    expect(await page.locator('main').innerText()).toContain('phone the hospital booking team');
    await shots(page, 'locked');
    // Locked stays locked, even with the right date of birth.
    const res = await page.goto(ref.url);
    expect(res!.status()).toBe(403);
    expect(await h1(page)).toBe('You cannot use this link any more');
    expect(await linkRow(ref.notificationId)).toMatchObject({ failedAttempts: 5, verifiedCount: 0 });
    expect((await linkRow(ref.notificationId))!.lockedAt).not.toBeNull();
    expect(await statusOf(ref.id)).toBe('AWAITING_PATIENT_CONSENT');
  });

  it('refuses an expired link (14 days after the offer), a link for a referral no longer awaiting consent, and a made-up link', async () => {
    const expired = await offered();
    // 22 days: past the sweep's reminder windows too (a 14-day reminder goes out between days 14 and 21, and
    // rightly reopens the link for 14 days from when it is sent).
    await s.prisma.$executeRaw`UPDATE notification SET created_at = now() - interval '22 days' WHERE id = ${expired.notificationId}::uuid`;
    const page = await newPage();
    let res = await page.goto(expired.url);
    expect(res!.status()).toBe(410);
    expect(await h1(page)).toBe('This link has expired');
    await shots(page, 'expired');
    // Posting a date of birth to an expired link does not get past it either.
    const post = await fetch(expired.url, {
      method: 'POST',
      body: new URLSearchParams({ 'dob-day': '5', 'dob-month': '5', 'dob-year': '1960' }),
      redirect: 'manual',
    });
    expect(post.status).toBe(410);

    // A reminder carries the same link and keeps it open for 14 days from when it was sent.
    await s.prisma.$executeRaw`INSERT INTO notification (id, referral_id, event, key, channel, status, detail, created_at, updated_at)
      VALUES (gen_random_uuid(), ${expired.id}::uuid, 'offer_reminder', ${`${expired.id}.offer_reminder.test`}, 'email', 'delivered',
              ${JSON.stringify({ offerNotificationId: expired.notificationId, which: '14d' })}::jsonb, now() - interval '1 day', now())`;
    res = await page.goto(expired.url);
    expect(res!.status()).toBe(200);
    expect(await h1(page)).not.toBe('This link has expired');
    await s.prisma.$executeRaw`UPDATE notification SET created_at = now() - interval '15 days' WHERE key = ${`${expired.id}.offer_reminder.test`}`;
    res = await page.goto(expired.url);
    expect(res!.status()).toBe(410);

    // Answered another way (here through the API, as a booking clerk would by phone): the link is closed.
    const moved = await offered();
    const offer = (await getReferral(s, c.clinRLQ, moved.id)).offers[0];
    const api = await s.http.post(`/v1/referrals/${moved.id}/consent`).set(bearer(moved.patient)).send({ decision: 'accept', offerId: offer.id });
    expect(api.status).toBe(200);
    res = await page.goto(moved.url);
    expect(res!.status()).toBe(410);
    expect(await h1(page)).toBe('This offer is no longer open');
    await shots(page, 'no-longer-open');

    const madeUp = offerLinkToken('a-secret-that-is-not-the-server-secret!!', moved.notificationId);
    res = await page.goto(offerLinkUrl(base, madeUp));
    expect(res!.status()).toBe(404);
    expect(await h1(page)).toBe('This link does not work');
    res = await page.goto(`${base}/offer/${moved.id}`);
    expect(res!.status()).toBe(404);

    // A newer offer to the same patient replaces the link of the older one; its fallback letter
    // (same offer, another channel) does not.
    const older = await offered();
    await s.prisma.$executeRaw`INSERT INTO notification (id, referral_id, event, key, channel, status, fallback_of, created_at, updated_at)
      VALUES (gen_random_uuid(), ${older.id}::uuid, 'offer', ${`${older.id}.offer.letter-test`}, 'letter', 'delivered', ${older.notificationId}::uuid, now(), now())`;
    res = await page.goto(older.url);
    expect(res!.status()).toBe(200);
    await s.prisma.$executeRaw`INSERT INTO notification (id, referral_id, event, key, channel, status, created_at, updated_at)
      VALUES (gen_random_uuid(), ${older.id}::uuid, 'offer', ${`${older.id}.offer.newer-test`}, 'email', 'delivered', now(), now())`;
    res = await page.goto(older.url);
    expect(res!.status()).toBe(410);
    expect(await h1(page)).toBe('This link has been replaced');
  });

  it('the place is taken just before the patient answers: tells them the booking team will contact them, and raises a task for that team', async () => {
    await capacityNextWeek('330', 1);
    const ref = await offered({ specialtyCode: '330' });
    const page = await newPage();
    await page.goto(ref.url);
    await enterDob(page, DOB);
    await page.waitForURL(`${ref.url}/choose`);
    await page.locator('input[name=answer][value^="accept:"]').first().check();
    await takeAllSlots('330', 'RJC02');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForLoadState();
    expect(await h1(page)).toBe('That place has just been taken');
    const text = await page.locator('main').innerText();
    expect(text).toContain('The hospital booking team will contact you');
    expect(text).not.toContain('That offer is not open any more');
    await shots(page, 'place-taken');
    expect(await statusOf(ref.id)).toBe('AWAITING_PATIENT_CONSENT');
    const offerId = (await getReferral(s, c.clinRLQ, ref.id)).offers[0].id as string;
    const { rows } = await s.prisma.sql.query<{ trust_ods: string; team: string; key: string; detail: unknown }>(
      `SELECT trust_ods, team, key, detail FROM task WHERE referral_id = $1::uuid AND kind = 'offer_capacity_gone'`,
      [ref.id],
    );
    expect(rows).toEqual([
      { trust_ods: 'RLQ', team: 'booking', key: `offer_capacity_gone:${ref.id}:${offerId}`, detail: { offerId, reason: 'NO_CAPACITY_LEFT' } },
    ]);
  });

  it('the place is taken just before the patient answers but another offer has room: they choose that one instead', async () => {
    await capacityNextWeek('331', 1, ['RJC02', 'RJC08']);
    const ref = await offered({ specialtyCode: '331' });
    const offers = (await getReferral(s, c.clinRLQ, ref.id)).offers as Array<{ id: string; siteOds: string; status: string }>;
    const [gone, other] = [offers.find((o) => o.siteOds === 'RJC02')!, offers.find((o) => o.siteOds === 'RJC08')!];
    expect(gone.status === 'OPEN' && other.status === 'OPEN').toBe(true);
    const page = await newPage({ javaScriptEnabled: false });
    await page.goto(ref.url);
    await enterDob(page, DOB);
    await page.waitForURL(`${ref.url}/choose`);
    await page.locator(`input[name=answer][value="accept:${gone.id}"]`).check();
    await takeAllSlots('331', 'RJC02');
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForLoadState();
    expect(await page.locator('.nhsuk-error-summary').innerText()).toMatch(/has just been taken by another patient\. Choose another hospital below/);
    // Only the offer that still has room is listed.
    expect(await page.locator('input[name=answer][value^="accept:"]').evaluateAll((els) => els.map((e) => e.getAttribute('value')))).toEqual([
      `accept:${other.id}`,
    ]);
    await shots(page, 'place-taken-choose-another');
    await page.locator(`input[name=answer][value="accept:${other.id}"]`).check();
    await page.getByRole('button', { name: 'Send my answer' }).click();
    await page.waitForURL(`${ref.url}/answered`);
    expect(await h1(page)).toBe('You have accepted the offer');
    expect((await getReferral(s, c.clinRLQ, ref.id)).offers.find((o: { id: string }) => o.id === other.id).status).toBe('ACCEPTED');
  });

  it('accepts an answer only with the session cookie and the form field bound to the link (no cross-site posts)', async () => {
    const ref = await offered();
    const offerId = (await getReferral(s, c.clinRLQ, ref.id)).offers[0].id;
    const form = new URLSearchParams({ answer: `accept:${offerId}` });
    // No session: sent back to the date of birth.
    let res = await fetch(`${ref.url}/choose`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/offer/${ref.token}`);
    // A session cookie of this link but no form field (what a cross-site form could at best send).
    const dob = await fetch(ref.url, {
      method: 'POST',
      body: new URLSearchParams({ 'dob-day': '5', 'dob-month': '5', 'dob-year': '1960' }),
      redirect: 'manual',
    });
    expect(dob.status).toBe(303);
    const cookie = dob.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^offer_session=[^;]+; Path=\/offer\/[^;]+; Max-Age=1800; HttpOnly; SameSite=Strict/);
    res = await fetch(`${ref.url}/choose`, { method: 'POST', body: form, headers: { cookie: cookie.split(';')[0] }, redirect: 'manual' });
    expect(res.status).toBe(303);
    // A session of another link does not open this one.
    const other = await offered();
    res = await fetch(`${other.url}/choose`, { headers: { cookie: cookie.split(';')[0] }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(await statusOf(ref.id)).toBe('AWAITING_PATIENT_CONSENT');
    expect(await statusOf(other.id)).toBe('AWAITING_PATIENT_CONSENT');
  });
});

describe("the footer's pages and the booking team's number", () => {
  it('links every page to an accessibility statement, a privacy notice and a contact page, each open to anyone without a link', async () => {
    const ref = await offered();
    const page = await newPage();
    await page.goto(ref.url);
    const footer = page.locator('footer');
    expect(await footer.getByRole('link').evaluateAll((els) => els.map((e) => `${e.textContent?.trim()} ${e.getAttribute('href')}`))).toEqual([
      'Accessibility statement /offer/accessibility',
      'Privacy notice /offer/privacy',
      'Contact us /offer/contact',
    ]);
    expect(await footer.innerText()).toContain('This page is for you only. Do not share the link.');

    // From the link's page, by the footer.
    await footer.getByRole('link', { name: 'Accessibility statement' }).click();
    await page.waitForURL(`${base}/offer/accessibility`);
    expect(await h1(page)).toBe('Accessibility statement');
    let text = await mainText(page);
    for (const heading of [
      'How accessible this service is',
      'Reporting accessibility problems',
      'Enforcement procedure',
      'Preparation of this accessibility statement',
    ])
      expect(text).toContain(heading);
    expect(text).toContain('Web Content Accessibility Guidelines (WCAG) version 2.2');
    // Not somebody's link: nothing asks the reader to keep it private.
    expect(await page.locator('footer').innerText()).not.toContain('Do not share the link');
    await shots(page, 'accessibility-statement');

    // Straight to each, in a browser that has never seen a link, without JavaScript.
    // The Foundation Group's trusts (other suites add trusts of their own to the group's directory while this runs).
    const trusts = await s.prisma.trust.findMany({ where: { ods: { in: ['RJC', 'RLQ', 'RLT'] } }, orderBy: { name: 'asc' } });
    expect(trusts.map((t) => t.ods).sort()).toEqual(['RJC', 'RLQ', 'RLT']);
    const stranger = await newPage({ javaScriptEnabled: false });
    let res = await stranger.goto(`${base}/offer/privacy`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await stranger.title()).toBe('Privacy notice – Treatment at another hospital – NHS');
    text = await mainText(stranger);
    for (const heading of ['What we hold', 'Why we hold it', 'Who we share it with', 'How long we keep it', 'Cookies', 'Your rights', 'Who to contact'])
      expect(text).toContain(heading);
    expect(text).toContain('data protection officer of the trust that referred you');
    expect(text).toContain('offer_session');
    for (const t of trusts) expect(text).toContain(t.name);
    await shots(stranger, 'privacy-notice');

    res = await stranger.goto(`${base}/offer/contact`);
    expect(res!.status()).toBe(200);
    expect(await h1(stranger)).toBe('Contact us');
    text = await mainText(stranger);
    for (const t of trusts) {
      expect(t.bookingPhone).toBeTruthy();
      expect(await stranger.getByRole('heading', { name: t.name }).count()).toBe(1);
      expect(text).toContain(`Booking team: ${t.bookingPhone}\n${t.bookingPhoneHours}`);
      expect(await stranger.getByRole('link', { name: t.bookingPhone! }).getAttribute('href')).toBe(`tel:${t.bookingPhone!.replace(/ /g, '')}`);
    }
    await shots(stranger, 'contact-us');
  });

  it("says the referring trust's booking team number on the pages of a link that cannot be used, and the letter's when the trust has set none", async () => {
    const rlq = await s.prisma.trust.findUniqueOrThrow({ where: { ods: 'RLQ' } });
    // The demo numbers are from Ofcom's ranges for drama: never a real line.
    expect(rlq.bookingPhone).toMatch(/^(01632 960 \d{3}|0113 496 0\d{3})$/);
    const sentence = `phone the hospital booking team at Wye Valley NHS Trust on ${rlq.bookingPhone} (${rlq.bookingPhoneHours}).`;
    const page = await newPage();

    const expired = await offered();
    // 22 days: past the sweep's reminder windows too (a 14-day reminder goes out between days 14 and 21, and
    // rightly reopens the link for 14 days from when it is sent).
    await s.prisma.$executeRaw`UPDATE notification SET created_at = now() - interval '22 days' WHERE id = ${expired.notificationId}::uuid`;
    expect((await page.goto(expired.url))!.status()).toBe(410);
    expect(await mainText(page)).toContain(`To answer the offer, ${sentence}`);
    expect(await page.getByRole('link', { name: rlq.bookingPhone! }).getAttribute('href')).toBe(`tel:${rlq.bookingPhone!.replace(/ /g, '')}`);
    await shots(page, 'expired-with-phone');

    // Answered by phone meanwhile: the page of a link no longer open says the same number.
    const moved = await offered();
    expect((await s.http.post(`/v1/referrals/${moved.id}/consent`).set(bearer(moved.patient)).send({ decision: 'decline' })).status).toBe(200);
    expect((await page.goto(moved.url))!.status()).toBe(410);
    expect(await mainText(page)).toContain(`If you have a question, ${sentence}`);

    // A link that is not ours names no trust: the contact page lists every booking team.
    expect((await page.goto(`${base}/offer/${moved.id}`))!.status()).toBe(404);
    expect(await mainText(page)).toContain('phone the booking team at the hospital that referred you. Their phone numbers are on our contact us page.');
    expect(await page.getByRole('link', { name: 'contact us page' }).getAttribute('href')).toBe('/offer/contact');

    // A trust that has not set a number: the pages point to the letter, as before the setting.
    await s.prisma.trust.update({ where: { ods: 'RLQ' }, data: { bookingPhone: null } });
    try {
      await page.goto(moved.url);
      expect(await mainText(page)).toContain(
        'If you have a question, phone the hospital booking team at Wye Valley NHS Trust. Their phone number is on the letter or message we sent you.',
      );
      expect(await page.locator('main a[href^="tel:"]').count()).toBe(0);
    } finally {
      await s.prisma.trust.update({ where: { ods: 'RLQ' }, data: { bookingPhone: rlq.bookingPhone } });
    }
  });

  it('keeps a booking phone number the pages can dial: digits and single spaces, 10 or 11 digits, starting with 0', async () => {
    const set = (phone: string) => s.prisma.$executeRaw`UPDATE trust SET booking_phone = ${phone} WHERE ods = 'RLT'`;
    const before = (await s.prisma.trust.findUniqueOrThrow({ where: { ods: 'RLT' } })).bookingPhone;
    try {
      for (const bad of ['call us', '+44 1632 960 303', '01632  960 303', '01632 960', '01632 960 303 1', ' 01632 960 303'])
        await expect(set(bad)).rejects.toThrow(/trust_booking_phone_check/);
      await expect(set('01632960303')).resolves.toBe(1);
      await expect(s.prisma.$executeRaw`UPDATE trust SET booking_phone_hours = '' WHERE ods = 'RLT'`).rejects.toThrow(/trust_booking_phone_hours_check/);
    } finally {
      await s.prisma.trust.update({ where: { ods: 'RLT' }, data: { bookingPhone: before } });
    }
  });
});

describe('accessibility', () => {
  it('every page shown above meets WCAG 2.2 levels A and AA as far as axe-core can tell', async () => {
    // The check itself can fail: a page with an unlabelled field and no language has findings.
    const control = await newPage();
    await control.setContent('<html><head><title>x</title></head><body><main><input type="text"></main></body></html>');
    await axeCheck(control, 'control');
    expect(axeFindings.get('control')!.join('\n')).toMatch(/label/);
    axeFindings.delete('control');

    // Date of birth (and its errors), offers (and its errors), accepted, declined, already
    // answered, expired, locked, no longer open, place taken: each checked where it was screenshotted.
    expect(axeFindings.size).toBeGreaterThanOrEqual(10);
    expect(Object.fromEntries(axeFindings)).toEqual(Object.fromEntries([...axeFindings.keys()].map((k) => [k, []])));
  });
});
