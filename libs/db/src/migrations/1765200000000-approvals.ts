import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Four eyes (issue 17, item 7): governance actions requested by one principal and carried out when another
 * approves. The table enforces the second person itself: whoever decides is not whoever asked.
 */
export class Approvals1765200000000 implements MigrationInterface {
  name = 'Approvals1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE approval_requests (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        action           text NOT NULL CHECK (action IN ('ReleaseLegalHold','PurgeExpired','DiscardDeadLetters','CloseAlert','ChangeJobRetention')),
        params           jsonb NOT NULL,
        reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
        requested_by     text NOT NULL,
        requested_at     timestamptz NOT NULL DEFAULT now(),
        status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','APPROVED','REJECTED')),
        decided_by       text,
        decided_at       timestamptz,
        decision_reason  text,
        result           jsonb,
        CONSTRAINT approval_requests_second_person CHECK (decided_by IS NULL OR decided_by <> requested_by),
        CONSTRAINT approval_requests_decision_complete CHECK ((status = 'PENDING') = (decided_by IS NULL))
      )`);
    await q.query(
      `CREATE INDEX approval_requests_pending_idx ON approval_requests (requested_at) WHERE status = 'PENDING'`,
    );
    await q.query(`GRANT SELECT, INSERT, UPDATE ON approval_requests TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE approval_requests`);
  }
}
