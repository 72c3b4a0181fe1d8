// Loads an English Index of Multiple Deprivation file (the official "File 7" CSV of IMD 2019 or 2025,
// or the demo extract prisma/data/imd-demo.csv, which has the same columns) into imd_lsoa: LSOA code
// and IMD decile only. Columns are found by their published headings, so either edition loads.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const LSOA_COLUMN = /^LSOA code \((2011|2021)\)$/i;
const DECILE_COLUMN = /^Index of Multiple Deprivation \(IMD\) Decile/i;
const BATCH = 5000;

/**
 * Reads `file` and replaces imd_lsoa with it in one transaction (a failed load leaves the previous
 * one). `client` is a connected pg client. Returns the rows loaded and the edition ("IMD 2019": LSOA 2011 codes).
 */
export async function loadImd(client, file) {
  const parser = createReadStream(file).pipe(parse({ bom: true, relax_column_count: false }));
  let lsoaAt = -1;
  let decileAt = -1;
  let edition = '';
  let line = 0;
  let batch = [];
  let loaded = 0;
  const flush = async () => {
    if (!batch.length) return;
    await client.query(
      `INSERT INTO imd_lsoa (lsoa, decile, edition) SELECT l, d, $3 FROM unnest($1::text[], $2::smallint[]) AS t(l, d)
       ON CONFLICT (lsoa) DO UPDATE SET decile = EXCLUDED.decile, edition = EXCLUDED.edition, loaded_at = now()`,
      [batch.map((b) => b[0]), batch.map((b) => b[1]), edition],
    );
    loaded += batch.length;
    batch = [];
  };
  await client.query('BEGIN');
  try {
    await client.query('DELETE FROM imd_lsoa');
    for await (const row of parser) {
      line += 1;
      if (line === 1) {
        lsoaAt = row.findIndex((h) => LSOA_COLUMN.test(h.trim()));
        decileAt = row.findIndex((h) => DECILE_COLUMN.test(h.trim()));
        if (lsoaAt < 0 || decileAt < 0)
          throw new Error(`${file}: the header has no "LSOA code (2011)" or "(2021)" column, or no "Index of Multiple Deprivation (IMD) Decile" column`);
        edition = LSOA_COLUMN.exec(row[lsoaAt].trim())[1] === '2011' ? 'IMD 2019' : 'IMD 2025';
        continue;
      }
      const lsoa = row[lsoaAt].trim();
      const decile = Number(row[decileAt]);
      if (!/^[EW]0\d{7}$/.test(lsoa) || !Number.isInteger(decile) || decile < 1 || decile > 10)
        throw new Error(`${file}, row ${line}: expected an LSOA code and a decile from 1 to 10, found "${lsoa}" and "${row[decileAt]}"`);
      batch.push([lsoa, decile]);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  return { loaded, edition };
}
