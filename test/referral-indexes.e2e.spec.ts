// The referral table's indexes as a stage change pays for them: none redundant, the worklists still served by an index, room for HOT updates.
import { describe, expect, it } from '@jest/globals';
import { useStack } from './support/stack.js';

const { s } = useStack({ worker: false });

interface IndexRow {
  name: string;
  columns: string[];
  predicate: string | null;
  unique: boolean;
}

async function indexesOf(table: string): Promise<IndexRow[]> {
  const { rows } = await s.prisma.sql.query<IndexRow>(
    `SELECT c.relname AS name, i.indisunique AS unique, pg_get_expr(i.indpred, i.indrelid) AS predicate,
            array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows;
}

describe('the referral table', () => {
  it('has no index that is a leading prefix of another with the same predicate (each is one more entry per stage change)', async () => {
    const indexes = await indexesOf('referral');
    const redundant = indexes.flatMap((a) =>
      indexes
        .filter((b) => b !== a && !a.unique && a.predicate === b.predicate && a.columns.length < b.columns.length)
        .filter((b) => a.columns.every((col, i) => b.columns[i] === col))
        .map((b) => `${a.name} (${a.columns.join(', ')}) is a prefix of ${b.name} (${b.columns.join(', ')})`),
    );
    expect(redundant).toEqual([]);
  });

  it("still serves a trust's referrals in a status from an index led by (trust, status), on either side", async () => {
    const indexes = await indexesOf('referral');
    for (const side of ['origin_ods', 'receiving_ods']) {
      const led = indexes.filter((i) => i.predicate === null && i.columns[0] === side && i.columns[1] === 'status').map((i) => i.name);
      expect([side, led]).toEqual([side, [`referral_${side.split('_')[0]}_priority_idx`, `referral_${side.split('_')[0]}_worklist_idx`]]);
    }
  });

  it('leaves room on each page for heap-only updates of the rows a transition updates', async () => {
    const { rows } = await s.prisma.sql.query<{ relname: string; options: string[] | null }>(
      `SELECT relname, reloptions AS options FROM pg_class WHERE relname = ANY($1::text[]) AND relkind = 'r' ORDER BY relname`,
      [['notification', 'outbox_message', 'referral']],
    );
    expect(rows.map((r) => [r.relname, r.options ?? []])).toEqual([
      ['notification', ['fillfactor=90']],
      ['outbox_message', ['fillfactor=90']],
      ['referral', ['fillfactor=90']],
    ]);
  });
});
