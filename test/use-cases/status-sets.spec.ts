// The domain's named status sets against the database: the enum, and the partial indexes whose
// predicates name a set (they are written in migrations, so only a test keeps the two in step),
// and the sweep's statement that must repeat one such predicate keeps its index in a generic plan.
import { describe, expect, it, jest } from '@jest/globals';
import { APP_CONFIG, type AppConfig } from '#config';
import { FINAL_STATUSES, REFERRAL_STATUSES, WORKLIST_ARRIVALS } from '#domain';
import { PreparingClient } from '#persistence';
import { ReminderSweep } from '#workflow';
import { useUseCaseContext } from './use-case-context.js';

const { app, db } = useUseCaseContext();

/** The quoted words of an index's predicate that are referral statuses, in their order there. */
async function statusesInIndex(name: string): Promise<string[]> {
  const { rows } = await db.sql.query<{ def: string }>('SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = $1::regclass', [name]);
  expect(rows).toHaveLength(1);
  const where = rows[0].def.slice(rows[0].def.indexOf(' WHERE '));
  return [...where.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).filter((w) => (REFERRAL_STATUSES as readonly string[]).includes(w));
}

describe('named status sets in the database', () => {
  it('the ReferralStatus enum has the domain statuses, in order', async () => {
    const { rows } = await db.sql.query<{ label: string }>(
      `SELECT enumlabel AS label FROM pg_enum WHERE enumtypid = '"ReferralStatus"'::regtype ORDER BY enumsortorder`,
    );
    expect(rows.map((r) => r.label)).toEqual([...REFERRAL_STATUSES]);
  });

  it('one open referral per pathway: the unique index leaves out exactly the final statuses', async () => {
    expect((await statusesInIndex('referral_open_pathway_key')).sort()).toEqual([...FINAL_STATUSES].sort());
  });

  it('the staff-email index holds the stage changes into exactly the worklist arrivals', async () => {
    expect(await statusesInIndex('timeline_event_worklist_at_idx')).toEqual([...WORKLIST_ARRIVALS.keys()]);
  });
});

describe("the reminder sweep's statements", () => {
  it('the staff-email read of the timeline keeps its partial index in a generic plan', async () => {
    const spy = jest.spyOn(PreparingClient.prototype, 'query');
    let texts: string[];
    try {
      await new ReminderSweep(db, app.get<AppConfig>(APP_CONFIG)).sweepOnce();
      texts = spy.mock.calls.map((c) => c[0]).filter((t): t is string => typeof t === 'string');
    } finally {
      spy.mockRestore();
    }
    const events = texts.filter((t) => t.includes('FROM timeline_event e'));
    expect(events).toHaveLength(1);
    // A prepared statement is planned once for any values after a few runs; seq scans off so that
    // the table's size here does not decide: only a predicate the index's implies can use it.
    const plan = await db.sqlTransaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (GENERIC_PLAN) ${events[0]}`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/(Bitmap Index Scan on|Index (Only )?Scan using) timeline_event_worklist_at_idx\b/);
  });
});
