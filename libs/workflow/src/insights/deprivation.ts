// Where a patient's IMD decile comes from: their postcode, through the ONS postcode directory's LSOA
// (the `postcode` table the service directory's loader fills), to imd_lsoa. The one place that join
// is written: without the postcode directory loaded, every patient's decile is unknown.
import type { SqlRunner } from '#persistence';

/** Whether the postcode directory is in this database (its table and both LSOA columns). */
export async function postcodeDirectoryPresent(sql: SqlRunner): Promise<boolean> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'postcode' AND column_name IN ('postcode', 'lsoa11', 'lsoa21')`,
  );
  return rows[0].n === 3;
}

/**
 * The SQL expression of the decile of patient `p` (null when unknown), and the joins it needs. The
 * directory keys postcodes in upper case without spaces; imd_lsoa holds whichever census's codes
 * the loaded edition uses, so both are tried.
 */
export function decileSql(present: boolean, patient = 'p'): { joins: string; decile: string } {
  if (!present) return { joins: '', decile: 'NULL::int' };
  return {
    joins: `LEFT JOIN postcode pc ON pc.postcode = upper(replace(${patient}.postcode, ' ', ''))
            LEFT JOIN imd_lsoa i21 ON i21.lsoa = pc.lsoa21
            LEFT JOIN imd_lsoa i11 ON i11.lsoa = pc.lsoa11`,
    decile: 'COALESCE(i21.decile, i11.decile)::int',
  };
}
