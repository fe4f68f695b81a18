import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The audit chain's append reads the chain's last entry under the append lock in one round trip (it took two:
 * the lock, then the read). VOLATILE matters: each query of a volatile function takes a fresh snapshot, so the
 * read sees an entry that another appender committed while this one waited for the lock. In one plain statement
 * the snapshot would be taken before the wait, and two appenders could read the same tail.
 */
export class AuditTail1766200000000 implements MigrationInterface {
  name = 'AuditTail1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION strongroom_audit_tail(p_lock_key bigint) RETURNS TABLE (seq text, hash text)
        LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(p_lock_key);
        RETURN QUERY SELECT l.seq::text, l.hash FROM immutable_audit_log l ORDER BY l.seq DESC LIMIT 1;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION strongroom_audit_tail(bigint) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION strongroom_audit_tail(bigint) TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION strongroom_audit_tail(bigint)`);
  }
}
