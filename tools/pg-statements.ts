// PostgreSQL's time by statement for the profiling tools (pg_stat_statements, server side: execution and
// planning).

/** Server settings that load pg_stat_statements, with planning time tracked (a cluster started with them). */
export const PG_STATEMENTS_SETTINGS: Record<string, string> = {
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track': 'all',
  'pg_stat_statements.track_planning': 'on',
};

interface Queryable {
  query: (q: string) => Promise<Record<string, string>[]>;
}

/** Creates the extension (once) and empties its counters: what runs next is what printStatements shows. */
export async function resetStatements(ds: Queryable): Promise<void> {
  await ds.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await ds.query('SELECT pg_stat_statements_reset()');
}

/** The statements of the run by server time (execution and planning), with µs per input row. */
export async function printStatements(ds: Queryable, rows: number) {
  const top = await ds.query(
    `SELECT calls::text, round((total_exec_time + total_plan_time)::numeric, 0)::text AS ms, rows::text,
            regexp_replace(query, '\\s+', ' ', 'g') AS q
       FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
      ORDER BY total_exec_time + total_plan_time DESC LIMIT 15`,
  );
  console.log('server time by statement (ms, µs per input row, calls, rows):');
  for (const t of top)
    console.log(
      `${String(t.ms).padStart(8)} ${((Number(t.ms) * 1000) / rows).toFixed(2).padStart(7)} ${String(t.calls).padStart(6)} ${String(t.rows).padStart(8)}  ${brief(String(t.q))}`,
    );
}

// the start and the end of a statement (the end tells the AML rules apart: their constants are normalized away)
const brief = (q: string) => (q.length <= 200 ? q : `${q.slice(0, 70)} … ${q.slice(-125)}`);
