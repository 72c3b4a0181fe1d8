// Plain SQL on the same pg pool as Prisma, for the hot paths (a stage change, the referral view,
// the audit insert). Prisma 6's client engine compiles every model query in WebAssembly on the
// event loop (about 1 ms of CPU each, measured in docs/benchmarks.md); a parameterised statement
// sent straight to pg costs about a quarter of that. Prisma stays for everything else.
import { createHash } from 'node:crypto';
import pg from 'pg';

/** Something that runs a parameterised statement: the pool, or one connection inside a transaction. */
export interface SqlRunner {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

/** A statement text with its values, built so values never enter the text. */
export class SqlParams {
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder ($1, $2...). */
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * Runs `fn` in one transaction on one pooled connection (the client itself, for what needs more
 * than statements, such as a COPY stream): COMMIT if it returns, ROLLBACK if it
 * throws. A connection that failed mid-transaction is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const hooks: Array<() => Promise<void>> = [];
  let out: T;
  try {
    await client.query('BEGIN');
    (client as HookedRunner)[COMMIT_HOOKS] = hooks;
    out = await fn(client);
    await client.query('COMMIT');
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw e;
  } finally {
    delete (client as HookedRunner)[COMMIT_HOOKS];
    client.release(broken);
  }
  // Committed, and the connection back in the pool: what waited for the commit runs now, before
  // the caller goes on (a request answers, a job completes). A hook handles its own failures.
  for (const hook of hooks) await hook();
  return out;
}

const COMMIT_HOOKS = Symbol('crosstrust.commitHooks');
type HookedRunner = SqlRunner & { [COMMIT_HOOKS]?: Array<() => Promise<void>> };

/** True when `runner` is inside inTransaction, so afterCommit would run a hook for it. */
export function hasCommitHooks(runner: SqlRunner): boolean {
  return (runner as HookedRunner)[COMMIT_HOOKS] !== undefined;
}

/**
 * Runs `hook` once the transaction `runner` belongs to has committed (never after a rollback).
 * False, and nothing registered, when `runner` is not inside inTransaction (see hasCommitHooks).
 */
export function afterCommit(runner: SqlRunner, hook: () => Promise<void>): boolean {
  const hooks = (runner as HookedRunner)[COMMIT_HOOKS];
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}

/**
 * Runs a statement unprepared, planned for its values at each call: a config object, which
 * PreparingClient passes through as it is. For statement texts made per use (a waiting-list
 * import's staging table has a name of its own), which would otherwise leave a prepared statement
 * per text on every connection and fill the cache of statement names.
 */
export function queryUnprepared<R extends pg.QueryResultRow = pg.QueryResultRow>(
  runner: SqlRunner,
  text: string,
  values: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  return (runner as unknown as pg.ClientBase).query<R>({ text, values: [...values] });
}

/** The SQLSTATE of a Postgres error, if it is one. */
function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A unique index refused the row (SQLSTATE 23505), e.g. a second open referral for a pathway. */
export function isUniqueViolation(e: unknown): boolean {
  return sqlState(e) === '23505';
}

/** Postgres refused a value (SQLSTATE class 22) or a constraint (class 23). */
export function isDataError(e: unknown): boolean {
  return /^2[23]/.test(sqlState(e) ?? '');
}

/** Statement texts seen, with their prepared-statement names (bounded: past the cap, statements are sent unnamed). */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 1_000;

/** A row count given as a value: `LIMIT $n`. */
const VALUE_LIMIT = /\bLIMIT\s+\$\d/i;

function statementName(text: string): string | undefined {
  // Left unnamed, so planned for its values at every call: after five calls Postgres may keep one
  // generic plan for a prepared statement, and for `LIMIT $n` that plan guesses the row count
  // (a tenth of the table). An import's batch read of its staging rows took the waiting-list e2e
  // from 9 s to 90 s that way. Worklists, matching and the import's batches are such reads.
  if (VALUE_LIMIT.test(text)) return undefined;
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `ct_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * pg's Client, with every parameterised statement sent as `query(text, values)` prepared once per
 * connection and then only bound and executed: Postgres parses and plans it once per connection
 * instead of at every call. The name is a hash of the text, so one text is one statement however
 * it was built. Config objects (Prisma's adapter sends those) and statements without values pass
 * through as they are.
 */
export class PreparingClient extends pg.Client {
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(config);
      // pool.query passes a callback; a query on a checked-out client returns a promise.
      if (name) return (super.query as (...a: unknown[]) => never)({ name, text: config, values }, callback);
    }
    return (super.query as (...a: unknown[]) => never)(config, values, callback);
  }
}
