// Demo data for the Foundation Group: trusts, sites, postcode districts, RJC's trauma and
// orthopaedics capacity, and a few long-waiters at RLQ. Safe to run again (it only fills gaps).
//
// Provenance of the coordinates: NOT taken from an official data set. The site coordinates and
// the postcode-district centroids below were typed in by hand for this demo, as approximate
// positions (to about a mile) of the towns and hospitals from general public knowledge of where
// they are; no file was downloaded and none is redistributed. Site codes are illustrative.
// Travel distances computed from them are good enough to rank sites for a demo, not for real use.
// For production load the real centroids from the ONS Postcode Directory (ONSPD) or Code-Point
// Open (Ordnance Survey, Open Government Licence), averaging unit-postcode coordinates per district.
import pg from 'pg';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';

// Booking teams' numbers from Ofcom's ranges for drama (01632 960xxx, 0113 496 0xxx): never a real line.
const HOURS = 'Monday to Friday, 9am to 5pm';
const TRUSTS = [
  { ods: 'RLQ', name: 'Wye Valley NHS Trust', main: 'RLQ01', phone: '01632 960 101', hours: HOURS },
  { ods: 'RJC', name: 'South Warwickshire University NHS Foundation Trust', main: 'RJC02', phone: '01632 960 202', hours: HOURS },
  { ods: 'RLT', name: 'George Eliot Hospital NHS Trust', main: 'RLT01', phone: '0113 496 0303', hours: 'Monday to Friday, 8am to 6pm' },
];
const SITES = [
  { ods: 'RLQ01', trust: 'RLQ', name: 'Hereford County Hospital', postcode: 'HR1 2ER', lat: 52.0596, lon: -2.7062 },
  { ods: 'RJC02', trust: 'RJC', name: 'Warwick Hospital', postcode: 'CV34 5BW', lat: 52.2857, lon: -1.5862 },
  { ods: 'RJC08', trust: 'RJC', name: 'Stratford Hospital', postcode: 'CV37 6NX', lat: 52.1967, lon: -1.7197 },
  { ods: 'RLT01', trust: 'RLT', name: 'George Eliot Hospital', postcode: 'CV10 7DJ', lat: 52.5125, lon: -1.493 },
];
const DISTRICTS = [
  ['HR1', 52.06, -2.71],
  ['HR2', 52.03, -2.75],
  ['HR3', 52.08, -3.05],
  ['HR4', 52.09, -2.76],
  ['HR5', 52.2, -3.02],
  ['HR6', 52.23, -2.74],
  ['HR7', 52.19, -2.51],
  ['HR8', 52.04, -2.43],
  ['HR9', 51.91, -2.58],
  ['CV1', 52.41, -1.51],
  ['CV10', 52.52, -1.49],
  ['CV11', 52.52, -1.45],
  ['CV12', 52.48, -1.47],
  ['CV21', 52.37, -1.26],
  ['CV31', 52.28, -1.53],
  ['CV32', 52.3, -1.53],
  ['CV34', 52.28, -1.58],
  ['CV35', 52.23, -1.62],
  ['CV37', 52.19, -1.71],
  ['WR1', 52.19, -2.22],
  ['WR14', 52.11, -2.33],
  ['GL1', 51.86, -2.24],
  ['B1', 52.48, -1.9],
  ['LD1', 52.24, -3.38],
];

function nhsNumber(seed) {
  for (let n = seed; ; n++) {
    const number = withCheckDigit(String(999000000 + n));
    if (number) return number;
  }
}

const day = (offset) => new Date(Date.now() + offset * 864e5).toISOString().slice(0, 10);

const DEMO = [
  { seed: 101, family: 'Jones', given: 'Mary', dob: '1956-03-02', postcode: 'HR1 2ER', weeks: 78, proc: 'W371', priority: 'P4' },
  { seed: 111, family: 'Price', given: 'Owen', dob: '1949-11-20', postcode: 'HR4 9AB', weeks: 66, proc: 'W401', priority: 'P3' },
  { seed: 121, family: 'Watkins', given: 'Ellen', dob: '1962-07-14', postcode: 'HR9 5AA', weeks: 58, proc: 'W371', priority: 'P4' },
  { seed: 131, family: 'Morgan', given: 'Dylan', dob: '1971-01-09', postcode: 'HR6 8AA', weeks: 30, proc: 'W401', priority: 'P4' },
];

export async function seed(databaseUrl, { demoReferrals = true } = {}) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const t of TRUSTS) {
      // A number a trust admin has set is kept; a database seeded before the column existed gets the demo one.
      await client.query(
        `INSERT INTO trust (ods, name, main_site_ods, booking_phone, booking_phone_hours) VALUES ($1,$2,$3,$4,$5)
         ON CONFLICT (ods) DO UPDATE SET booking_phone = COALESCE(trust.booking_phone, EXCLUDED.booking_phone),
           booking_phone_hours = COALESCE(trust.booking_phone_hours, EXCLUDED.booking_phone_hours)`,
        [t.ods, t.name, t.main, t.phone, t.hours],
      );
    }
    // Demo addresses each team's worklist emails go to (a trust admin changes them: PUT /v1/team-contacts/:team).
    for (const t of TRUSTS) {
      for (const team of ['booking', 'clinical']) {
        await client.query(
          `INSERT INTO team_contact (trust_ods, team, email, updated_by) VALUES ($1, $2, $3, 'seed') ON CONFLICT (trust_ods, team) DO NOTHING`,
          [t.ods, team, `${team}-team.${t.ods.toLowerCase()}@example.nhs.uk`],
        );
      }
    }
    // Demo MESH mailboxes (docs/mesh.md): each trust's PAS and the demo GP practices. Under `npm start`
    // they are folders of the local mailbox; in production, the mailbox ids NHS England issued.
    const mailboxes = [...TRUSTS.map((t) => [t.ods, 'PAS', `${t.ods}PAS01`]), ['M81001', 'GP', 'M81001GP01'], ['M81002', 'GP', 'M81002GP01']];
    for (const [ods, service, mailbox] of mailboxes) {
      await client.query('INSERT INTO mesh_mailbox (ods_code, service, mailbox_id) VALUES ($1, $2, $3) ON CONFLICT (ods_code, service) DO NOTHING', [
        ods,
        service,
        mailbox,
      ]);
    }
    for (const s of SITES) {
      await client.query('INSERT INTO site (ods, trust_ods, name, postcode, latitude, longitude) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (ods) DO NOTHING', [
        s.ods,
        s.trust,
        s.name,
        s.postcode,
        s.lat,
        s.lon,
      ]);
    }
    for (const [d, lat, lon] of DISTRICTS) {
      await client.query('INSERT INTO postcode_district (district, latitude, longitude) VALUES ($1,$2,$3) ON CONFLICT (district) DO NOTHING', [d, lat, lon]);
    }
    await client.query(
      `INSERT INTO capacity (id, trust_ods, specialty_code, site_ods, weekly_slots, from_date, to_date, updated_at)
       VALUES (gen_random_uuid(), 'RJC', '110', 'RJC02', 20, $1, $2, now()) ON CONFLICT (trust_ods, site_ods, specialty_code) DO NOTHING`,
      [day(-30), day(365)],
    );
    // Its weeks (Monday-start), 20 slots each; a re-run leaves weeks already there (and their use) alone.
    await client.query(
      `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, week_start, slots)
       SELECT 'RJC', 'RJC02', '110', w::date, 20 FROM generate_series(date_trunc('week', $1::timestamp), $2::timestamp, interval '7 days') AS w
       ON CONFLICT DO NOTHING`,
      [day(-30), day(365)],
    );
    const { rowCount } = await client.query(`SELECT 1 FROM referral WHERE pathway_id LIKE 'RLQ-DEMO-%' LIMIT 1`);
    if (demoReferrals && rowCount === 0) {
      for (const p of DEMO) {
        const nhs = nhsNumber(p.seed);
        const { rows } = await client.query(
          `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, 'M81001', now()) RETURNING id`,
          [
            nhs,
            p.family,
            p.given,
            p.dob,
            `${p.seed} High Street, Hereford`,
            p.postcode,
            '07700900' + String(p.seed).padStart(3, '0'),
            `${p.given.toLowerCase()}.${p.family.toLowerCase()}@example.com`,
          ],
        );
        const ref = await client.query(
          `INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, updated_at)
           VALUES (gen_random_uuid(), $1, 'RLQ', '110', $2, $3, $4, $5, now()) RETURNING id`,
          [rows[0].id, p.proc, day(-p.weeks * 7 - 3), `RLQ-DEMO-${p.seed}`, p.priority],
        );
        const id = ref.rows[0].id;
        const ev = await client.query(
          `INSERT INTO timeline_event (referral_id, type, to_status, actor_sub, actor_role, actor_ods, detail)
           VALUES ($1, 'referral_opened', 'IDENTIFIED', 'seed', 'integration', 'RLQ', '{"source":"demo seed"}') RETURNING id`,
          [id],
        );
        await client.query(`INSERT INTO outbox_message (referral_id, queue, job_name, job_id, payload) VALUES ($1, 'workflow', 'referral.screen', $2, $3)`, [
          id,
          `referral.screen.${id}.${ev.rows[0].id}`,
          JSON.stringify({ referralId: id }),
        ]);
      }
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.env.DATABASE_URL) {
    console.error('DATABASE_URL is not set');
    process.exit(2);
  }
  await seed(process.env.DATABASE_URL);
  console.error('[crosstrust] demo data seeded');
}
