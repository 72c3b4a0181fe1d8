// Matching runs (#5): POST /v1/matching/runs proposes how the group's free capacity for a specialty
// could serve the longest waiters on the group's waiting lists, with counts per cohort band, receiving
// trust, site and week; GET /v1/matching/runs/:id reads it back. It changes nothing.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { MatchingRuns } from '#workflow';
import { bearer, isoDay, nhsNumber, token, useStack } from './support/stack.js';

const SPECIALTY = '320';
const { s, c } = useStack({ worker: false });

function nextMonday(): string {
  const d = new Date(isoDay(0) + 'T00:00:00Z');
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() + (7 - back) * 86_400_000).toISOString().slice(0, 10);
}
const plusDays = (day: string, n: number) => new Date(Date.parse(day + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);

interface Entry {
  readonly label: string;
  readonly origin: string;
  readonly weeks: number;
  readonly postcode: string;
  readonly priority?: string;
  readonly status?: 'open' | 'closed';
}

/**
 * The known data set (specialty 320, minWeeks 52, radius 60 miles). Free: RJC08 (Stratford) 2 slots
 * and RLT01 (Nuneaton) 1 slot next week, and RJC08 1 slot the week after outside a 1-week horizon.
 * From HR1 (Hereford): Stratford ~43 miles, Nuneaton ~58; from CV37 (Stratford) Nuneaton ~25; LD1
 * (Llandrindod Wells) is ~70 miles from Stratford, beyond the radius.
 */
const ENTRIES: readonly Entry[] = [
  { label: 'unknown district', origin: 'RLQ', weeks: 120, postcode: 'SW1A 1AA' }, // not placed: unknown location
  { label: 'longest', origin: 'RLQ', weeks: 110, postcode: 'HR1 2ER' }, // -> RJC08
  { label: 'far away', origin: 'RLQ', weeks: 100, postcode: 'LD1 5AA' }, // not placed: beyond the radius
  { label: 'closed', origin: 'RLQ', weeks: 100, postcode: 'HR1 2ER', status: 'closed' }, // not in the cohort
  { label: 'RJC patient', origin: 'RJC', weeks: 90, postcode: 'CV37 6NX' }, // -> RLT01 (never its own trust)
  { label: 'next', origin: 'RLQ', weeks: 80, postcode: 'HR4 9AB' }, // -> RJC08, the last slot
  { label: 'routine', origin: 'RLQ', weeks: 70, postcode: 'HR1 2ER', priority: 'P4' },
  { label: 'urgent', origin: 'RLQ', weeks: 70, postcode: 'HR1 2ER', priority: 'P2' },
  { label: 'just over', origin: 'RLT', weeks: 60, postcode: 'HR1 2ER' },
  { label: 'under minWeeks', origin: 'RLQ', weeks: 40, postcode: 'HR1 2ER' },
];

const ids = new Map<string, string>();

async function insertEntries(entries: readonly Entry[]) {
  for (const e of entries) {
    const { rows } = await s.prisma.sql.query<{ id: string }>(
      `INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods,
         specialty_code, procedure_code, rtt_clock_start, priority, status, last_seen_seq)
       VALUES ($1, $2, $3, 'Testpatient', 'Alex', '1960-05-05', $4, 'M81001', $5, 'W371', $6::date, $7, $8, 0) RETURNING id`,
      [e.origin, `MATCH-${randomUUID()}`, nhsNumber(), e.postcode, SPECIALTY, isoDay(-(e.weeks * 7 + 3)), e.priority ?? 'P4', e.status ?? 'open'],
    );
    ids.set(e.label, rows[0].id);
  }
}

async function snapshot() {
  const q = async (sql: string) => (await s.prisma.sql.query(sql)).rows;
  return {
    weeks: await q(`SELECT site_ods, week_start::text, slots, used FROM capacity_week WHERE specialty_code = '${SPECIALTY}' ORDER BY 1, 2`),
    entries: await q(`SELECT id, status, referral_id FROM waiting_list_entry WHERE specialty_code = '${SPECIALTY}' ORDER BY id`),
    referrals: await q('SELECT count(*)::int AS n, max(version) AS v FROM referral'),
    claims: await q('SELECT count(*)::int AS n FROM capacity_claim'),
    offers: await q('SELECT count(*)::int AS n FROM offer'),
  };
}

beforeAll(async () => {
  const from = nextMonday();
  const put = (ods: string, token: string, body: object) => s.http.put(`/v1/capacity/${ods}/${SPECIALTY}`).set(bearer(token)).send(body);
  const adminRLT = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
  expect(
    (
      await put('RJC', c.adminRJC, {
        weeklySlots: 2,
        fromDate: from,
        toDate: plusDays(from, 13),
        siteOds: 'RJC08',
        weeks: [{ weekStart: plusDays(from, 7), slots: 1 }],
      })
    ).status,
  ).toBe(200);
  expect((await put('RLT', adminRLT, { weeklySlots: 1, fromDate: from, toDate: plusDays(from, 6) })).status).toBe(200);
  await insertEntries(ENTRIES);
});

describe('POST /v1/matching/runs', () => {
  it('places the longest waiters first at the nearest site with room, counts per band, and changes nothing', async () => {
    const before = await snapshot();
    const res = await s.http.post('/v1/matching/runs').set(bearer(c.adminRLQ)).send({ specialtyCode: SPECIALTY, minWeeks: 52, horizonWeeks: 1 });
    expect(res.status).toBe(201);
    const r = res.body.result;
    expect(r).toMatchObject({
      specialtyCode: SPECIALTY,
      minWeeks: 52,
      radiusMiles: 60,
      horizon: { fromWeek: nextMonday(), toWeek: nextMonday(), weeks: 1 },
      freeSlots: 3,
      cohortSize: 8,
      proposed: 3,
      slotsLeft: 0,
      notPlaced: { unknownLocation: 1, noSiteWithinRadius: 1 },
    });
    // Weeks waited of those placed: 110, 90, 80.
    expect(r.bands).toEqual([
      { band: 18, waiting: 8, cleared: 3, remaining: 5 },
      { band: 40, waiting: 8, cleared: 3, remaining: 5 },
      { band: 52, waiting: 8, cleared: 3, remaining: 5 },
      { band: 65, waiting: 7, cleared: 3, remaining: 4 },
      { band: 78, waiting: 5, cleared: 3, remaining: 2 },
      { band: 104, waiting: 2, cleared: 1, remaining: 1 },
    ]);
    expect(r.byDestination).toEqual([
      { receivingOds: 'RJC', siteOds: 'RJC08', weekStart: nextMonday(), patients: 2 },
      { receivingOds: 'RLT', siteOds: 'RLT01', weekStart: nextMonday(), patients: 1 },
    ]);
    expect(r.byReceivingTrust).toEqual([
      { receivingOds: 'RJC', patients: 2 },
      { receivingOds: 'RLT', patients: 1 },
    ]);
    expect(r.byOriginTrust).toEqual([
      { originOds: 'RJC', patients: 1 },
      { originOds: 'RLQ', patients: 2 },
    ]);
    // Who would go where: only RLQ's own waiting list (the RJC patient placed at RLT01 is counted above, not listed).
    expect(r.placements.map((p: { entryId: string; siteOds: string }) => [p.entryId, p.siteOds])).toEqual([
      [ids.get('longest'), 'RJC08'],
      [ids.get('next'), 'RJC08'],
    ]);
    expect(await snapshot()).toEqual(before);

    const read = await s.http.get(`/v1/matching/runs/${res.body.id}`).set(bearer(c.adminRLQ));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it("shows a trust its own waiting list's placements only, stores no other trust's, and hides a run from other trusts", async () => {
    const res = await s.http.post('/v1/matching/runs').set(bearer(c.adminRJC)).send({ specialtyCode: SPECIALTY, minWeeks: 52, horizonWeeks: 1 });
    expect(res.status).toBe(201);
    // The group-wide totals are the same for every trust...
    expect(res.body.result).toMatchObject({
      proposed: 3,
      byOriginTrust: [
        { originOds: 'RJC', patients: 1 },
        { originOds: 'RLQ', patients: 2 },
      ],
    });
    // ...but RJC sees (and the run stores) only its own patient's placement, no RLQ entry id, wait or priority.
    expect(res.body.result.placements).toEqual([expect.objectContaining({ entryId: ids.get('RJC patient'), originOds: 'RJC', siteOds: 'RLT01' })]);
    const { rows } = await s.prisma.sql.query<{ result: { placements: Array<{ originOds: string }> } }>('SELECT result FROM matching_run WHERE id = $1::uuid', [
      res.body.id,
    ]);
    expect(rows[0].result.placements.map((p) => p.originOds)).toEqual(['RJC']);
    // Another trust's admin cannot read the run at all.
    expect((await s.http.get(`/v1/matching/runs/${res.body.id}`).set(bearer(c.adminRLQ))).status).toBe(404);
    expect((await s.http.get(`/v1/matching/runs/${res.body.id}`).set(bearer(c.adminRJC))).status).toBe(200);
  });

  it('uses later weeks within the horizon, and priority breaks a tie in wait', async () => {
    const res = await s.http.post('/v1/matching/runs').set(bearer(c.adminRLQ)).send({ specialtyCode: SPECIALTY, minWeeks: 52, horizonWeeks: 2 });
    expect(res.status).toBe(201);
    const r = res.body.result;
    expect(r).toMatchObject({ freeSlots: 4, proposed: 4, slotsLeft: 0 });
    // The fourth slot (RJC08, the week after) goes to the P2 of the two 70-week waiters.
    expect(r.byDestination).toContainEqual({ receivingOds: 'RJC', siteOds: 'RJC08', weekStart: plusDays(nextMonday(), 7), patients: 1 });
    expect(r.bands.find((b: { band: number }) => b.band === 65)).toEqual({ band: 65, waiting: 7, cleared: 4, remaining: 3 });
    expect(r.placements.at(-1)).toMatchObject({
      entryId: ids.get('urgent'),
      siteOds: 'RJC08',
      weekStart: plusDays(nextMonday(), 7),
      weeksWaited: 70,
      priority: 'P2',
    });
    expect(r.placements.map((p: { entryId: string }) => p.entryId)).not.toContain(ids.get('routine'));
  });

  it('a wider radius reaches the far patient; a cohort with no capacity proposes nothing', async () => {
    const wide = await s.http
      .post('/v1/matching/runs')
      .set(bearer(c.adminRLQ))
      .send({ specialtyCode: SPECIALTY, minWeeks: 52, horizonWeeks: 1, radiusMiles: 200 });
    expect(wide.body.result).toMatchObject({ proposed: 3, notPlaced: { unknownLocation: 1, noSiteWithinRadius: 0 } });
    expect(wide.body.result.bands.find((b: { band: number }) => b.band === 104)).toEqual({ band: 104, waiting: 2, cleared: 1, remaining: 1 });
    // 110, 100 (LD1 now in reach), 90 placed.
    expect(wide.body.result.bands.find((b: { band: number }) => b.band === 78)).toEqual({ band: 78, waiting: 5, cleared: 3, remaining: 2 });
    const none = await s.http.post('/v1/matching/runs').set(bearer(c.adminRLQ)).send({ specialtyCode: '321', minWeeks: 18 });
    expect(none.status).toBe(201);
    expect(none.body.result).toMatchObject({ freeSlots: 0, cohortSize: 0, proposed: 0, scanned: 0 });
  });

  it('counts days on the UK calendar: at 23:30 UTC on 1 July it is already 2 July in the UK', async () => {
    const admin = { sub: 'uk-calendar-test', roles: ['trust_admin'] as const, role: 'trust_admin' as const, ods: 'RLQ', nhsNumber: null };
    const late = await s.api
      .get(MatchingRuns)
      .run({ ...admin, roles: [...admin.roles] }, { specialtyCode: SPECIALTY, minWeeks: 52 }, new Date('2026-07-01T23:30:00Z'));
    expect(late.result.asOf).toBe('2026-07-02');
    const winter = await s.api
      .get(MatchingRuns)
      .run({ ...admin, roles: [...admin.roles] }, { specialtyCode: SPECIALTY, minWeeks: 52 }, new Date('2026-12-01T23:30:00Z'));
    expect(winter.result.asOf).toBe('2026-12-01');
  });

  it('is for trust admins only, and names the field of a bad body', async () => {
    const body = { specialtyCode: SPECIALTY, minWeeks: 52 };
    for (const t of [c.clinRLQ, c.clerkRJC, c.integrationRLQ]) expect((await s.http.post('/v1/matching/runs').set(bearer(t)).send(body)).status).toBe(403);
    const bad = await s.http.post('/v1/matching/runs').set(bearer(c.adminRLQ)).send({ specialtyCode: '11', minWeeks: 'many' });
    expect(bad.status).toBe(400);
    const fields = (bad.body.details as Array<{ field: string }>).map((d) => d.field).sort();
    expect(fields).toEqual(['minWeeks', 'specialtyCode']);
    expect((await s.http.get(`/v1/matching/runs/${randomUUID()}`).set(bearer(c.adminRLQ))).status).toBe(404);
    expect((await s.http.get('/v1/matching/runs/not-a-uuid').set(bearer(c.adminRLQ))).status).toBe(400);
  });
});
