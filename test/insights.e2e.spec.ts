// The insights (issue 19), from seeded populations whose answers are known: the figures of a trust's
// funnel, weeks waited, capacity heat map, equity and what-if, computed by the queries behind the
// pages; the skew flag firing on a skewed population and not on a fair one; small counts hidden on
// the page and in the CSV; the SVG charts as one named image each, passing axe-core under the
// console's CSP in Chromium; the weekly report's PDF rendered to an image by pdf.js in Chromium.
// Two test-only trusts (RXE, RXF) hold the exact populations, so no other suite's referrals count.
// The figures are read as every view reads them: kept by the worker's refresh job (asked for once the
// populations are in), which must give what the live queries give.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { isoDate, ukDate } from '#domain';
import { InsightFigures, InsightQueries, WeeklyReports, deprivationSkew, firstOfferWeek, mondayOf, type InsightSource } from '#workflow';
import { loadImd } from '../scripts/lib/imd-loader.mjs';
import { startConsole, type ConsoleHarness } from './support/console.js';
import { refreshInsights } from './support/insights.js';
import { bearer, token, waitUntil } from './support/stack.js';

const SPECIALTY = '653';
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const today = ukDate(new Date());
const daysAgo = (n: number) => isoDate(new Date(today.getTime() - n * DAY));
/** The week the accepted patients' slots are in (a past week, so the heat map of the next 12 weeks leaves it out). */
const claimWeek = isoDate(mondayOf(new Date(today.getTime() - 70 * DAY)));
const POSTCODES = [
  { postcode: 'HR9 9XA', lsoa: 'E01013982' }, // IMD decile 1 in the demo extract
  { postcode: 'CV9 9XB', lsoa: 'E01031228' }, // decile 10
  { postcode: 'CV9 9XC', lsoa: 'E01031013' }, // decile 5
];

interface Group {
  n: number;
  status: string;
  postcode: string;
  age: number;
  sex: string | null;
  ethnic: string | null;
  /** Nearest offer's miles; null: no offer (did not pass screening). */
  miles: number | null;
  offerStatus?: string;
  /** Accepted an offer: a slot claimed 10 weeks ago. */
  accepted?: boolean;
  clockStopDaysAgo?: number;
}

let h: ConsoleHarness;
let createdPostcodeTable = false;
/** The kept figures (insight_figures), as the pages and the JSON API read them. */
let q: InsightSource;
let seq = 0;

async function seedTrust(ods: string, receiving: string, receivingSite: string, groups: Group[]) {
  const sql = h.s.prisma.sql;
  for (const g of groups) {
    for (let i = 0; i < g.n; i++) {
      seq += 1;
      const dob = new Date(Date.UTC(today.getUTCFullYear() - g.age, today.getUTCMonth(), today.getUTCDate()) - 30 * DAY);
      const { rows: p } = await sql.query<{ id: string }>(
        `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods, sex, ethnic_category, updated_at)
         VALUES (gen_random_uuid(), $1, 'Seedfamily', 'Test', $2::date, $3, 'M81001', $4, $5, now()) RETURNING id`,
        [`EQ${String(seq).padStart(8, '0')}`, isoDate(dob), g.postcode, g.sex, g.ethnic],
      );
      const { rows: r } = await sql.query<{ id: string }>(
        `INSERT INTO referral (id, patient_id, origin_ods, receiving_ods, specialty_code, procedure_code, rtt_clock_start, rtt_clock_stop, pathway_id, priority, status, updated_at)
         VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4, 'W371', $5::date, $6::date, $7, 'P2', $8::"ReferralStatus", now()) RETURNING id`,
        [
          p[0].id,
          ods,
          g.accepted ? receiving : null,
          SPECIALTY,
          daysAgo(420),
          g.clockStopDaysAgo ? daysAgo(g.clockStopDaysAgo) : null,
          `EQ-${ods}-${seq}`,
          g.status,
        ],
      );
      if (g.miles === null) continue;
      const { rows: o } = await sql.query<{ id: string }>(
        `INSERT INTO offer (id, referral_id, receiving_ods, site_ods, distance_miles, distance_basis, earliest_week, status)
         VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4, 'postcode', $5::date, $6) RETURNING id`,
        [r[0].id, receiving, receivingSite, g.miles, isoDate(firstOfferWeek(new Date())), g.offerStatus ?? 'OPEN'],
      );
      if (g.accepted)
        await sql.query(
          `INSERT INTO capacity_claim (referral_id, offer_id, site_ods, specialty_code, service_id, week_start, claimed_at)
           SELECT $1::uuid, $2::uuid, $3, $4, sv.id, $5::date, ($6::date + time '12:00') AT TIME ZONE 'UTC' FROM service sv WHERE sv.site_ods = $3 AND sv.is_default`,
          [r[0].id, o[0].id, receivingSite, SPECIALTY, claimWeek, daysAgo(70)],
        );
    }
  }
}

async function cleanUp() {
  const sql = h.s.prisma.sql;
  const mine = `SELECT id FROM referral WHERE pathway_id LIKE 'EQ-%'`;
  await sql.query(`DELETE FROM capacity_claim WHERE referral_id IN (${mine})`);
  await sql.query(`DELETE FROM offer WHERE referral_id IN (${mine})`);
  await sql.query(`DELETE FROM waiting_list_entry WHERE pathway_id LIKE 'EQ-%'`);
  await sql.query(`DELETE FROM patient WHERE id IN (SELECT patient_id FROM referral WHERE pathway_id LIKE 'EQ-%')`).catch(() => undefined);
  const { rows } = await sql.query<{ patient_id: string }>(`DELETE FROM referral WHERE pathway_id LIKE 'EQ-%' RETURNING patient_id`);
  await sql.query(`DELETE FROM patient WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.patient_id)]);
  await sql.query(`DELETE FROM staff_notification WHERE trust_ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM team_contact WHERE trust_ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM capacity_week WHERE trust_ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM service WHERE trust_ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM site WHERE trust_ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM trust WHERE ods IN ('RXE', 'RXF')`);
  await sql.query(`DELETE FROM insight_figures WHERE scope IN ('RXE', 'RXF')`);
}

beforeAll(async () => {
  h = await startConsole();
  const sql = h.s.prisma.sql;
  await cleanUp();
  // The postcode directory is the service directory's table (its own migration); where this
  // database has none yet, a table of the same columns stands in, dropped afterwards.
  const { rows } = await sql.query<{ t: string | null }>(`SELECT to_regclass('public.postcode')::text AS t`);
  if (!rows[0].t) {
    await sql.query(`CREATE TABLE postcode (postcode TEXT PRIMARY KEY, pcds TEXT NOT NULL, district TEXT NOT NULL, latitude DOUBLE PRECISION NOT NULL,
      longitude DOUBLE PRECISION NOT NULL, lsoa11 TEXT, lsoa21 TEXT, loaded_at TIMESTAMPTZ(3) NOT NULL DEFAULT now())`);
    createdPostcodeTable = true;
  }
  for (const p of POSTCODES)
    await sql.query(
      `INSERT INTO postcode (postcode, pcds, district, latitude, longitude, lsoa11, lsoa21) VALUES ($1, $2, $3, 52.1, -2.7, $4, NULL)
       ON CONFLICT (postcode) DO UPDATE SET lsoa11 = EXCLUDED.lsoa11, lsoa21 = NULL`,
      [p.postcode.replace(' ', ''), p.postcode, p.postcode.split(' ')[0], p.lsoa],
    );
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    expect(await loadImd(client, path.join(process.cwd(), 'prisma', 'data', 'imd-demo.csv'))).toEqual({ loaded: 10, edition: 'IMD 2019' });
  } finally {
    await client.end();
  }

  for (const ods of ['RXE', 'RXF']) {
    await sql.query(`INSERT INTO trust (ods, name, main_site_ods) VALUES ($1, $2, $3)`, [ods, `Test trust ${ods}`, `${ods}01`]);
    await sql.query(`INSERT INTO site (ods, trust_ods, name, postcode, latitude, longitude) VALUES ($1, $2, $3, 'HR1 2ER', 52.05, -2.71)`, [
      `${ods}01`,
      ods,
      `${ods} General Hospital`,
    ]);
    // Capacity is a service's (the site's default one for the treatment function, as a declaration without a service makes).
    await sql.query(`INSERT INTO service (trust_ods, site_ods, treatment_function, name, is_default, updated_by) VALUES ($1, $2, $3, $4, true, 'test')`, [
      ods,
      `${ods}01`,
      SPECIALTY,
      `Trauma and orthopaedics (${SPECIALTY})`,
    ]);
    await sql.query(
      `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, service_id, week_start, slots, used)
       SELECT $1, $2, $3, sv.id, $4::date, 100, 0 FROM service sv WHERE sv.site_ods = $2 AND sv.is_default`,
      [ods, `${ods}01`, SPECIALTY, claimWeek],
    );
  }
  // RXE's site: 10 slots this week (4 taken), then 5 free a week for 26 weeks: the heat map's and the what-if's capacity.
  await sql.query(
    `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, service_id, week_start, slots, used) SELECT 'RXE', 'RXE01', $1, sv.id, $2::date, 10, 4 FROM service sv WHERE sv.site_ods = 'RXE01'`,
    [SPECIALTY, isoDate(mondayOf(today))],
  );
  for (let w = 0; w < 26; w++)
    await sql.query(
      `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, service_id, week_start, slots, used) SELECT 'RXE', 'RXE01', $1, sv.id, $2::date, 5, 0 FROM service sv WHERE sv.site_ods = 'RXE01'`,
      [SPECIALTY, isoDate(new Date(firstOfferWeek(new Date()).getTime() + w * WEEK))],
    );
  // RXE's waiting list, not yet referred: 10 patients at 70 weeks, 10 at 60, 10 at 30.
  for (const [weeks, n] of [
    [70, 10],
    [60, 10],
    [30, 10],
  ])
    for (let i = 0; i < n; i++) {
      seq += 1;
      await sql.query(
        `INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods, specialty_code, procedure_code, rtt_clock_start, priority, last_seen_seq)
         VALUES ('RXE', $1, $2, 'Seedfamily', 'List', DATE '1960-01-01', 'HR1 2ER', 'M81001', $3, 'W371', $4::date, 'P2', 1)`,
        [`EQ-WL-${seq}`, `EQ${String(seq).padStart(8, '0')}`, SPECIALTY, daysAgo(weeks * 7)],
      );
    }

  const most = { postcode: 'HR9 9XA', age: 45, sex: '2', ethnic: 'A', miles: 12 };
  const least = { postcode: 'CV9 9XB', age: 72, sex: '1', ethnic: 'J', miles: 30 };
  // RXE: skewed. The most deprived fifth accepts 8 of 40 offers (20%), the least deprived 20 of 40 (50%).
  await seedTrust('RXE', 'RXF', 'RXF01', [
    { ...most, n: 8, status: 'AWAITING_BOOKING', offerStatus: 'ACCEPTED', accepted: true },
    { ...most, n: 30, status: 'DECLINED', offerStatus: 'DECLINED' },
    { ...most, n: 2, status: 'AWAITING_PATIENT_CONSENT' },
    { ...least, n: 20, status: 'TREATED', offerStatus: 'ACCEPTED', accepted: true, clockStopDaysAgo: 14 },
    { ...least, n: 20, status: 'DECLINED', offerStatus: 'DECLINED' },
    { postcode: 'CV9 9XC', age: 85, sex: '9', ethnic: 'H', miles: 60, n: 3, status: 'AWAITING_CLINICAL_REVIEW' },
    { postcode: 'HR9 9XA', age: 50, sex: '2', ethnic: 'A', miles: null, n: 2, status: 'NOT_ELIGIBLE' },
  ]);
  // RXF: fair. 16 of 40 (40%) against 20 of 40 (50%).
  await seedTrust('RXF', 'RXE', 'RXE01', [
    { ...most, n: 16, status: 'TREATED', offerStatus: 'ACCEPTED', accepted: true, clockStopDaysAgo: 14 },
    { ...most, n: 24, status: 'DECLINED', offerStatus: 'DECLINED' },
    { ...least, n: 20, status: 'TREATED', offerStatus: 'ACCEPTED', accepted: true, clockStopDaysAgo: 14 },
    { ...least, n: 20, status: 'DECLINED', offerStatus: 'DECLINED' },
  ]);
  // RLQ (the demo admin's trust): skewed as RXE, in statuses no worklist of another suite shows; and
  // 3 patients of an ethnic category no other suite records, whose counts must be hidden.
  await seedTrust('RLQ', 'RXF', 'RXF01', [
    { ...most, n: 8, status: 'TREATED', offerStatus: 'ACCEPTED', accepted: true, clockStopDaysAgo: 14 },
    { ...most, n: 32, status: 'DECLINED', offerStatus: 'DECLINED' },
    { ...least, n: 20, status: 'TREATED', offerStatus: 'ACCEPTED', accepted: true, clockStopDaysAgo: 14 },
    { ...least, n: 20, status: 'DECLINED', offerStatus: 'DECLINED' },
    { postcode: 'HR1 2ER', age: 66, sex: '1', ethnic: 'R', miles: 8, n: 3, status: 'DECLINED', offerStatus: 'DECLINED' },
  ]);
  // Every view reads the figures the worker keeps: a trust admin asks for them now, as the populations are in.
  await refreshInsights(h.s);
  q = h.s.api.get(InsightFigures).reader();
}, 180_000);

afterAll(async () => {
  if (h) {
    await cleanUp();
    await h.s.prisma.sql.query(`DELETE FROM imd_lsoa`);
    if (createdPostcodeTable) await h.s.prisma.sql.query('DROP TABLE postcode');
    else await h.s.prisma.sql.query(`DELETE FROM postcode WHERE postcode = ANY($1::text[])`, [POSTCODES.map((p) => p.postcode.replace(' ', ''))]);
  }
  await h?.close();
});

describe('the IMD loader', () => {
  it('refuses a file without the published columns, or with a bad decile, and keeps the areas loaded before', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imd-'));
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      writeFileSync(path.join(dir, 'no-columns.csv'), 'lsoa,decile\nE01013982,1\n');
      await expect(loadImd(client, path.join(dir, 'no-columns.csv'))).rejects.toThrow('the header has no "LSOA code (2011)"');
      writeFileSync(path.join(dir, 'bad-decile.csv'), 'LSOA code (2021),Index of Multiple Deprivation (IMD) Decile\nE01013982,11\n');
      await expect(loadImd(client, path.join(dir, 'bad-decile.csv'))).rejects.toThrow('row 2: expected an LSOA code and a decile from 1 to 10');
      const { rows } = await client.query<{ n: number; edition: string }>(`SELECT count(*)::int AS n, min(edition) AS edition FROM imd_lsoa`);
      expect(rows[0]).toEqual({ n: 10, edition: 'IMD 2019' });
    } finally {
      await client.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('figures of a known population', () => {
  it('the funnel counts each stage reached', async () => {
    expect(await q.funnel('RXE')).toEqual([
      { stage: 'Opened', referrals: 85 },
      { stage: 'Passed screening', referrals: 83 },
      { stage: 'Offered a transfer', referrals: 80 },
      { stage: 'Accepted an offer', referrals: 28 },
      { stage: 'Transfer of care accepted', referrals: 28 },
      { stage: 'Booked', referrals: 20 },
      { stage: 'Treated', referrals: 20 },
      { stage: 'Discharged', referrals: 0 },
    ]);
  });

  it('weeks waited: the origin list against those transferred', async () => {
    const waits = Object.fromEntries((await q.waits('RXE')).map((w) => [w.band, [w.originList, w.transferred]]));
    expect(waits).toEqual({
      'under 18 weeks': [0, 0],
      '18 to 39 weeks': [10, 0],
      '40 to 51 weeks': [0, 0],
      '52 to 64 weeks': [15, 28],
      '65 to 77 weeks': [10, 0],
      '78 to 103 weeks': [0, 0],
      '104 weeks or more': [0, 0],
    });
  });

  it('capacity per site and week for the next 12 weeks', async () => {
    const cells = await q.capacity('RXE');
    expect(cells).toHaveLength(12);
    expect(cells[0]).toEqual({ siteOds: 'RXE01', siteName: 'RXE General Hospital', weekStart: isoDate(mondayOf(today)), slots: 10, used: 4 });
    expect(cells.slice(1).every((c) => c.slots === 5 && c.used === 0)).toBe(true);
  });

  it('equity: eligible, offered, accepted, declined and waiting by group, and the waits either side of the transfer', async () => {
    const { rows, deprivationKnown } = await q.equity('RXE');
    expect(deprivationKnown).toBe(true);
    const of = (dimension: string, group: string | null) => rows.find((r) => r.dimension === dimension && r.group === group);
    const M = { eligible: 40, offered: 40, accepted: 8, declined: 30, waiting: 2, weeksBefore: 50, weeksAfter: 10 };
    const L = { eligible: 40, offered: 40, accepted: 20, declined: 20, waiting: 0, weeksBefore: 50, weeksAfter: 8 };
    const R = { eligible: 3, offered: 0, accepted: 0, declined: 0, waiting: 3, weeksBefore: null, weeksAfter: null };
    expect(of('age', '40 to 59')).toMatchObject(M);
    expect(of('age', '70 to 79')).toMatchObject(L);
    expect(of('age', '80 and over')).toMatchObject(R);
    expect(of('sex', '2')).toMatchObject(M);
    expect(of('sex', '1')).toMatchObject(L);
    expect(of('ethnicity', 'J')).toMatchObject(L);
    expect(of('deprivation', '1')).toMatchObject(M);
    expect(of('deprivation', '10')).toMatchObject(L);
    expect(of('deprivation', '5')).toMatchObject(R);
    expect(of('distance', '10 to 25 miles')).toMatchObject(M);
    expect(of('distance', '25 to 50 miles')).toMatchObject(L);
    expect(of('distance', '50 miles or more')).toMatchObject(R);
    // The two not eligible are in no group.
    expect(rows.filter((r) => r.dimension === 'age').reduce((a, r) => a + r.eligible, 0)).toBe(83);
  });

  it('the what-if clears the 65-week band in its second week and the 52-week band in its fourth', async () => {
    const w = await q.whatIf(SPECIALTY);
    const week = (i: number) => isoDate(new Date(firstOfferWeek(new Date()).getTime() + i * WEEK));
    expect(w.cohort).toBe(30);
    expect(w.weeks[0]).toEqual({ weekStart: week(0), freeSlots: 5, over: { 104: 0, 78: 0, 65: 5, 52: 15 } });
    expect(w.weeks.slice(1, 4).map((x) => x.over[52])).toEqual([10, 5, 0]);
    expect(w.clearedBy).toEqual({ 65: week(1), 52: week(3) });
  });

  it('the refresh job keeps what the live queries compute', async () => {
    const live = h.s.api.get(InsightQueries);
    // The test-only trusts: other suites change the demo trusts' referrals (and so the group's) meanwhile.
    for (const scope of ['RXE', 'RXF']) {
      expect(await q.funnel(scope)).toEqual(await live.funnel(scope));
      expect(await q.waits(scope)).toEqual(await live.waits(scope));
      expect(await q.capacity(scope)).toEqual(await live.capacity(scope));
      expect(await q.equity(scope)).toEqual(await live.equity(scope));
    }
    expect(await q.whatIf(SPECIALTY)).toEqual(await live.whatIf(SPECIALTY));
  });

  it('the skew flag fires on the skewed population and not on the fair one', async () => {
    expect(deprivationSkew((await q.equity('RXE')).rows)).toMatchObject({ kind: 'skewed', mostRate: 0.2, leastRate: 0.5 });
    expect(deprivationSkew((await q.equity('RXF')).rows)).toMatchObject({ kind: 'fair', mostRate: 0.4, leastRate: 0.5 });
  });
});

describe('the JSON API', () => {
  it("GET /v1/insights/:chart gives a trust admin their trust's figures as published, small counts in words", async () => {
    const t = await token({ role: 'trust_admin', ods: 'RXE', sub: 'admin-rxe' });
    const funnel = await h.s.http.get('/v1/insights/funnel').set(bearer(t));
    expect(funnel.status).toBe(200);
    expect(funnel.body).toMatchObject({ chart: 'funnel', scope: 'trust', columns: ['stage', 'referrals'], suppressedBelow: 5 });
    expect(funnel.body.rows.slice(0, 4)).toEqual([
      ['Opened', '85'],
      ['Passed screening', '83'],
      ['Offered a transfer', '80'],
      ['Accepted an offer', '28'],
    ]);
    const age = await h.s.http.get('/v1/insights/equity-age?scope=trust').set(bearer(t));
    const oldest = (age.body.rows as string[][]).find((r) => r[0] === '80 and over')!;
    // 3 eligible, 3 waiting: hidden; and one more eligible count beside them, or the total would give them back.
    expect(oldest.slice(1, 6)).toEqual(['fewer than 5', '0', '0', '0', 'fewer than 5']);
    expect((age.body.rows as string[][]).filter((r) => r[1] === 'fewer than 5')).toHaveLength(2);
  });

  it('names the field of a bad chart or scope in a 400', async () => {
    const t = await token({ role: 'trust_admin', ods: 'RXE', sub: 'admin-rxe' });
    const chart = await h.s.http.get('/v1/insights/everything').set(bearer(t));
    expect(chart.status).toBe(400);
    expect(JSON.stringify(chart.body)).toContain('chart must be one of');
    const scope = await h.s.http.get('/v1/insights/funnel?scope=world').set(bearer(t));
    expect(scope.status).toBe(400);
    expect(JSON.stringify(scope.body)).toContain('scope must be trust or group');
  });
});

describe('the weekly report email', () => {
  it('goes once a week to each team contact of the trust, with aggregate figures and no patient data', async () => {
    const sql = h.s.prisma.sql;
    await sql.query(`INSERT INTO team_contact (trust_ods, team, email, updated_by) VALUES ('RXE', 'clinical', 'rxe.clinical@example.nhs.uk', 'test')`);
    const reports = h.s.api.get(WeeklyReports);
    // Monday 09:00 in London: this week's report is due.
    const monday = new Date(`${isoDate(mondayOf(today))}T09:00:00Z`);
    expect(await reports.queueDue(monday, ['RXE'])).toBe(1);
    expect(await reports.queueDue(monday, ['RXE'])).toBe(0);
    const sent = await waitUntil(async () => {
      const { rows } = await sql.query<{ id: string; status: string; team: string; recipient: string }>(
        `SELECT id::text, status, team, recipient FROM staff_notification WHERE trust_ods = 'RXE' AND event = 'insights_weekly'`,
      );
      return rows[0]?.status !== 'created' ? rows[0] : null;
    }, 'the weekly report email to be sent');
    expect(sent).toMatchObject({ team: 'insights', recipient: 'rxe.clinical@example.nhs.uk' });
    const { rows: text } = await sql.query<{ subject: string; body: string }>(`SELECT subject, body FROM local_message_text WHERE notification_id = $1::uuid`, [
      sent!.id,
    ]);
    expect(text[0].subject).toContain('acceptance skews by deprivation');
    expect(text[0].body).toContain('Referrals opened: 85; passed screening: 83; offered a transfer: 80.');
    expect(text[0].body).toContain('Accepted an offer: 28; treated: 20; discharged: 0.');
    expect(text[0].body).toContain('Still on the origin list after 52 weeks or more: 25; after 65 weeks or more: 10.');
    expect(text[0].body).toContain('/console/insights/report.pdf?scope=trust');
    // Nothing of a patient: no names, NHS numbers or postcodes of the seeded patients.
    expect(text[0].body).not.toMatch(/Seedfamily|EQ\d|HR9|CV9/);
  });
});

describe('the pages', () => {
  it('a trust admin opens the planning page from the navigation: each chart an image named by its title, described by its summary, with its table and CSV', async () => {
    const page = await h.signedIn('admin.rlq');
    const violations: string[] = [];
    page.on('console', (m) => {
      // Styles and scripts: what an SVG or the page could bring inline. (The NHS.UK fonts that
      // nhsuk-frontend's stylesheet asks for from assets.nhs.uk are refused on every console page.)
      if (/Content.Security.Policy/i.test(m.text()) && /style-src|script-src/.test(m.text())) violations.push(m.text());
    });
    await page.getByRole('navigation', { name: 'Worklists' }).getByRole('link', { name: 'Insights' }).click();
    await page.waitForURL((u) => u.pathname === '/console/insights');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Insights: planning');
    // The whole group's figures: the test trusts' capacity is in them.
    await page.getByRole('navigation', { name: 'Whose referrals' }).getByRole('link', { name: 'The whole group' }).click();
    await page.waitForURL((u) => u.searchParams.get('scope') === 'group');
    for (const id of ['funnel', 'waits', 'capacity', 'what-if']) {
      const svg = page.locator(`#${id} svg`);
      expect(await svg.getAttribute('role')).toBe('img');
      expect(await svg.getAttribute('aria-labelledby')).toBe(`${id}-title`);
      expect(await svg.getAttribute('aria-describedby')).toBe(`${id}-summary`);
      expect(await page.locator(`#${id} svg [style], #${id} svg [role]:not(svg)`).count()).toBe(0);
      expect(await page.locator(`#${id} table tbody tr`).count()).toBeGreaterThan(0);
    }
    expect(await page.getByRole('img', { name: 'Referrals by stage reached' }).count()).toBe(1);
    await h.shots(page, 'insights-planning');
    expect(h.axeFindings.get('insights-planning')).toEqual([]);
    expect(violations).toEqual([]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Download the data of "Referrals by stage reached"/ }).click(),
    ]);
    const text = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((s) => {
        let t = '';
        s.on('data', (c: Buffer) => (t += c.toString()));
        s.on('end', () => resolve(t));
        s.on('error', reject);
      }, reject);
    });
    expect(text.split('\r\n')[0]).toBe('stage,referrals');
    expect(text).toContain('Passed screening,');
  });

  it("the equity page flags the trust's skew, not the group's, and hides counts under 5 on the page and in the CSV", async () => {
    const page = await h.signedIn('admin.rlq', '/console/insights/equity?scope=trust');
    expect(await page.locator('#skew-flag').textContent()).toContain('Acceptance skews by deprivation');
    expect(await page.locator('#skew-flag').textContent()).toContain('transport');
    const chinese = page.locator('#equity-ethnicity tbody tr', { hasText: 'Other ethnic groups: Chinese' });
    expect(await chinese.locator('td').first().textContent()).toBe('fewer than 5');
    expect(await page.locator('#equity-ethnicity').textContent()).not.toMatch(/Chinese\s*3\b/);
    await h.shots(page, 'insights-equity');
    expect(h.axeFindings.get('insights-equity')).toEqual([]);

    const csv = await page.request.get(`${h.base}/console/insights/data/equity-ethnicity.csv?scope=trust`);
    expect(csv.status()).toBe(200);
    const line = (await csv.text()).split('\r\n').find((l) => l.startsWith('Other ethnic groups: Chinese'))!;
    expect(line.split(',').slice(1, 3)).toEqual(['fewer than 5', 'fewer than 5']);
    expect(line).not.toMatch(/,3,/);

    await page.goto(`${h.base}/console/insights/equity?scope=group`);
    expect(await page.locator('#skew-flag').textContent()).toContain('No skew flagged');
  });

  it('the weekly report prints to a PDF that renders', async () => {
    const page = await h.signedIn('admin.rlq', '/console/insights/report?scope=group');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Weekly report: the group');
    const res = await page.request.get(`${h.base}/console/insights/report.pdf?scope=group`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('application/pdf');
    const pdf = await res.body();
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // pdf.js (Mozilla's PDF renderer) draws page 1 onto a canvas in Chromium: the page's words and how much of it is ink.
    const viewer = await (await h.browser.newContext()).newPage();
    const dist = path.join(process.cwd(), 'node_modules', 'pdfjs-dist', 'build');
    await viewer.route('http://pdf.test/**', (route) => {
      const name = new URL(route.request().url()).pathname.slice(1);
      if (name === 'report.pdf') return route.fulfill({ body: pdf, contentType: 'application/pdf' });
      if (name === 'index.html') return route.fulfill({ body: '<!DOCTYPE html><html><body><canvas id="c"></canvas></body></html>', contentType: 'text/html' });
      return route.fulfill({ path: path.join(dist, name), contentType: 'text/javascript' });
    });
    await viewer.goto('http://pdf.test/index.html');
    const drawn = await viewer.evaluate(`(async () => {
      const pdfjs = await import('http://pdf.test/pdf.min.mjs');
      pdfjs.GlobalWorkerOptions.workerSrc = 'http://pdf.test/pdf.worker.min.mjs';
      const doc = await pdfjs.getDocument('http://pdf.test/report.pdf').promise;
      const p = await doc.getPage(1);
      const viewport = p.getViewport({ scale: 1 });
      const canvas = document.getElementById('c');
      canvas.width = viewport.width; canvas.height = viewport.height;
      const ctx = canvas.getContext('2d');
      await p.render({ canvasContext: ctx, canvas, viewport }).promise;
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200) ink++;
      const text = (await p.getTextContent()).items.map((i) => i.str).join(' ');
      return { pages: doc.numPages, ink: ink / (px.length / 4), text };
    })()`);
    const { pages, ink, text } = drawn as { pages: number; ink: number; text: string };
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain('Weekly report: the group');
    expect(text).toContain('Referrals by stage reached');
    expect(ink).toBeGreaterThan(0.01);
  });

  it('is for trust admins only, and a scope it does not know is a 400 page', async () => {
    const clerk = await h.signedIn('clerk.rlq', '/console/insights');
    expect(await clerk.getByRole('heading', { level: 1 }).textContent()).toBe('You cannot use this page');
    expect((await clerk.request.get(`${h.base}/console/insights/data/funnel.csv`)).status()).toBe(403);
    const admin = await h.signedIn('admin.rlq', '/console');
    const bad = await admin.request.get(`${h.base}/console/insights?scope=everyone`);
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('The scope must be');
    expect((await admin.request.get(`${h.base}/console/insights/data/nothing.csv`)).status()).toBe(404);
  });
});
