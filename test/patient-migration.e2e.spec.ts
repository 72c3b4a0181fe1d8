// The patient_per_referral migration on data shaped as it was before: one shared patient row per
// NHS number. Every referral must keep the details it points at, nothing is lost, and a receiving
// trust that had rejected (or whose referral ended before it accepted) is no longer a party.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

const MIGRATIONS = path.join(process.cwd(), 'prisma', 'migrations');
const TARGET = '20261202100000_patient_per_referral';
const database = `crosstrust_migration_${process.pid}`;
let admin: pg.Client;
let db: pg.Client;

const migrations = readdirSync(MIGRATIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const run = (name: string) => db.query(readFileSync(path.join(MIGRATIONS, name, 'migration.sql'), 'utf8'));

beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${database}`;
  db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  // Every migration before the one under test, each sent whole (as prisma.config.ts does).
  for (const m of migrations.slice(0, migrations.indexOf(TARGET))) await run(m);
});

afterAll(async () => {
  await db?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin?.end();
});

describe('patient_per_referral', () => {
  it('gives each referral its own copy of the details it was opened with, loses nothing, and clears receivers that are no longer parties', async () => {
    expect(migrations).toContain(TARGET);
    const { rows: pt } = await db.query<{ id: string }>(
      `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, contact_preference, accessible_format, updated_at)
       VALUES (gen_random_uuid(), '9434765919', 'Jones', 'Mary', '1956-03-02', '1 High Street', 'HR1 2ER', '07700900123', 'mary@example.com', 'M81001', 'sms', 'large_print', now()),
              (gen_random_uuid(), '9434765870', 'Smith', 'Sam', '1960-01-01', NULL, 'CV34 5BW', NULL, NULL, 'M81002', NULL, NULL, now())
       RETURNING id`,
    );
    const [shared, single] = [pt[0].id, pt[1].id];
    const referral = async (patientId: string, origin: string, pathway: string, status: string, receiving: string | null, at: string) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO referral (id, patient_id, origin_ods, receiving_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, status, created_at, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, '110', 'W371', '2025-01-01', $4, 'P4', $5, $6, $6) RETURNING id`,
          [patientId, origin, receiving, pathway, status, at],
        )
      ).rows[0].id;
    const first = await referral(shared, 'RLQ', 'A-1', 'AWAITING_BOOKING', 'RJC', '2026-01-01T00:00:00Z');
    const second = await referral(shared, 'RLT', 'B-1', 'REJECTED_BY_RECEIVER', 'RJC', '2026-02-01T00:00:00Z');
    const third = await referral(shared, 'RLQ', 'A-2', 'WITHDRAWN', 'RJC', '2026-03-01T00:00:00Z');
    const alone = await referral(single, 'RJC', 'C-1', 'CANCELLED', 'RLQ', '2026-01-15T00:00:00Z');
    await db.query(
      `INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods) VALUES ($1, 'transfer_of_care', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 's', 'clinician', 'RLQ')`,
      [alone],
    );

    await run(TARGET);

    const { rows } = await db.query(
      `SELECT r.id, r.patient_id, r.receiving_ods, r.former_receiving_ods, p.nhs_number, p.family_name, p.date_of_birth::text AS dob, p.address, p.postcode, p.phone, p.email,
              p.gp_practice_ods, p.contact_preference, p.accessible_format
       FROM referral r JOIN patient p ON p.id = r.patient_id`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const details = {
      nhs_number: '9434765919',
      family_name: 'Jones',
      dob: '1956-03-02',
      address: '1 High Street',
      postcode: 'HR1 2ER',
      phone: '07700900123',
      email: 'mary@example.com',
      gp_practice_ods: 'M81001',
      contact_preference: 'sms',
      accessible_format: 'large_print',
    };
    for (const id of [first, second, third]) expect(byId.get(id)).toMatchObject(details);
    // The oldest referral keeps the original row; each other has a row of its own.
    expect(byId.get(first)!.patient_id).toBe(shared);
    expect(new Set([first, second, third, alone].map((id) => byId.get(id)!.patient_id)).size).toBe(4);
    expect(byId.get(alone)).toMatchObject({ patient_id: single, family_name: 'Smith', receiving_ods: 'RLQ', former_receiving_ods: null });
    // Parties: the receiver that rejected, and the one whose referral was withdrawn before it accepted, are cleared.
    expect(byId.get(first)).toMatchObject({ receiving_ods: 'RJC', former_receiving_ods: null });
    expect(byId.get(second)).toMatchObject({ receiving_ods: null, former_receiving_ods: 'RJC' });
    expect(byId.get(third)).toMatchObject({ receiving_ods: null, former_receiving_ods: 'RJC' });
    expect((await db.query('SELECT count(*)::int AS n FROM patient')).rows[0].n).toBe(4);
    // And from now on one patient row is one referral's.
    await expect(db.query('UPDATE referral SET patient_id = $1 WHERE id = $2', [shared, second])).rejects.toThrow(/referral_patient_id_key/);
  });
});
