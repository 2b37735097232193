import type pg from 'pg';

/**
 * ANALYZE of the relay's tables in this schema that hold rows but have never been
 * analyzed, by hand or by autovacuum: a database restored from a dump (pg_restore
 * brings the rows, not the statistics) or filled before the relay first starts.
 * Tables with statistics, and empty ones, are left to autovacuum. ANALYZE reads a
 * fixed sample, so it takes about a second at most, whatever the table's size.
 */
export async function analyzeNeverAnalyzed(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(`select relname as name from pg_stat_user_tables
    where schemaname = current_schema() and relname like 'relay\\_%' and n_live_tup > 0 and last_analyze is null and last_autoanalyze is null
    order by relname`);
  if (rows.length === 0) return;
  await pool.query(`analyze ${rows.map(({ name }) => `"${name.replaceAll('"', '""')}"`).join(', ')}`);
}
