import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Governance that holds when the engine dies mid-decision or acts alone:
 * - an approved request is first marked APPROVING (with its approver) and only then carried out, so a crash
 *   between the action and its record leaves the request in doubt for a person to look at — never PENDING,
 *   where a second approval would carry the action out twice;
 * - the engine's role may no longer DELETE alerts: a run that ends FAILED or CANCELLED withdraws the alerts
 *   it raised through the owner's function `strongroom_withdraw_alerts`, which checks the run's state.
 */
export class GovernanceInDoubt1765500000000 implements MigrationInterface {
  name = 'GovernanceInDoubt1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approval_requests DROP CONSTRAINT approval_requests_status_check`);
    await q.query(
      `ALTER TABLE approval_requests ADD CONSTRAINT approval_requests_status_check
         CHECK (status IN ('PENDING','APPROVING','APPROVED','REJECTED'))`,
    );
    await q.query(`REVOKE DELETE, TRUNCATE ON compliance_alerts FROM strongroom_runtime`);
    await q.query(`
      CREATE FUNCTION strongroom_withdraw_alerts(p_run_id uuid) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      DECLARE
        v_status text;
        v_alerts bigint;
      BEGIN
        SELECT status INTO v_status FROM job_runs WHERE id = p_run_id FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'run % does not exist', p_run_id USING ERRCODE = 'no_data_found';
        END IF;
        IF v_status NOT IN ('FAILED', 'CANCELLED') THEN
          RAISE EXCEPTION 'run % is %: only the alerts of a FAILED or CANCELLED run may be withdrawn', p_run_id, v_status
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        WITH d AS (DELETE FROM compliance_alerts WHERE run_id = p_run_id RETURNING 1) SELECT count(*) INTO v_alerts FROM d;
        RETURN v_alerts;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION strongroom_withdraw_alerts(uuid) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION strongroom_withdraw_alerts(uuid) TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION strongroom_withdraw_alerts(uuid)`);
    await q.query(`GRANT DELETE ON compliance_alerts TO strongroom_runtime`);
    // a request in doubt may have been carried out: it is closed as REJECTED (never reopened) on the way down
    await q.query(`UPDATE approval_requests SET status = 'REJECTED',
                     decision_reason = coalesce(decision_reason, '') || ' (in doubt when the schema was downgraded)'
                    WHERE status = 'APPROVING'`);
    await q.query(`ALTER TABLE approval_requests DROP CONSTRAINT approval_requests_status_check`);
    await q.query(
      `ALTER TABLE approval_requests ADD CONSTRAINT approval_requests_status_check
         CHECK (status IN ('PENDING','APPROVED','REJECTED'))`,
    );
  }
}
