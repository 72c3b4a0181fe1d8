// The demo seed (prisma/seed.mjs) on a database of its own: both directions of care (issue 18), and a second run that adds nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { seed } from '../prisma/seed.mjs';

const MIGRATIONS = path.join(process.cwd(), 'prisma', 'migrations');
const database = `crosstrust_seed_${process.pid}`;
let admin: pg.Client;
let db: pg.Client;
let url: string;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${database}`;
  url = u.toString();
  db = new pg.Client({ connectionString: url });
  await db.connect();
  // Every migration, each sent whole (as prisma.config.ts does): the shared test database has no demo data.
  const names = readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const m of names) await db.query(readFileSync(path.join(MIGRATIONS, m, 'migration.sql'), 'utf8'));
});

afterAll(async () => {
  await db?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin?.end();
});

/** What the demo's referrals are, by origin and direction, as sorted rows. */
async function demoReferrals() {
  const { rows } = await db.query<{ origin_ods: string; direction: string; n: number }>(
    `SELECT origin_ods, direction, count(*)::int AS n FROM referral WHERE pathway_id LIKE '%-DEMO-%' GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return rows;
}

// In order, on one database: the tests' seed, then the demo's over it (as `npm start` does on a dev database), then the demo's again.
describe('the demo seed', () => {
  it('for the tests (demoReferrals: false): the three trusts, no referral, neither the specialist trust nor a service taking its patients', async () => {
    await seed(url, { demoReferrals: false });
    const { rows } = await db.query<{ ods: string }>('SELECT ods FROM trust ORDER BY ods');
    expect(rows.map((r) => r.ods)).toEqual(['RJC', 'RLQ', 'RLT']);
    expect((await db.query(`SELECT 1 FROM referral`)).rowCount).toBe(0);
    expect((await db.query(`SELECT 1 FROM service WHERE trust_ods = 'RLQ'`)).rowCount).toBe(0);
  });

  it('gives referrals both ways: long-waiters from RLQ, and closer-to-home patients of the specialist trust RJ1 that a local member can take', async () => {
    await seed(url);
    expect(await demoReferrals()).toEqual([
      { origin_ods: 'RJ1', direction: 'closer_to_home', n: 2 },
      { origin_ods: 'RLQ', direction: 'long_wait_transfer', n: 4 },
    ]);
    const { rows: specialist } = await db.query(
      `SELECT t.name, s.ods AS site, s.name AS site_name, g.group_id FROM trust t JOIN site s ON s.trust_ods = t.ods JOIN group_membership g ON g.trust_ods = t.ods WHERE t.ods = 'RJ1'`,
    );
    expect(specialist).toEqual([{ name: "Guy's and St Thomas' NHS Foundation Trust", site: 'RJ122', site_name: "Guy's Hospital", group_id: 'foundation' }]);
    // A member other than RJ1 offers the specialist's patients' procedures (110, W37-W42) with capacity: RLQ, near their homes.
    const { rows: local } = await db.query(
      `SELECT sv.trust_ods, sv.site_ods, sv.procedures, c.weekly_slots FROM service sv JOIN capacity c ON c.service_id = sv.id
       WHERE sv.treatment_function = '110' AND sv.trust_ods = 'RLQ'`,
    );
    expect(local).toEqual([{ trust_ods: 'RLQ', site_ods: 'RLQ01', procedures: ['W37-W42'], weekly_slots: 4 }]);
    // Every demo referral starts as the workflow would: IDENTIFIED, opened by its own trust, its screening job waiting.
    const { rows: opened } = await db.query(
      `SELECT r.origin_ods, r.status, e.actor_ods, (SELECT count(*)::int FROM outbox_message o WHERE o.referral_id = r.id AND o.job_name = 'referral.screen') AS screens
       FROM referral r JOIN timeline_event e ON e.referral_id = r.id AND e.type = 'referral_opened' WHERE r.pathway_id LIKE 'RJ1-DEMO-%'`,
    );
    expect(opened).toEqual([
      { origin_ods: 'RJ1', status: 'IDENTIFIED', actor_ods: 'RJ1', screens: 1 },
      { origin_ods: 'RJ1', status: 'IDENTIFIED', actor_ods: 'RJ1', screens: 1 },
    ]);
  });

  it('run again, adds nothing', async () => {
    const count = async () =>
      (
        await db.query<{ referrals: number; trusts: number; services: number; weeks: number }>(
          `SELECT (SELECT count(*)::int FROM referral) AS referrals, (SELECT count(*)::int FROM trust) AS trusts,
                  (SELECT count(*)::int FROM service) AS services, (SELECT count(*)::int FROM capacity_week) AS weeks`,
        )
      ).rows[0];
    const before = await count();
    await seed(url);
    expect(await count()).toEqual(before);
  });
});
