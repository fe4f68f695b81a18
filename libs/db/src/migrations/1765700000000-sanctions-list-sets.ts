import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The sanctions lists every engine replica screens against: each set loaded (at start from the configured
 * files, or at run time by `strongroom sanctions load`) is a row — its version (a digest of the files'
 * digests) and the files with their SHA-256. The newest row is the set in force; a replica that finds a
 * newer one than it holds loads it before its next run starts, so no run screens against lists replaced
 * elsewhere. Rows are never changed (insert only).
 */
export class SanctionsListSets1765700000000 implements MigrationInterface {
  name = 'SanctionsListSets1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sanctions_list_sets (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version    text NOT NULL CHECK (version ~ '^[0-9a-f]{64}$'),
        files      jsonb NOT NULL,
        loaded_by  text NOT NULL,
        loaded_at  timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX sanctions_list_sets_version_idx ON sanctions_list_sets (version)`);
    await q.query(`GRANT SELECT, INSERT ON sanctions_list_sets TO strongroom_runtime`);
    await q.query(`GRANT USAGE, SELECT ON SEQUENCE sanctions_list_sets_id_seq TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sanctions_list_sets`);
  }
}
