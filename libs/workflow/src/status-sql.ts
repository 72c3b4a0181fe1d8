// Referral statuses in SQL, always from the domain's named sets (libs/domain/src/referral-status.ts),
// never written out by hand: as parameters, or as literals where a statement must repeat a partial
// index's predicate.
import { isReferralStatus, type ReferralStatus } from '#domain';
import type { SqlParams } from '#persistence';

/**
 * `column` is one of `statuses`, through a parameter: one status as an equality, so the planner
 * reads an ordered (ods, status, ...) index range instead of sorting every match; several as ANY.
 */
export function statusMatch(column: string, statuses: readonly ReferralStatus[], p: SqlParams): string {
  return statuses.length === 1 ? `${column} = ${p.add(statuses[0])}::"ReferralStatus"` : `${column} = ANY(${p.add([...statuses])}::"ReferralStatus"[])`;
}

/**
 * The statuses as a list of SQL literals. Only for a statement whose text must imply a partial
 * index's predicate: Postgres keeps a generic plan for a prepared statement after a few runs, and a
 * generic plan cannot prove that a parameter's value implies the predicate, so it would read the
 * whole table instead of the index.
 */
export function statusLiterals(statuses: Iterable<ReferralStatus>): string {
  return [...statuses]
    .map((s) => {
      if (!isReferralStatus(s)) throw new Error(`Not a referral status: ${String(s)}`);
      return `'${s}'`;
    })
    .join(', ');
}
