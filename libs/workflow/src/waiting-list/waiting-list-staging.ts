// Where an upload's rows wait for the import job: a table of their own per import, in the schema
// waiting_list_staging, made in the upload's transaction and dropped in the one that ends the import.
//
// Why a table per import (migration waiting_list_staging_tables): a shared table emptied batch by
// batch kept every applied row as a dead tuple until vacuum got to it, and a large import's
// statistics slowed the next import's batches fourteenfold (docs/benchmarks.md); a dropped table
// returns its space at once, and an import reads only its own rows. The table's name is built from the
// import's id, so each statement on it has its own text: those with values go through
// queryUnprepared (libs/persistence/src/sql.ts), so no connection keeps a prepared statement per import.
import { isUuid, WAITING_LIST_COLUMNS } from '#domain';

/** The staging table of an import, schema-qualified and quoted (the id is checked: only hex digits reach the name). */
export function stagingTable(importId: string): string {
  if (!isUuid(importId)) throw new Error('not an import id');
  return `waiting_list_staging."i_${importId.toLowerCase().replace(/-/g, '')}"`;
}

/**
 * The table for an import's rows as received: text, unvalidated. Rows are only ever inserted (by
 * COPY) and read in row order, then the table goes whole, so autovacuum has nothing to do on it.
 */
export function createStagingTableSql(importId: string): string {
  return `CREATE TABLE ${stagingTable(importId)} (
    row_number INTEGER PRIMARY KEY, field_count INTEGER NOT NULL, ${WAITING_LIST_COLUMNS.map((c) => `${c} TEXT`).join(', ')}
  ) WITH (autovacuum_enabled = false)`;
}

export function copyIntoStagingSql(importId: string): string {
  return `COPY ${stagingTable(importId)} (row_number, field_count, ${WAITING_LIST_COLUMNS.join(', ')}) FROM STDIN`;
}

export function dropStagingTableSql(importId: string): string {
  return `DROP TABLE IF EXISTS ${stagingTable(importId)}`;
}

/**
 * The next batch of an import's staged rows after `$1` (the last row applied), in row order: at
 * most `$2` rows and, past the first, at most `$3` bytes of values (a batch is held whole in the
 * worker's memory, so rows of many kilobytes must make smaller batches).
 */
export function nextBatchSql(importId: string): string {
  const size = `octet_length(concat(${WAITING_LIST_COLUMNS.join(', ')}))`;
  return `SELECT row_number, field_count, ${WAITING_LIST_COLUMNS.join(', ')} FROM (
      SELECT s.*, sum(${size}) OVER (ORDER BY row_number) - ${size} AS bytes_before
      FROM (SELECT * FROM ${stagingTable(importId)} WHERE row_number > $1 ORDER BY row_number LIMIT $2) s
    ) b
    WHERE bytes_before < $3 ORDER BY row_number`;
}
