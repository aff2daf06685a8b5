/**
 * Rows of values as a derived table: `WITH d(a, b) AS (VALUES (?, ?), …) SELECT * FROM d`, a table
 * value constructor (MariaDB parses and plans it about a third faster than a UNION ALL of one-row SELECTs).
 */
export function derivedRows(columns: string[], rows: unknown[][]): { sql: string; args: unknown[] } {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return { sql: `WITH d(${columns.join(', ')}) AS (VALUES ${rows.map(() => tuple).join(', ')}) SELECT * FROM d`, args: rows.flat() };
}
