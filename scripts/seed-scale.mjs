// `npm run seed:scale -- --entries 1000000 --referrals 200000`: a group-sized data set, loaded
// with COPY (pg-copy-streams), for the scale benchmark (bench/scale.mjs) and for trying the
// worklists by hand at realistic volume.
//
// What it writes (all synthetic; NHS numbers are valid Modulus 11 numbers in the 9xx range):
//   - waiting_list_entry rows for RLQ, RJC and RLT: clock starts spread over 0-130 weeks (most
//     recent, a long tail past 52 weeks), ten treatment functions, priorities P1-P4, GP practice
//     codes, postcodes in the seed's districts; ~3% closed; one completed full import per trust;
//   - referrals (with their patients, timeline events, offers and bookings as far as each got)
//     over every status of the workflow; most are linked to (opened from) an entry.
// Target: DATABASE_URL if set, else a fresh database `crosstrust_scale` on a Postgres in
// .data/<--profile, default "scale">/ (scripts/lib/local-services.mjs); migrated and seeded first.
// Bulk-load trick: the secondary indexes of the tables loaded are dropped during the COPY and
// created again after it, exactly as they were (pg_get_indexdef); then ANALYZE.
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { ensureDatabase, log, prisma, root, startPostgres } from './lib/local-services.mjs';
import { withCheckDigit } from './lib/nhs-number.mjs';
import { seed } from '../prisma/seed.mjs';
import path from 'node:path';

const { from: copyFrom } = copyStreams;

// ---------- deterministic randomness ----------

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from [[value, weight], ...]. */
function weighted(rand, table) {
  const total = table.reduce((s, [, w]) => s + w, 0);
  return () => {
    let x = rand() * total;
    for (const [v, w] of table) if ((x -= w) < 0) return v;
    return table[table.length - 1][0];
  };
}

// ---------- reference data ----------

export const TRUST_SHARE = [
  ['RLQ', 35],
  ['RJC', 40],
  ['RLT', 25],
];
const TRUST_DISTRICTS = {
  RLQ: ['HR1', 'HR2', 'HR3', 'HR4', 'HR5', 'HR6', 'HR7', 'HR8', 'HR9', 'LD1', 'WR14', 'GL1'],
  RJC: ['CV31', 'CV32', 'CV34', 'CV35', 'CV37', 'CV21', 'CV1', 'B1'],
  RLT: ['CV10', 'CV11', 'CV12', 'CV1', 'CV21', 'B1'],
};
const TRUST_GP_PREFIX = { RLQ: ['M81', 'M85'], RJC: ['M84', 'M86'], RLT: ['M83', 'M87'] };
const RECEIVERS = {
  RLQ: [
    ['RJC', 'RJC02'],
    ['RJC', 'RJC08'],
    ['RLT', 'RLT01'],
  ],
  RJC: [
    ['RLQ', 'RLQ01'],
    ['RLT', 'RLT01'],
  ],
  RLT: [
    ['RJC', 'RJC02'],
    ['RLQ', 'RLQ01'],
  ],
};
/** Treatment function code, share of the list, OPCS-4 procedures. */
export const SPECIALTIES = [
  ['100', 12, ['T201', 'T211', 'J183']],
  ['101', 8, ['M451', 'M651']],
  ['110', 22, ['W371', 'W401', 'W381', 'W421']],
  ['120', 10, ['F341', 'D151', 'E031']],
  ['130', 16, ['C751', 'C712']],
  ['140', 4, ['F091', 'F101']],
  ['301', 9, ['H221', 'G451']],
  ['320', 6, ['K634', 'K651']],
  ['330', 5, ['S061', 'S062']],
  ['502', 8, ['Q073', 'Q181', 'Q101']],
];
const PRIORITY = [
  ['P1', 1],
  ['P2', 5],
  ['P3', 14],
  ['P4', 80],
];
/** A snapshot of the workflow: where a group's referrals are on a given day. */
export const STATUS_SHARE = [
  ['IDENTIFIED', 10],
  ['AWAITING_CLINICAL_REVIEW', 12],
  ['AWAITING_PATIENT_CONSENT', 10],
  ['AWAITING_RECEIVER_ACCEPTANCE', 8],
  ['AWAITING_BOOKING', 7],
  ['BOOKED', 8],
  ['TREATED', 5],
  ['DISCHARGED', 24],
  ['NOT_ELIGIBLE', 4],
  ['NOT_SUITABLE', 3],
  ['DECLINED', 5],
  ['REJECTED_BY_RECEIVER', 2],
  ['WITHDRAWN', 1],
  ['CANCELLED', 1],
];
const PATH = [
  ['IDENTIFIED', null],
  ['AWAITING_CLINICAL_REVIEW', 'screening_passed'],
  ['AWAITING_PATIENT_CONSENT', 'clinical_review_suitable'],
  ['AWAITING_RECEIVER_ACCEPTANCE', 'consent_accepted'],
  ['AWAITING_BOOKING', 'receiver_accepted'],
  ['BOOKED', 'procedure_booked'],
  ['TREATED', 'treatment_recorded'],
  ['DISCHARGED', 'discharged'],
];
/** Exit status -> [the status it left, its action]. */
const EXITS = {
  NOT_ELIGIBLE: ['IDENTIFIED', 'screening_failed'],
  NOT_SUITABLE: ['AWAITING_CLINICAL_REVIEW', 'clinical_review_not_suitable'],
  DECLINED: ['AWAITING_PATIENT_CONSENT', 'consent_declined'],
  REJECTED_BY_RECEIVER: ['AWAITING_RECEIVER_ACCEPTANCE', 'receiver_rejected'],
  WITHDRAWN: [null, 'withdrawn'],
  CANCELLED: [null, 'cancelled'],
};
const FINAL = new Set(['DISCHARGED', ...Object.keys(EXITS)]);
const FAMILY = [
  'Smith',
  'Jones',
  'Williams',
  'Taylor',
  'Brown',
  'Davies',
  'Evans',
  'Wilson',
  'Thomas',
  'Johnson',
  'Roberts',
  'Robinson',
  'Thompson',
  'Wright',
  'Walker',
  'White',
  'Edwards',
  'Hughes',
  'Green',
  'Hall',
  'Lewis',
  'Harris',
  'Clarke',
  'Patel',
  'Jackson',
  'Wood',
  'Turner',
  'Martin',
  'Cooper',
  'Hill',
  'Ward',
  'Morris',
  'Moore',
  "O'Brien",
  'Price',
  'Watkins',
  'Morgan',
  'Powell',
  'Griffiths',
  'Khan',
];
const GIVEN = [
  'Mary',
  'Owen',
  'Ellen',
  'Dylan',
  'Oliver',
  'Amelia',
  'George',
  'Isla',
  'Harry',
  'Ava',
  'Jack',
  'Mia',
  'Noah',
  'Grace',
  'Arthur',
  'Lily',
  'Thomas',
  'Sophia',
  'William',
  'Emily',
  'Margaret',
  'John',
  'Susan',
  'David',
  'Anne',
  'Peter',
  'Jean',
  'Michael',
  'Ruth',
  'Rhys',
  'Siân',
  'Aled',
];
const LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'; // inward-code letters (no C, I, K, M, O, V)

const DAY_MS = 864e5;
const todayUtc = () => {
  const n = new Date();
  return Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate());
};
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The next valid NHS number from a counter (9xx xxx xxxx; check digit 10 numbers are skipped). */
function nhsFrom(counter) {
  for (;;) {
    const number = withCheckDigit(String(900000000 + counter.n++));
    if (number) return number;
  }
}

/** COPY text format: \N for null; backslash, tab and newlines escaped. */
const txt = (v) => (v === null || v === undefined ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
const line = (vals) => vals.map(txt).join('\t') + '\n';

/** Streams `gen` (a generator of lines) into `table (cols)` with COPY; returns the row count. */
async function copyRows(client, table, cols, gen) {
  let rows = 0;
  const chunks = (function* () {
    let buf = '';
    for (const l of gen) {
      buf += l;
      rows++;
      if (buf.length > 256 * 1024) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  })();
  await pipeline(Readable.from(chunks), client.query(copyFrom(`COPY ${table} (${cols.join(', ')}) FROM STDIN`)));
  return rows;
}

/** Drops the secondary indexes of `tables` (not those behind constraints); returns their definitions. */
async function dropSecondaryIndexes(client, tables) {
  const { rows } = await client.query(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [tables],
  );
  for (const r of rows) await client.query(`DROP INDEX ${r.name}`);
  return rows.map((r) => r.def);
}

// ---------- the data ----------

/**
 * Loads the data set into `databaseUrl` (already migrated and seeded). Returns counts and timings.
 * `tag` keeps pathway ids apart from any rows already there.
 */
export async function seedScale(databaseUrl, { entries = 1_000_000, referrals = 200_000, seedValue = 42, tag = Date.now().toString(36).toUpperCase() } = {}) {
  const rand = mulberry32(seedValue);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const trustOf = weighted(rand, TRUST_SHARE);
  const specialtyOf = weighted(
    rand,
    SPECIALTIES.map((s) => [s, s[1]]),
  );
  const priorityOf = weighted(rand, PRIORITY);
  const statusOf = weighted(rand, STATUS_SHARE);
  const today = todayUtc();
  const nhs = { n: 0 };
  /** Weeks waited: most pathways recent (exponential, mean 14 weeks), a flat tail to 130 weeks. */
  const weeksOf = (minWeeks = 0) => {
    for (;;) {
      const w = rand() < 0.85 ? Math.floor(-Math.log(1 - rand()) * 14) : Math.floor(rand() * 131);
      if (w <= 130 && w >= minWeeks) return w;
    }
  };
  const person = (trust) => {
    const dob = Date.UTC(1935, 0, 1) + Math.floor((rand() * (Date.UTC(2020, 0, 1) - Date.UTC(1935, 0, 1))) / DAY_MS) * DAY_MS;
    return {
      nhs: nhsFrom(nhs),
      family: pick(FAMILY),
      given: pick(GIVEN),
      dob: iso(dob),
      postcode: `${pick(TRUST_DISTRICTS[trust])} ${1 + Math.floor(rand() * 9)}${pick(LETTERS)}${pick(LETTERS)}`,
      gp: `${pick(TRUST_GP_PREFIX[trust])}${String(Math.floor(rand() * 1000)).padStart(3, '0')}`,
    };
  };

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const t0 = performance.now();
  const timings = {};
  let total = 0;
  try {
    await client.query(`SET synchronous_commit = off`);
    await client.query(`SET maintenance_work_mem = '256MB'`);
    const tables = ['patient', 'referral', 'timeline_event', 'offer', 'booking', 'waiting_list_entry'];
    const indexDefs = await dropSecondaryIndexes(client, tables);

    // One completed full import per trust: the entries' last_import / last_seen_seq.
    const imports = {};
    for (const [ods] of TRUST_SHARE) {
      const id = randomUUID();
      const { rows } = await client.query(
        `INSERT INTO waiting_list_import (id, origin_ods, mode, status, created_by, bytes, header_fields, rows_total, rows_read, accepted, started_at, finished_at)
         VALUES ($1, $2, 'full', 'completed', 'seed-scale', 0, 12, 0, 0, 0, now(), now()) RETURNING seq`,
        [id, ods],
      );
      imports[ods] = { id, seq: rows[0].seq, rows: 0 };
    }

    // Referrals first (80% opened from an entry, chosen among those waiting 18+ weeks), then entries.
    const linked = Math.min(Math.round(referrals * 0.8), entries);
    const refs = [];
    for (let i = 0; i < referrals; i++) {
      const trust = trustOf();
      const [spec, , procs] = specialtyOf();
      const weeks = weeksOf(i < linked ? 18 : 6);
      const status = statusOf();
      const startMs = today - (weeks * 7 + Math.floor(rand() * 7)) * DAY_MS;
      refs.push({
        id: randomUUID(),
        patientId: randomUUID(),
        person: person(trust),
        trust,
        spec,
        proc: pick(procs),
        start: iso(startMs),
        startMs,
        weeks,
        pathway: `${trust}-${tag}-${i < linked ? 'E' : 'R'}${i}`,
        priority: priorityOf(),
        status,
        receiver: pick(RECEIVERS[trust]),
        linked: i < linked,
      });
    }

    let t = performance.now();
    const nowIso = new Date().toISOString();
    const n1 = await copyRows(
      client,
      'patient',
      ['id', 'nhs_number', 'family_name', 'given_name', 'date_of_birth', 'address', 'postcode', 'phone', 'email', 'gp_practice_ods', 'updated_at'],
      (function* () {
        for (const r of refs) {
          const p = r.person;
          yield line([
            r.patientId,
            p.nhs,
            p.family,
            p.given,
            p.dob,
            `${1 + Math.floor(rand() * 200)} High Street`,
            p.postcode,
            `07700${String(900000 + Math.floor(rand() * 99999)).slice(0, 6)}`,
            `${p.given}.${p.family}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
            p.gp,
            nowIso,
          ]);
        }
      })(),
    );
    timings.patient = { rows: n1, seconds: (performance.now() - t) / 1000 };

    /** Where a referral went, step by step: [from, to, action]. */
    const steps = (status) => {
      let upTo = status;
      let exit = null;
      if (EXITS[status]) {
        exit = EXITS[status];
        upTo = exit[0] ?? PATH[Math.floor(rand() * 6)][0];
      }
      const out = [];
      for (let k = 1; k < PATH.length && PATH[k - 1][0] !== upTo; k++) out.push([PATH[k - 1][0], PATH[k][0], PATH[k][1]]);
      if (exit) out.push([upTo, status, exit[1]]);
      return out;
    };
    for (const r of refs) {
      r.steps = steps(r.status);
      const reached = new Set(r.steps.map((s) => s[1]));
      r.offered = reached.has('AWAITING_PATIENT_CONSENT');
      r.accepted = reached.has('AWAITING_RECEIVER_ACCEPTANCE');
      r.booked = reached.has('BOOKED');
      r.receivingOds = r.accepted ? r.receiver[0] : null;
      // Opened some days to weeks after the clock start, then a few days per step.
      r.openedMs = Math.min(today - r.steps.length * 3 * DAY_MS, r.startMs + Math.floor(rand() * Math.max(1, r.weeks - 4) * 7) * DAY_MS);
    }

    t = performance.now();
    const n2 = await copyRows(
      client,
      'referral',
      [
        'id',
        'patient_id',
        'origin_ods',
        'receiving_ods',
        'specialty_code',
        'procedure_code',
        'rtt_clock_start',
        'rtt_clock_stop',
        'pathway_id',
        'priority',
        'status',
        'needs_attention',
        'version',
        'created_at',
        'updated_at',
      ],
      (function* () {
        for (const r of refs) {
          const at = new Date(r.openedMs + r.steps.length * 3 * DAY_MS).toISOString();
          yield line([
            r.id,
            r.patientId,
            r.trust,
            r.receivingOds,
            r.spec,
            r.proc,
            r.start,
            r.status === 'TREATED' || r.status === 'DISCHARGED' ? iso(r.openedMs + (r.steps.length - 1) * 3 * DAY_MS) : null,
            r.pathway,
            r.priority,
            r.status,
            rand() < 0.03 && !FINAL.has(r.status),
            1 + r.steps.length,
            new Date(r.openedMs).toISOString(),
            at,
          ]);
        }
      })(),
    );
    timings.referral = { rows: n2, seconds: (performance.now() - t) / 1000 };

    t = performance.now();
    const n3 = await copyRows(
      client,
      'timeline_event',
      ['referral_id', 'type', 'from_status', 'to_status', 'actor_sub', 'actor_role', 'actor_ods', 'at', 'detail'],
      (function* () {
        for (const r of refs) {
          yield line([
            r.id,
            'referral_opened',
            null,
            'IDENTIFIED',
            'seed-scale',
            'integration',
            r.trust,
            new Date(r.openedMs).toISOString(),
            r.linked ? '{"source":"waiting list"}' : '{"source":"seed-scale"}',
          ]);
          for (let k = 0; k < r.steps.length; k++) {
            const [from, to, action] = r.steps[k];
            const receiverSide = ['receiver_accepted', 'receiver_rejected', 'procedure_booked', 'treatment_recorded', 'discharged'].includes(action);
            const role = action.startsWith('screening') ? 'integration' : action.startsWith('clinical') ? 'clinician' : 'booking_clerk';
            yield line([
              r.id,
              action,
              from,
              to,
              `seed-${role}`,
              role,
              receiverSide ? r.receiver[0] : r.trust,
              new Date(r.openedMs + (k + 1) * 3 * DAY_MS).toISOString(),
              action === 'consent_accepted' ? JSON.stringify({ method: 'phone', receivingOds: r.receiver[0], siteOds: r.receiver[1] }) : null,
            ]);
          }
        }
      })(),
    );
    timings.timeline_event = { rows: n3, seconds: (performance.now() - t) / 1000 };

    t = performance.now();
    const n4 = await copyRows(
      client,
      'offer',
      ['id', 'referral_id', 'receiving_ods', 'site_ods', 'distance_miles', 'earliest_week', 'status', 'created_at'],
      (function* () {
        for (const r of refs) {
          if (!r.offered) continue;
          for (const [ods, site] of RECEIVERS[r.trust]) {
            const chosen = ods === r.receiver[0] && site === r.receiver[1];
            const status =
              r.status === 'AWAITING_PATIENT_CONSENT'
                ? 'OPEN'
                : r.status === 'DECLINED'
                  ? 'DECLINED'
                  : r.accepted
                    ? chosen
                      ? 'ACCEPTED'
                      : 'WITHDRAWN'
                    : 'WITHDRAWN';
            yield line([
              randomUUID(),
              r.id,
              ods,
              site,
              Math.round((10 + rand() * 60) * 10) / 10,
              iso(r.openedMs + 14 * DAY_MS),
              status,
              new Date(r.openedMs + 6 * DAY_MS).toISOString(),
            ]);
          }
        }
      })(),
    );
    timings.offer = { rows: n4, seconds: (performance.now() - t) / 1000 };

    t = performance.now();
    const n5 = await copyRows(
      client,
      'booking',
      ['id', 'referral_id', 'kind', 'site_ods', 'starts_at', 'status', 'created_by', 'created_at'],
      (function* () {
        for (const r of refs) {
          if (!r.booked) continue;
          const bookedAt = r.openedMs + 15 * DAY_MS;
          yield line([
            randomUUID(),
            r.id,
            'pre_op_assessment',
            r.receiver[1],
            new Date(bookedAt + 7 * DAY_MS + 9 * 3600e3).toISOString(),
            'BOOKED',
            'seed-booking_clerk',
            new Date(bookedAt).toISOString(),
          ]);
          yield line([
            randomUUID(),
            r.id,
            'procedure',
            r.receiver[1],
            new Date(bookedAt + 21 * DAY_MS + 8 * 3600e3).toISOString(),
            'BOOKED',
            'seed-booking_clerk',
            new Date(bookedAt).toISOString(),
          ]);
        }
      })(),
    );
    timings.booking = { rows: n5, seconds: (performance.now() - t) / 1000 };

    t = performance.now();
    const entryCols = [
      'origin_ods',
      'pathway_id',
      'nhs_number',
      'family_name',
      'given_name',
      'date_of_birth',
      'postcode',
      'gp_practice_ods',
      'specialty_code',
      'procedure_code',
      'rtt_clock_start',
      'priority',
      'next_appointment_date',
      'status',
      'closed_at',
      'referral_id',
      'last_import_id',
      'last_import_row',
      'last_seen_seq',
      'created_at',
      'updated_at',
    ];
    const n6 = await copyRows(
      client,
      'waiting_list_entry',
      entryCols,
      (function* () {
        for (let i = 0; i < entries; i++) {
          let trust,
            spec,
            proc,
            start,
            p,
            priority,
            pathway,
            referralId = null,
            closed = false;
          const r = i < linked ? refs[i] : null;
          if (r) {
            ({ trust, spec, proc, start, priority, pathway } = r);
            p = r.person;
            referralId = r.id;
            closed = r.status === 'DISCHARGED';
          } else {
            trust = trustOf();
            const s = specialtyOf();
            spec = s[0];
            proc = pick(s[2]);
            start = iso(today - (weeksOf() * 7 + Math.floor(rand() * 7)) * DAY_MS);
            p = person(trust);
            priority = priorityOf();
            pathway = `${trust}-${tag}-W${i}`;
            closed = rand() < 0.03;
          }
          const imp = imports[trust];
          const next = rand() < 0.3 ? iso(today + (1 + Math.floor(rand() * 90)) * DAY_MS) : null;
          yield line([
            trust,
            pathway,
            p.nhs,
            p.family,
            p.given,
            p.dob < start ? p.dob : '1950-01-01',
            p.postcode,
            p.gp,
            spec,
            proc,
            start,
            priority,
            next,
            closed ? 'closed' : 'open',
            closed ? nowIso : null,
            referralId,
            imp.id,
            ++imp.rows + 1,
            imp.seq,
            nowIso,
            nowIso,
          ]);
        }
      })(),
    );
    timings.waiting_list_entry = { rows: n6, seconds: (performance.now() - t) / 1000 };
    for (const [ods, imp] of Object.entries(imports)) {
      await client.query(`UPDATE waiting_list_import SET rows_total = $2, rows_read = $2, accepted = $2, bytes = $2 * 120 WHERE id = $1`, [imp.id, imp.rows]);
      void ods;
    }
    total = n1 + n2 + n3 + n4 + n5 + n6;
    const copySeconds = (performance.now() - t0) / 1000;

    t = performance.now();
    for (const def of indexDefs) await client.query(def);
    timings.indexes = { count: indexDefs.length, seconds: (performance.now() - t) / 1000 };
    t = performance.now();
    for (const table of tables) await client.query(`VACUUM (ANALYZE) ${table}`);
    timings.analyze = { seconds: (performance.now() - t) / 1000 };
    const seconds = (performance.now() - t0) / 1000;
    return {
      tag,
      entries: n6,
      referrals: n2,
      rows: total,
      seconds,
      copySeconds,
      rowsPerSecond: total / seconds,
      copyRowsPerSecond: total / copySeconds,
      timings,
    };
  } finally {
    await client.end();
  }
}

/** Migrates and seeds (as test/faults/cluster.ts does) the database at `databaseUrl`. */
export async function prepareDatabase(databaseUrl) {
  prisma(['migrate', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl });
  await seed(databaseUrl, { demoReferrals: false });
}

async function main() {
  const { values } = parseArgs({
    options: {
      entries: { type: 'string', default: '1000000' },
      referrals: { type: 'string', default: '200000' },
      profile: { type: 'string', default: process.env.CROSSTRUST_TEST_PROFILE || 'scale' },
      database: { type: 'string', default: 'crosstrust_scale' },
      seed: { type: 'string', default: '42' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const entries = Number(values.entries);
  const referrals = Number(values.referrals);
  if (!Number.isInteger(entries) || entries < 0 || !Number.isInteger(referrals) || referrals < 0)
    throw new Error('--entries and --referrals must be whole numbers');
  let databaseUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!databaseUrl) {
    const pgInfo = await startPostgres(path.join(root, '.data', values.profile, 'pg'));
    stop = pgInfo.stop;
    // A fresh database unless --keep (then rows are added beside those there).
    databaseUrl = await ensureDatabase(pgInfo, values.database, { recreate: !values.keep });
    log(
      `Database ${values.database} on 127.0.0.1:${pgInfo.port} (.data/${values.profile}/pg); the Postgres keeps running after this script only if it was already running`,
    );
  }
  try {
    log('Migrating and seeding');
    await prepareDatabase(databaseUrl);
    log(`Loading ${entries} waiting-list entries and ${referrals} referrals with COPY`);
    const r = await seedScale(databaseUrl, { entries, referrals, seedValue: Number(values.seed) });
    for (const [k, v] of Object.entries(r.timings)) {
      log(
        `  ${k}: ${v.rows !== undefined ? `${v.rows} rows, ` : v.count !== undefined ? `${v.count} indexes, ` : ''}${v.seconds.toFixed(1)} s${v.rows ? ` (${Math.round(v.rows / v.seconds)} rows/s)` : ''}`,
      );
    }
    process.stdout.write(
      `seed:scale: ${r.rows} rows (${r.entries} waiting-list entries, ${r.referrals} referrals with patients, timeline, offers, bookings) in ${r.seconds.toFixed(1)} s: ` +
        `${Math.round(r.rowsPerSecond)} rows/s overall, ${Math.round(r.copyRowsPerSecond)} rows/s for the COPY itself (tag ${r.tag})\n`,
    );
    if (!process.env.DATABASE_URL) process.stdout.write(`DATABASE_URL=${databaseUrl}\n`);
  } finally {
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    log(`seed:scale failed: ${e.stack ?? e}`);
    process.exit(1);
  });
}
