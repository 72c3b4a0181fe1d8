// What one waiting-list upload may cost: batches bounded by bytes, staging dropped with the import.
// Real API, worker, Postgres and Redis; the limits shortened through the configuration, as an
// operator would set them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '#config';
import { WAITING_LIST_COLUMNS } from '#domain';
import { stagingTable, WaitingListImporter } from '#workflow';
import { bearer, cast, isoDay, nhsNumber, startStack, type Cast, type Stack } from './support/stack.js';

process.env.WAITING_LIST_BATCH_BYTES = String(64 * 1024);

const HEADER = WAITING_LIST_COLUMNS.join(',');
let seq = 0;
const row = (over: Record<string, string> = {}) => {
  const r: Record<string, string> = {
    nhs_number: nhsNumber(),
    family_name: 'Testpatient',
    given_name: 'Alex',
    date_of_birth: '1960-05-05',
    postcode: 'HR1 2ER',
    gp_practice_ods: 'M81001',
    specialty_code: '110',
    procedure_code: 'W371',
    rtt_clock_start: isoDay(-60 * 7),
    pathway_id: `UP-${Date.now().toString(36)}${(seq++).toString(36)}`,
    priority: 'P4',
    next_appointment_date: '',
    ...over,
  };
  return WAITING_LIST_COLUMNS.map((col) => r[col]).join(',');
};
const csv = (lines: string[], header = HEADER) => [header, ...lines].join('\n') + '\n';

let s: Stack;
let c: Cast;

function upload(token: string, body: string, headers: Record<string, string> = {}) {
  return s.http.post('/v1/waiting-list/imports?mode=partial').set(bearer(token)).set('Content-Type', 'text/csv').set(headers).send(body);
}

const stagingExists = async (importId: string) => (await s.prisma.sql.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [stagingTable(importId)])).rows[0]!.t !== null;

describe('the import job', () => {
  beforeAll(async () => {
    s = await startStack({ worker: false });
    c = await cast();
  });
  afterAll(async () => {
    await s?.close();
  });

  /** An upload of `lines`, staged, its job not yet enqueued (no worker, so no outbox relay, runs). */
  async function staged(lines: string[]) {
    const res = await upload(c.clerkRLT, csv(lines));
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  it('applies a batch of at most WAITING_LIST_BATCH_BYTES of rows (besides WAITING_LIST_BATCH_ROWS), from staging of its own, dropped when the import ends', async () => {
    // 100 rows of 2,000-character names (rejected by validation, but staged and read all the same).
    const id = await staged(Array.from({ length: 100 }, () => row({ family_name: 'N'.repeat(2_000) })));
    expect(await stagingExists(id)).toBe(true);
    const importer = new WaitingListImporter(s.prisma, loadConfig());
    expect(await importer.start(id)).toBe(1);
    const batches: number[] = [];
    for (let n; (n = await importer.applyBatch(id)) > 0; ) batches.push(n);
    // 64 KB of values at most, one row more than fits: 32 rows of 2,000-odd bytes, not the 100 that 5,000 rows a batch would take.
    expect(batches).toEqual([32, 32, 32, 4]);
    await importer.run(id);
    const done = (await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(c.clerkRLT))).body;
    expect(done).toMatchObject({ status: 'completed', rowsRead: 100, rejected: 100, accepted: 0 });
    expect(await stagingExists(id)).toBe(false);
  });
});
