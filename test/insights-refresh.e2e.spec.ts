// The insights at scale (issue 19): every view reads the figures the worker keeps (insight_figures),
// says when they were computed, and a trust admin brings them up to date with a button that works
// without JavaScript (the outbox, BullMQ, the worker's refresh job); the worker's timer refreshes
// them once they are older than INSIGHTS_REFRESH_MS. Referrals added after a refresh are not in the
// figures until the next: that is what shows the pages read the kept figures, not the live queries.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { loadConfig } from '#config';
import { isoDate, publish, ukDate } from '#domain';
import { InsightFigures, InsightQueries, type FunnelStage } from '#workflow';
import { InsightsRefreshTimer } from '../apps/worker/src/loops/insights-refresh-timer.js';
import { startConsole, type ConsoleHarness } from './support/console.js';
import { refreshInsights } from './support/insights.js';
import { bearer, token, waitUntil } from './support/stack.js';

const ADDED = 6;
let h: ConsoleHarness;
let figures: InsightFigures;

/** RLQ's "Opened" count as kept by the last refresh. */
async function keptOpened(): Promise<number> {
  const { rows } = await h.s.prisma.sql.query<{ figures: FunnelStage[] }>(`SELECT figures FROM insight_figures WHERE kind = 'funnel' AND scope = 'RLQ'`);
  return rows[0].figures[0].referrals;
}

async function shownOpened(page: Page): Promise<string> {
  return (await page.locator('#funnel table tbody tr').first().locator('td').first().textContent())!.trim();
}

async function shownAsAt(page: Page): Promise<string> {
  return (await page.locator('#figures-as-at time').getAttribute('datetime'))!;
}

async function cleanUp() {
  const sql = h.s.prisma.sql;
  const { rows } = await sql.query<{ patient_id: string }>(`DELETE FROM referral WHERE pathway_id LIKE 'FR-%' RETURNING patient_id`);
  await sql.query(`DELETE FROM patient WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.patient_id)]);
}

beforeAll(async () => {
  h = await startConsole();
  figures = h.s.api.get(InsightFigures);
  await cleanUp();
}, 120_000);

afterAll(async () => {
  if (h) await cleanUp();
  await h?.close();
});

describe('the figures kept, and when they were computed', () => {
  it('a trust admin sees the figures as at the last refresh, and brings them up to date with the button, without JavaScript', async () => {
    const first = await refreshInsights(h.s);
    const page = await h.signedIn('admin.rlq', '/console/insights?scope=trust', { javaScriptEnabled: false });
    expect(await shownAsAt(page)).toBe(first.toISOString());
    const hhmm = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }).format(first);
    expect(await page.getByRole('heading', { name: `Figures as at ${hhmm}` }).count()).toBe(1);
    const before = await keptOpened();
    expect(await shownOpened(page)).toBe(publish(before).text);

    // Referrals opened after the refresh: the page still shows the figures kept, not the live count.
    const sql = h.s.prisma.sql;
    for (let i = 0; i < ADDED; i++) {
      const { rows: p } = await sql.query<{ id: string }>(
        `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods, updated_at)
         VALUES (gen_random_uuid(), $1, 'Freshfamily', 'Test', DATE '1960-01-01', 'HR1 2ER', 'M81001', now()) RETURNING id`,
        [`FR${String(Date.now() % 1e6).padStart(6, '0')}${i}`],
      );
      await sql.query(
        `INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, status, updated_at)
         VALUES (gen_random_uuid(), $1::uuid, 'RLQ', '110', 'W371', $2::date, $3, 'P2', 'IDENTIFIED', now())`,
        [p[0].id, isoDate(new Date(ukDate(new Date()).getTime() - 300 * 86_400_000)), `FR-${Date.now()}-${i}`],
      );
    }
    const live = (await h.s.api.get(InsightQueries).funnel('RLQ'))[0].referrals;
    expect(live).toBeGreaterThanOrEqual(before + ADDED);
    await page.reload();
    expect(await shownOpened(page)).toBe(publish(before).text);
    expect(await shownAsAt(page)).toBe(first.toISOString());

    // The button: a form POST, then back to the same page, which says the refresh is under way.
    await page.getByRole('button', { name: 'Bring the figures up to date' }).click();
    await page.waitForURL((u) => u.pathname === '/console/insights' && u.searchParams.get('refresh') === 'asked');
    expect(new URL(page.url()).searchParams.get('scope')).toBe('trust');
    expect(await page.getByRole('status').textContent()).toContain('You asked for the figures to be brought up to date.');
    // Through the outbox and the worker's job: the asked-for refresh is done, and the page moves on.
    const job = await waitUntil(
      async () => {
        const { rows } = await sql.query<{ job_id: string; payload: unknown; completed_at: Date | null }>(
          `SELECT job_id, payload, completed_at FROM outbox_message WHERE job_name = 'insights.refresh' AND created_at >= $1 ORDER BY id DESC LIMIT 1`,
          [first],
        );
        return rows[0]?.completed_at ? rows[0] : null;
      },
      'the asked-for insights refresh to complete',
      60,
    );
    expect(job!.payload).toEqual({ reason: 'asked' });
    const second = (await figures.lastRefresh())!.computedAt;
    expect(second.getTime()).toBeGreaterThan(first.getTime());
    await page.goto(`${h.base}/console/insights?scope=trust`);
    expect(await shownAsAt(page)).toBe(second.toISOString());
    const after = await keptOpened();
    expect(after).toBeGreaterThanOrEqual(before + ADDED);
    expect(await shownOpened(page)).toBe(publish(after).text);
    await h.shots(page, 'insights-figures-as-at');
    expect(h.axeFindings.get('insights-figures-as-at')).toEqual([]);
  });

  it('the equity page, the report and the JSON say when their figures were computed', async () => {
    const at = await refreshInsights(h.s);
    const page = await h.signedIn('admin.rlq', '/console/insights/equity?scope=group', { javaScriptEnabled: false });
    expect(await shownAsAt(page)).toBe(at.toISOString());
    expect(await page.locator('#figures-as-at form input[name=page]').getAttribute('value')).toBe('equity');
    await page.goto(`${h.base}/console/insights/report?scope=group`);
    const hhmm = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }).format(at);
    expect(await page.locator('body').textContent()).toContain(`from the figures as at ${hhmm} on`);
    const res = await h.s.http.get('/v1/insights/equity-age?scope=group').set(bearer(await token({ role: 'trust_admin', ods: 'RLQ', sub: 'admin-rlq' })));
    expect(res.status).toBe(200);
    expect(res.body.computedAt).toBe(at.toISOString());
  });

  it('only a trust admin may ask, and only with the form of their session', async () => {
    const clerk = await h.signedIn('clerk.rlq', '/console');
    const refused = await clerk.request.post(`${h.base}/console/insights/refresh`, { form: { scope: 'trust', page: 'planning' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    const admin = await h.signedIn('admin.rlq', '/console/insights');
    const noToken = await admin.request.post(`${h.base}/console/insights/refresh`, { form: { scope: 'trust', page: 'planning' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain('This form has expired');
    const api = await h.s.http.post('/v1/insights/refresh').set(bearer(await token({ role: 'booking_clerk', ods: 'RLQ' })));
    expect(api.status).toBe(403);
  });
});

describe('the schedule', () => {
  it("the worker's timer refreshes the figures once they are older than INSIGHTS_REFRESH_MS, and not before", async () => {
    const timer = h.s.worker!.get(InsightsRefreshTimer);
    const at = await refreshInsights(h.s);
    expect(loadConfig().insights.refreshMs).toBe(600_000);
    // Fresh: the timer's look does nothing, and the figures are those of the refresh just made.
    expect(await timer.runNow()).toBeNull();
    expect((await figures.lastRefresh())!.computedAt).toEqual(at);
    // Kept 11 minutes ago: due, and the timer brings them up to date.
    await h.s.prisma.sql.query(`UPDATE insight_figures SET computed_at = computed_at - interval '11 minutes'`);
    const done = await timer.runNow();
    expect(done!.rows).toBeGreaterThan(0);
    const last = (await figures.lastRefresh())!.computedAt;
    expect(last.getTime()).toBeGreaterThan(at.getTime());
    // Every kind is kept by that refresh: no row is older than it.
    const { rows } = await h.s.prisma.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM insight_figures WHERE computed_at < $1`, [last]);
    expect(rows[0].n).toBe(0);
  });
});
