import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Legal holds under field encryption (issue 17, item 5). A RESTRICTED job stores its accounts encrypted,
 * with a blind index (HMAC) beside them; an account hold compared its clear value with the ciphertext and
 * held nothing, so the retention purge removed the rows it should have kept. A hold now also records the
 * blind index of its account (computed by the engine, which holds the key), and the purge keeps a row whose
 * account or blind index matches an active hold.
 */
export class HoldsBlindIndex1765100000000 implements MigrationInterface {
  name = 'HoldsBlindIndex1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE legal_holds ADD COLUMN value_bidx text`);
    await q.query(
      `CREATE INDEX legal_holds_active_bidx_idx ON legal_holds (value_bidx) WHERE released_at IS NULL AND value_bidx IS NOT NULL`,
    );
    await q.query(`
      CREATE OR REPLACE FUNCTION strongroom_purge_transactions(p_job_id uuid, p_retention_days integer, p_now timestamptz, p_limit integer)
        RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_job_days integer;
        v_cutoff timestamptz;
        v_rows bigint;
      BEGIN
        SELECT retention_days INTO v_job_days FROM jobs WHERE id = p_job_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'job % does not exist', p_job_id USING ERRCODE = 'no_data_found';
        END IF;
        IF p_retention_days IS NULL OR p_retention_days < 1 OR (v_job_days IS NOT NULL AND p_retention_days <> v_job_days) THEN
          RAISE EXCEPTION 'retention of % days refused for job % (its retention is % days)', p_retention_days, p_job_id, v_job_days
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_now IS NULL OR p_now > clock_timestamp() + interval '5 minutes' THEN
          RAISE EXCEPTION 'retention purge measured from % refused: later than the database clock', p_now
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000000 THEN
          RAISE EXCEPTION 'purge batch size % refused', p_limit USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_cutoff := p_now - make_interval(days => p_retention_days);
        WITH d AS (
          DELETE FROM transactions WHERE id IN (
            SELECT t.id FROM transactions t
             WHERE t.run_id IN (SELECT r.id FROM job_runs r WHERE r.job_id = p_job_id)
               AND t.booked_at < v_cutoff
               AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
                     (h.scope = 'ACCOUNT' AND (h.value = t.account OR h.value_bidx = t.account_bidx)) OR (h.scope = 'RUN' AND h.value = t.run_id::text)
                     OR (h.scope = 'JOB' AND h.value = p_job_id::text)))
             LIMIT p_limit)
          RETURNING 1)
        SELECT count(*) INTO v_rows FROM d;
        IF v_rows > 0 THEN
          INSERT INTO sink_removals (reason, job_id, row_count, details)
            VALUES ('RETENTION', p_job_id, v_rows, jsonb_build_object('retentionDays', p_retention_days, 'cutoff', v_cutoff));
        END IF;
        RETURN v_rows;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION strongroom_purge_transactions(p_job_id uuid, p_retention_days integer, p_now timestamptz, p_limit integer)
        RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_job_days integer;
        v_cutoff timestamptz;
        v_rows bigint;
      BEGIN
        SELECT retention_days INTO v_job_days FROM jobs WHERE id = p_job_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'job % does not exist', p_job_id USING ERRCODE = 'no_data_found';
        END IF;
        IF p_retention_days IS NULL OR p_retention_days < 1 OR (v_job_days IS NOT NULL AND p_retention_days <> v_job_days) THEN
          RAISE EXCEPTION 'retention of % days refused for job % (its retention is % days)', p_retention_days, p_job_id, v_job_days
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_now IS NULL OR p_now > clock_timestamp() + interval '5 minutes' THEN
          RAISE EXCEPTION 'retention purge measured from % refused: later than the database clock', p_now
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000000 THEN
          RAISE EXCEPTION 'purge batch size % refused', p_limit USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_cutoff := p_now - make_interval(days => p_retention_days);
        WITH d AS (
          DELETE FROM transactions WHERE id IN (
            SELECT t.id FROM transactions t
             WHERE t.run_id IN (SELECT r.id FROM job_runs r WHERE r.job_id = p_job_id)
               AND t.booked_at < v_cutoff
               AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
                     (h.scope = 'ACCOUNT' AND h.value = t.account) OR (h.scope = 'RUN' AND h.value = t.run_id::text)
                     OR (h.scope = 'JOB' AND h.value = p_job_id::text)))
             LIMIT p_limit)
          RETURNING 1)
        SELECT count(*) INTO v_rows FROM d;
        IF v_rows > 0 THEN
          INSERT INTO sink_removals (reason, job_id, row_count, details)
            VALUES ('RETENTION', p_job_id, v_rows, jsonb_build_object('retentionDays', p_retention_days, 'cutoff', v_cutoff));
        END IF;
        RETURN v_rows;
      END $$`);
    await q.query(`DROP INDEX legal_holds_active_bidx_idx`);
    await q.query(`ALTER TABLE legal_holds DROP COLUMN value_bidx`);
  }
}
