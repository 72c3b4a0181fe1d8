// The pool's connections prepare each parameterised statement once (PreparingClient): Postgres
// parses and plans it at its first call on a connection, and later calls only bind and execute.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PreparingClient } from '#persistence';

let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1, Client: PreparingClient });
});

afterAll(async () => {
  await pool.end();
});

const prepared = async (client: pg.PoolClient) =>
  (await client.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time')).rows;

describe('PreparingClient', () => {
  it('prepares a statement with values once per connection, and reuses it', async () => {
    const client = await pool.connect();
    try {
      expect(await prepared(client)).toEqual([]);
      for (const n of [1, 2, 3]) expect((await client.query<{ n: number }>('SELECT $1::int + 1 AS n', [n])).rows).toEqual([{ n: n + 1 }]);
      const after = await prepared(client);
      expect(after).toHaveLength(1);
      expect(after[0].name).toMatch(/^ct_/);
      expect(after[0].statement).toBe('SELECT $1::int + 1 AS n');
      // Another text is another statement.
      await client.query('SELECT $1::text AS s', ['x']);
      expect((await prepared(client)).map((r) => r.statement)).toEqual(['SELECT $1::int + 1 AS n', 'SELECT $1::text AS s']);
    } finally {
      client.release();
    }
  });

  it('works through pool.query (its callback form) and inside a transaction, and an error leaves the statement usable', async () => {
    expect((await pool.query<{ n: number }>('SELECT $1::int * 2 AS n', [21])).rows).toEqual([{ n: 42 }]);
    await expect(pool.query('SELECT 1 / $1::int AS n', [0])).rejects.toThrow(/division by zero/);
    expect((await pool.query<{ n: number }>('SELECT 1 / $1::int AS n', [1])).rows).toEqual([{ n: 1 }]);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect((await client.query<{ n: number }>('SELECT $1::int * 2 AS n', [5])).rows).toEqual([{ n: 10 }]);
      await client.query('COMMIT');
      const names = (await prepared(client)).map((r) => r.statement);
      expect(names).toContain('SELECT $1::int * 2 AS n');
      expect(names).toContain('SELECT 1 / $1::int AS n');
    } finally {
      client.release();
    }
  });

  it('leaves statements without values and config objects (as Prisma sends) unprepared', async () => {
    const client = await pool.connect();
    try {
      const before = (await prepared(client)).length;
      await client.query('SELECT 1 AS one');
      await client.query({ text: 'SELECT $1::int AS two', values: [2] });
      await client.query({ text: 'SELECT $1::int AS three', values: [3], rowMode: 'array' });
      expect(await prepared(client)).toHaveLength(before);
    } finally {
      client.release();
    }
  });

  it('leaves a statement with a row count as a value (LIMIT $n) unprepared: planned for its values at every call', async () => {
    const client = await pool.connect();
    try {
      const before = (await prepared(client)).length;
      for (const n of [1, 2, 3, 4, 5, 6, 7]) expect((await client.query('SELECT g FROM generate_series(1, 10) g LIMIT $1', [n])).rowCount).toBe(n);
      expect(await prepared(client)).toHaveLength(before);
    } finally {
      client.release();
    }
  });
});
