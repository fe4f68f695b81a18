/**
 * A run's rows in the sink, for a FROM clause (as `t`): the sink has no index on the run, so its rows are
 * read by the id ranges its batches recorded, each range by the primary key. OFFSET 0 keeps the per-range
 * read a subquery: joined directly, the ranges and the sink are planned as a scan of the whole sink.
 * `run` is a SQL expression of the run id (a parameter, or a column of a table before it).
 */
export const runRows = (run: string): string =>
  `strongroom_run_ranges(${run}) r
   CROSS JOIN LATERAL (SELECT * FROM transactions x WHERE x.id BETWEEN r.lo AND r.hi AND x.run_id = ${run} OFFSET 0) t`;
