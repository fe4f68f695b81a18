import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Least privilege for the money (issue 16, item 5). The runtime role loses UPDATE and DELETE on the sink
 * (`transactions`) and on its integrity rows, and DELETE on the tables it never deletes from. What must
 * still change goes through owner functions that check their preconditions and record themselves in
 * `sink_removals` (append-only, readable by the runtime role, written only by these functions):
 *
 * - `strongroom_unpublish_run(run)`: removes the rows of a run that ended FAILED or CANCELLED (never of
 *   a published run: a SUCCEEDED run cannot leave SUCCEEDED, a trigger on `job_runs` sees to it);
 * - `strongroom_purge_transactions(job, days, now, limit)`: removes rows whose booking date is older
 *   than the retention (the job's own retention, when it has one, is the only one accepted), never rows
 *   under an active legal hold, never with a clock ahead of the database's;
 * - key rotation re-encrypts the four encrypted columns through a column grant, and a trigger accepts
 *   only ciphertext replacing ciphertext while a rotation is RUNNING.
 */
export class LeastPrivilege1765000000000 implements MigrationInterface {
  name = 'LeastPrivilege1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON transactions, transaction_integrity FROM strongroom_runtime`);
    await q.query(
      `REVOKE DELETE, TRUNCATE ON jobs, job_versions, job_runs, run_checkpoints, ingest_batches, performance_metrics,
         circuit_breaker_states, legal_holds, kyc_customers, key_rotations FROM strongroom_runtime`,
    );
    await q.query(`REVOKE UPDATE ON job_versions FROM strongroom_runtime`);
    await q.query(`
      CREATE TABLE sink_removals (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        removed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        database_user  text NOT NULL DEFAULT session_user,
        reason         text NOT NULL CHECK (reason IN ('UNPUBLISHED','RETENTION')),
        job_id         uuid NOT NULL REFERENCES jobs(id),
        run_id         uuid REFERENCES job_runs(id),
        row_count      bigint NOT NULL CHECK (row_count > 0),
        details        jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TRIGGER sink_removals_no_update_delete BEFORE UPDATE OR DELETE ON sink_removals
        FOR EACH ROW EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`
      CREATE TRIGGER sink_removals_no_truncate BEFORE TRUNCATE ON sink_removals
        FOR EACH STATEMENT EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`GRANT SELECT ON sink_removals TO strongroom_runtime`);

    // a published run stays published
    await q.query(`
      CREATE FUNCTION strongroom_published_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'SUCCEEDED' AND NEW.status IS DISTINCT FROM 'SUCCEEDED' THEN
          RAISE EXCEPTION 'run % is published (SUCCEEDED) and cannot become %', OLD.id, NEW.status
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER job_runs_published_is_final BEFORE UPDATE OF status ON job_runs
        FOR EACH ROW EXECUTE FUNCTION strongroom_published_is_final()`);

    await q.query(`
      CREATE FUNCTION strongroom_unpublish_run(p_run_id uuid) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_status text;
        v_job uuid;
        v_rows bigint;
      BEGIN
        SELECT status, job_id INTO v_status, v_job FROM job_runs WHERE id = p_run_id FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'run % does not exist', p_run_id USING ERRCODE = 'no_data_found';
        END IF;
        IF v_status NOT IN ('FAILED', 'CANCELLED') THEN
          RAISE EXCEPTION 'run % is %: only the rows of a FAILED or CANCELLED run may be removed', p_run_id, v_status
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        WITH d AS (DELETE FROM transactions WHERE run_id = p_run_id RETURNING 1) SELECT count(*) INTO v_rows FROM d;
        IF v_rows > 0 THEN
          INSERT INTO sink_removals (reason, job_id, run_id, row_count, details)
            VALUES ('UNPUBLISHED', v_job, p_run_id, v_rows, jsonb_build_object('status', v_status));
        END IF;
        RETURN v_rows;
      END $$`);

    await q.query(`
      CREATE FUNCTION strongroom_purge_transactions(p_job_id uuid, p_retention_days integer, p_now timestamptz, p_limit integer)
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

    // key rotation: ciphertext may replace ciphertext in the encrypted columns, during a rotation only
    await q.query(
      `GRANT UPDATE (account, counterparty_account, counterparty_name, reference) ON transactions TO strongroom_runtime`,
    );
    await q.query(`
      CREATE FUNCTION strongroom_reencrypt_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_user = (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'transactions')
           OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          RETURN NEW;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM key_rotations WHERE status = 'RUNNING') THEN
          RAISE EXCEPTION 'transactions change only by re-encryption during a key rotation'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT ((NEW.account IS NOT DISTINCT FROM OLD.account OR (OLD.account LIKE 'enc:v1:%' AND NEW.account LIKE 'enc:v1:%'))
            AND (NEW.counterparty_account IS NOT DISTINCT FROM OLD.counterparty_account
                 OR (OLD.counterparty_account LIKE 'enc:v1:%' AND NEW.counterparty_account LIKE 'enc:v1:%'))
            AND (NEW.counterparty_name IS NOT DISTINCT FROM OLD.counterparty_name
                 OR (OLD.counterparty_name LIKE 'enc:v1:%' AND NEW.counterparty_name LIKE 'enc:v1:%'))
            AND (NEW.reference IS NOT DISTINCT FROM OLD.reference
                 OR (OLD.reference LIKE 'enc:v1:%' AND NEW.reference LIKE 'enc:v1:%'))) THEN
          RAISE EXCEPTION 'transaction %: only ciphertext may replace ciphertext', OLD.id
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER transactions_reencrypt_only BEFORE UPDATE ON transactions
        FOR EACH ROW EXECUTE FUNCTION strongroom_reencrypt_only()`);

    for (const fn of [
      'strongroom_unpublish_run(uuid)',
      'strongroom_purge_transactions(uuid, integer, timestamptz, integer)',
    ]) {
      await q.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
      await q.query(`GRANT EXECUTE ON FUNCTION ${fn} TO strongroom_runtime`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER transactions_reencrypt_only ON transactions`);
    await q.query(`DROP FUNCTION strongroom_reencrypt_only()`);
    await q.query(
      `REVOKE UPDATE (account, counterparty_account, counterparty_name, reference) ON transactions FROM strongroom_runtime`,
    );
    await q.query(`DROP FUNCTION strongroom_purge_transactions(uuid, integer, timestamptz, integer)`);
    await q.query(`DROP FUNCTION strongroom_unpublish_run(uuid)`);
    await q.query(`DROP TRIGGER job_runs_published_is_final ON job_runs`);
    await q.query(`DROP FUNCTION strongroom_published_is_final()`);
    await q.query(`DROP TABLE sink_removals`);
    await q.query(`GRANT UPDATE ON job_versions TO strongroom_runtime`);
    await q.query(
      `GRANT DELETE ON jobs, job_versions, job_runs, run_checkpoints, ingest_batches, performance_metrics,
         circuit_breaker_states TO strongroom_runtime`,
    );
    await q.query(`GRANT UPDATE, DELETE ON transactions, transaction_integrity TO strongroom_runtime`);
  }
}
