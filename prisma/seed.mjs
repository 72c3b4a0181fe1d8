// Demo data for the Foundation Group: trusts, their group, sites, services and capacity (RJC's hip
// and knee replacement and upper limb surgery), the demo postcode extract, and a few long-waiters at RLQ;
// for the demo, a specialist trust (RJ1) whose patients come closer to home to RLQ. Safe to run again (it only fills gaps).
//
// Provenance of the coordinates: NOT taken from an official data set. The site coordinates and
// the demo postcode extract (prisma/demo-postcodes.csv, see loadDemoPostcodes) were made up for
// this demo near the true positions (to a mile or two) of the towns and hospitals, from general
// public knowledge of where they are; no file was downloaded and none is redistributed. Site codes
// are illustrative. Distances from them are good enough to rank sites for a demo, not for real use.
// For production load the ONS Postcode Directory (ONSPD) itself: `npm run postcodes:load -- <file>`.
import pg from 'pg';
import { createHash } from 'node:crypto';
import { withCheckDigit } from '../scripts/lib/nhs-number.mjs';
import { tinyPdf } from '../scripts/lib/demo-pdf.mjs';

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
// The group's service directory: what each site offers (treatment function 110, trauma and
// orthopaedics, split by procedure group), who it cannot take, and the capacity declared for it.
// OPCS-4: W37-W42 hip and knee replacements; O06-O08 shoulder and elbow replacements, T52-T54 palmar fascia (Dupuytren's).
const SERVICES = [
  {
    site: 'RJC02',
    trust: 'RJC',
    tf: '110',
    name: 'Hip and knee replacement',
    procedures: ['W37-W42'],
    maxBmi: 40,
    maxAsa: 3,
    minAge: 18,
    guidance: 'Pre-operative assessment at Warwick Hospital two to four weeks before surgery; bring a list of your medicines.',
    slots: 20,
  },
  {
    site: 'RJC08',
    trust: 'RJC',
    tf: '110',
    name: 'Upper limb surgery',
    procedures: ['O06-O08', 'T52-T54'],
    maxBmi: null,
    maxAsa: 3,
    minAge: 16,
    guidance: 'Day-case surgery at Stratford Hospital: arrange for someone to take you home.',
    slots: 5,
  },
];

/**
 * Care closer to home (issue 18), the demo only: Guy's and St Thomas' as the specialist trust that refers
 * patients back to a local member, and RLQ's service that takes them at Hereford. Not seeded for the tests
 * (seed's `demoReferrals: false`): their group is the three trusts whose capacity they declare, and a fourth
 * member, or capacity at RLQ, would change every offer they expect.
 */
const SPECIALIST = {
  trust: { ods: 'RJ1', name: "Guy's and St Thomas' NHS Foundation Trust", main: 'RJ122', phone: '01632 960 404', hours: HOURS },
  site: { ods: 'RJ122', trust: 'RJ1', name: "Guy's Hospital", postcode: 'SE1 9RT', lat: 51.5033, lon: -0.0866 },
  address: 'Great Maze Pond, London',
};
const CLOSER_TO_HOME_SERVICE = {
  site: 'RLQ01',
  trust: 'RLQ',
  tf: '110',
  name: 'Orthopaedic surgery closer to home',
  procedures: ['W37-W42'],
  maxBmi: 40,
  maxAsa: 3,
  minAge: 18,
  guidance: "For patients of a specialist centre who live in Herefordshire: surgery at Hereford County Hospital, the specialist's plan followed.",
  slots: 4,
};

const SITE_ADDRESSES = {
  RLQ01: 'Union Walk, Hereford',
  RJC02: 'Lakin Road, Warwick',
  RJC08: 'Arden Street, Stratford-upon-Avon',
  RLT01: 'College Street, Nuneaton',
};

/**
 * The demo extract of the ONS Postcode Directory (prisma/demo-postcodes.csv, ONSPD's columns):
 * a few hundred postcodes of Herefordshire, Warwickshire, Nuneaton, Worcestershire and the edge of
 * Birmingham. Real-shaped, NOT official: the outward codes are real districts, the inward codes and
 * LSOA codes are made up, and each coordinate is within a mile or two of the district's true
 * centroid (the sites' and the demo patients' own postcodes at the hospitals and towns). The same
 * columns and rules as `npm run postcodes:load` (libs/workflow/src/postcodes/postcode-loader.ts),
 * read here without the compiled app because the seed also runs in the migrate image.
 */
async function loadDemoPostcodes(client) {
  const { parse } = await import('csv-parse/sync');
  const { readFile } = await import('node:fs/promises');
  const rows = parse(await readFile(new URL('./demo-postcodes.csv', import.meta.url)), { columns: true, skip_empty_lines: true });
  const live = rows.filter((r) => !r.doterm);
  const key = (p) => p.toUpperCase().replace(/\s+/g, '');
  await client.query(
    `INSERT INTO postcode (postcode, pcds, district, latitude, longitude, lsoa11, lsoa21)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[]) ON CONFLICT (postcode) DO NOTHING`,
    [
      live.map((r) => key(r.pcds)),
      live.map((r) => r.pcds.toUpperCase()),
      live.map((r) => r.pcds.toUpperCase().split(' ')[0]),
      live.map((r) => Number(r.lat)),
      live.map((r) => Number(r.long)),
      live.map((r) => r.lsoa11 || null),
      live.map((r) => r.lsoa21 || null),
    ],
  );
  await client.query(
    `INSERT INTO postcode_district (district, latitude, longitude)
     SELECT district, avg(latitude), avg(longitude) FROM postcode GROUP BY district ON CONFLICT (district) DO NOTHING`,
  );
}

function nhsNumber(seed) {
  for (let n = seed; ; n++) {
    const number = withCheckDigit(String(999000000 + n));
    if (number) return number;
  }
}

const day = (offset) => new Date(Date.now() + offset * 864e5).toISOString().slice(0, 10);

const DEMO = [
  // Travelling from Herefordshire to Warwick is not for everyone: additional requirements as the booking team recorded them.
  {
    seed: 101,
    family: 'Jones',
    given: 'Mary',
    dob: '1956-03-02',
    postcode: 'HR1 2ER',
    weeks: 78,
    proc: 'W371',
    priority: 'P4',
    clinical: true,
    needs: {
      transportNeeded: true,
      patientTransportEligibility: 'not_assessed',
      interpreterLanguage: null,
      informationFormats: ['large_print'],
      contactMethod: 'telephone',
      escort: true,
      mobility: ['walking_aid'],
      learningDisabilityAdjustments: null,
      other: 'Lives alone; her daughter drives her to appointments when she can.',
    },
  },
  {
    seed: 111,
    family: 'Price',
    given: 'Owen',
    dob: '1949-11-20',
    postcode: 'HR4 9AB',
    weeks: 66,
    proc: 'W401',
    priority: 'P3',
    needs: {
      transportNeeded: false,
      patientTransportEligibility: 'not_assessed',
      interpreterLanguage: 'bfi',
      informationFormats: [],
      contactMethod: 'bsl_video_relay',
      escort: false,
      mobility: [],
      learningDisabilityAdjustments: null,
      other: null,
    },
  },
  { seed: 121, family: 'Watkins', given: 'Ellen', dob: '1962-07-14', postcode: 'HR9 5AA', weeks: 58, proc: 'W371', priority: 'P4' },
  { seed: 131, family: 'Morgan', given: 'Dylan', dob: '1971-01-09', postcode: 'HR6 8AA', weeks: 30, proc: 'W401', priority: 'P4' },
  // Care closer to home (issue 18): Guy's and St Thomas' patients who live in Herefordshire, referred to a
  // local member for their operation near home (no weeks-waited threshold in this direction).
  {
    seed: 141,
    family: 'Bevan',
    given: 'Gwen',
    dob: '1958-09-23',
    postcode: 'HR2 7ZB',
    weeks: 12,
    proc: 'W371',
    priority: 'P3',
    origin: 'RJ1',
    direction: 'closer_to_home',
  },
  {
    seed: 151,
    family: 'Lloyd',
    given: 'Iwan',
    dob: '1966-04-30',
    postcode: 'HR1 3TA',
    weeks: 9,
    proc: 'W401',
    priority: 'P4',
    origin: 'RJ1',
    direction: 'closer_to_home',
  },
];

export async function seed(databaseUrl, { demoReferrals = true } = {}) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  // The specialist trust and the service taking its patients are the demo's (see SPECIALIST).
  const trusts = demoReferrals ? [...TRUSTS, SPECIALIST.trust] : TRUSTS;
  const sites = demoReferrals ? [...SITES, SPECIALIST.site] : SITES;
  const services = demoReferrals ? [...SERVICES, CLOSER_TO_HOME_SERVICE] : SERVICES;
  try {
    await client.query('BEGIN');
    for (const t of trusts) {
      // A number a trust admin has set is kept; a database seeded before the column existed gets the demo one.
      await client.query(
        `INSERT INTO trust (ods, name, main_site_ods, booking_phone, booking_phone_hours) VALUES ($1,$2,$3,$4,$5)
         ON CONFLICT (ods) DO UPDATE SET booking_phone = COALESCE(trust.booking_phone, EXCLUDED.booking_phone),
           booking_phone_hours = COALESCE(trust.booking_phone_hours, EXCLUDED.booking_phone_hours)`,
        [t.ods, t.name, t.main, t.phone, t.hours],
      );
    }
    // Demo addresses each team's worklist emails go to (a trust admin changes them: PUT /v1/team-contacts/:team).
    for (const t of trusts) {
      for (const team of ['booking', 'clinical']) {
        await client.query(
          `INSERT INTO team_contact (trust_ods, team, email, updated_by) VALUES ($1, $2, $3, 'seed') ON CONFLICT (trust_ods, team) DO NOTHING`,
          [t.ods, team, `${team}-team.${t.ods.toLowerCase()}@example.nhs.uk`],
        );
      }
    }
    // Demo MESH mailboxes (docs/mesh.md): each trust's PAS and the demo GP practices. Under `npm start`
    // they are folders of the local mailbox; in production, the mailbox ids NHS England issued.
    const mailboxes = [...trusts.map((t) => [t.ods, 'PAS', `${t.ods}PAS01`]), ['M81001', 'GP', 'M81001GP01'], ['M81002', 'GP', 'M81002GP01']];
    for (const [ods, service, mailbox] of mailboxes) {
      await client.query('INSERT INTO mesh_mailbox (ods_code, service, mailbox_id) VALUES ($1, $2, $3) ON CONFLICT (ods_code, service) DO NOTHING', [
        ods,
        service,
        mailbox,
      ]);
    }
    for (const s of sites) {
      await client.query('INSERT INTO site (ods, trust_ods, name, postcode, latitude, longitude) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (ods) DO NOTHING', [
        s.ods,
        s.trust,
        s.name,
        s.postcode,
        s.lat,
        s.lon,
      ]);
    }
    for (const [ods, address] of Object.entries({ ...SITE_ADDRESSES, ...(demoReferrals ? { [SPECIALIST.site.ods]: SPECIALIST.address } : {}) })) {
      await client.query('UPDATE site SET address = COALESCE(address, $2) WHERE ods = $1', [ods, address]);
    }
    // The three trusts are the Foundation Group, and in the demo the specialist trust too (a group admin adds others: POST /v1/group/trusts).
    await client.query(`INSERT INTO trust_group (id, name) VALUES ('foundation', 'Foundation Group') ON CONFLICT (id) DO NOTHING`);
    for (const t of trusts) {
      await client.query(`INSERT INTO group_membership (trust_ods, group_id, added_by) VALUES ($1, 'foundation', 'seed') ON CONFLICT (trust_ods) DO NOTHING`, [
        t.ods,
      ]);
    }
    await loadDemoPostcodes(client);
    for (const sv of services) {
      const { rows: svc } = await client.query(
        `INSERT INTO service (trust_ods, site_ods, treatment_function, name, procedures, max_bmi, max_asa_grade, min_age_years, booking_guidance, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'seed')
         ON CONFLICT (site_ods, name) DO UPDATE SET updated_at = service.updated_at RETURNING id`,
        [sv.trust, sv.site, sv.tf, sv.name, sv.procedures, sv.maxBmi, sv.maxAsa, sv.minAge, sv.guidance],
      );
      const serviceId = svc[0].id;
      await client.query(
        `INSERT INTO capacity (id, trust_ods, specialty_code, site_ods, service_id, weekly_slots, from_date, to_date, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT (service_id) DO NOTHING`,
        [sv.trust, sv.tf, sv.site, serviceId, sv.slots, day(-30), day(365)],
      );
      // Its weeks (Monday-start); a re-run leaves weeks already there (and their use) alone.
      await client.query(
        `INSERT INTO capacity_week (trust_ods, site_ods, specialty_code, service_id, week_start, slots)
         SELECT $1, $2, $3, $4, w::date, $5 FROM generate_series(date_trunc('week', $6::timestamp), $7::timestamp, interval '7 days') AS w
         ON CONFLICT DO NOTHING`,
        [sv.trust, sv.site, sv.tf, serviceId, sv.slots, day(-30), day(365)],
      );
    }
    // Each demo referral once, by its pathway at its origin: a re-run fills in only those never made (one
    // since changed, or ended, stays as it is).
    for (const p of demoReferrals ? DEMO : []) {
      const origin = p.origin ?? 'RLQ';
      const pathwayId = `${origin}-DEMO-${p.seed}`;
      const { rowCount } = await client.query('SELECT 1 FROM referral WHERE origin_ods = $1 AND pathway_id = $2 LIMIT 1', [origin, pathwayId]);
      if (rowCount === 0) {
        const nhs = nhsNumber(p.seed);
        const { rows } = await client.query(
          `INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, sex, ethnic_category, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, 'M81001', $9, $10, now()) RETURNING id`,
          [
            nhs,
            p.family,
            p.given,
            p.dob,
            `${p.seed} High Street, Hereford`,
            p.postcode,
            '07700900' + String(p.seed).padStart(3, '0'),
            `${p.given.toLowerCase()}.${p.family.toLowerCase()}@example.com`,
            // Stated sex and ethnic category (NHS Data Dictionary codes) for the insights' equity figures.
            p.seed % 2 ? '1' : '2',
            'AAACHJMZ'[p.seed % 8],
          ],
        );
        const ref = await client.query(
          `INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, direction, updated_at)
           VALUES (gen_random_uuid(), $1, $6, '110', $2, $3, $4, $5, $7, now()) RETURNING id`,
          [rows[0].id, p.proc, day(-p.weeks * 7 - 3), pathwayId, p.priority, origin, p.direction ?? 'long_wait_transfer'],
        );
        const id = ref.rows[0].id;
        const ev = await client.query(
          `INSERT INTO timeline_event (referral_id, type, to_status, actor_sub, actor_role, actor_ods, detail)
           VALUES ($1, 'referral_opened', 'IDENTIFIED', 'seed', 'integration', $2, '{"source":"demo seed"}') RETURNING id`,
          [id, origin],
        );
        if (p.needs) {
          await client.query(
            `INSERT INTO additional_requirement (referral_id, requirements, recorded_by_role, recorded_by_ods) VALUES ($1, $2::jsonb, 'booking_clerk', 'RLQ')`,
            [id, JSON.stringify(p.needs)],
          );
          // The timeline names the fields recorded, never their values (as the use case does).
          await client.query(
            `INSERT INTO timeline_event (referral_id, type, to_status, from_status, actor_sub, actor_role, actor_ods, detail)
             VALUES ($1, 'additional_requirements_updated', 'IDENTIFIED', 'IDENTIFIED', 'seed', 'booking_clerk', 'RLQ', $2::jsonb)`,
            [
              id,
              JSON.stringify({
                fields: Object.keys(p.needs).filter(
                  (k) => p.needs[k] !== null && p.needs[k] !== false && !(Array.isArray(p.needs[k]) && p.needs[k].length === 0),
                ),
              }),
            ],
          );
        }
        if (p.clinical) await demoClinicalPackage(client, id);
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

/**
 * Mary Jones's clinical package and referral letter (a generated one-page PDF), as the referring
 * trust would record them: what a clinician sees on her referral page, and the receiving one too.
 */
async function demoClinicalPackage(client, referralId) {
  await client.query(
    `INSERT INTO clinical_information (referral_id, diagnosis_code, diagnosis_text, laterality, comorbidities, bmi, asa_grade, anticoagulated, anticoagulant,
       mobility, referral_letter, updated_by_sub)
     VALUES ($1, '239873007', 'Osteoarthritis of knee', 'left', $2::jsonb, 31.4, 2, true, 'Apixaban 5 mg twice daily', 'Walks with a stick; manages stairs slowly', $3, 'seed')`,
    [
      referralId,
      JSON.stringify([
        { code: '38341003', text: 'Hypertension' },
        { code: '44054006', text: 'Type 2 diabetes mellitus' },
      ]),
      'Dear colleague,\nThank you for seeing Mrs Jones, who has waited 78 weeks for a left total knee replacement. ' +
        'Her diabetes is well controlled (HbA1c 48 mmol/mol); apixaban is to be stopped 48 hours before surgery.\nYours sincerely,\nDr Owen Hughes',
    ],
  );
  const pdf = tinyPdf('Referral letter: left total knee replacement for Mary Jones (demo).');
  const { rows } = await client.query(
    `INSERT INTO attachment (id, referral_id, kind, filename, media_type, size_bytes, sha256, uploaded_by_sub, uploaded_by_ods)
     VALUES (gen_random_uuid(), $1, 'referral_letter', 'referral-letter.pdf', 'application/pdf', $2, $3, 'seed', 'RLQ') RETURNING id`,
    [referralId, pdf.length, createHash('sha256').update(pdf).digest('hex')],
  );
  await client.query('INSERT INTO attachment_content (attachment_id, content) VALUES ($1, $2)', [rows[0].id, pdf]);
  for (const [type, detail] of [
    [
      'clinical_information_updated',
      { fields: ['diagnosis', 'laterality', 'comorbidities', 'bmi', 'asaGrade', 'anticoagulation', 'mobility', 'referralLetter'] },
    ],
    ['attachment_added', { attachmentId: rows[0].id, kind: 'referral_letter' }],
  ]) {
    await client.query(
      `INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, detail)
       VALUES ($1, $2, 'IDENTIFIED', 'IDENTIFIED', 'seed', 'integration', 'RLQ', $3::jsonb)`,
      [referralId, type, JSON.stringify(detail)],
    );
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
