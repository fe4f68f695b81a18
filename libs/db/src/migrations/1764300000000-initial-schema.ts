import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The seed tables (jobs, job_runs, immutable_audit_log, transaction_integrity, dead_letter_queue,
 * circuit_breaker_states, performance_metrics), job versions, run checkpoints, and the default sink
 * table `transactions`. Raw SQL on purpose: the schema is reviewed as SQL (docs/design.md §9.10).
 */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id                    uuid PRIMARY KEY,
        name                  text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
        current_version       integer NOT NULL CHECK (current_version >= 1),
        source_kind           text NOT NULL,
        sink_table            text NOT NULL,
        compliance_frameworks text[] NOT NULL DEFAULT '{}'
          CHECK (compliance_frameworks <@ ARRAY['SOX','PCI_DSS','AML','KYC']::text[]),
        data_classification   text NOT NULL DEFAULT 'CONFIDENTIAL'
          CHECK (data_classification IN ('PUBLIC','INTERNAL','CONFIDENTIAL','RESTRICTED')),
        data_sensitivity      text NOT NULL DEFAULT 'HIGH'
          CHECK (data_sensitivity IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        risk_level            text NOT NULL DEFAULT 'MEDIUM'
          CHECK (risk_level IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        retention_days        integer NOT NULL DEFAULT 2557 CHECK (retention_days > 0),
        sla_deadline          timestamptz,
        sla_max_error_rate    numeric(7,6) CHECK (sla_max_error_rate BETWEEN 0 AND 1),
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE job_versions (
        job_id            uuid NOT NULL REFERENCES jobs(id),
        version           integer NOT NULL CHECK (version >= 1),
        definition        jsonb NOT NULL,
        definition_sha256 text NOT NULL CHECK (definition_sha256 ~ '^[0-9a-f]{64}$'),
        created_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, version),
        UNIQUE (job_id, definition_sha256)
      )`);
    await q.query(`
      CREATE TABLE job_runs (
        id                    uuid PRIMARY KEY,
        job_id                uuid NOT NULL,
        job_version           integer NOT NULL,
        status                text NOT NULL DEFAULT 'PENDING'
          CHECK (status IN ('PENDING','RUNNING','PAUSED','SUCCEEDED','FAILED','CANCELLED')),
        source_path           text NOT NULL,
        source_sha256         text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
        source_bytes          bigint NOT NULL CHECK (source_bytes >= 0),
        records_read          bigint NOT NULL DEFAULT 0 CHECK (records_read >= 0),
        records_loaded        bigint NOT NULL DEFAULT 0 CHECK (records_loaded >= 0),
        records_dead_lettered bigint NOT NULL DEFAULT 0 CHECK (records_dead_lettered >= 0),
        records_filtered      bigint NOT NULL DEFAULT 0 CHECK (records_filtered >= 0),
        filtered_by_reason    jsonb NOT NULL DEFAULT '{}',
        bytes_read            bigint NOT NULL DEFAULT 0,
        batches_committed     integer NOT NULL DEFAULT 0,
        source_totals         jsonb,
        sink_totals           jsonb,
        reconciled            boolean,
        reconciliation_reason text,
        error_code            text,
        error_message         text,
        created_at            timestamptz NOT NULL DEFAULT now(),
        started_at            timestamptz,
        finished_at           timestamptz,
        FOREIGN KEY (job_id, job_version) REFERENCES job_versions(job_id, version),
        CHECK (status <> 'SUCCEEDED'
               OR records_read = records_loaded + records_dead_lettered + records_filtered)
      )`);
    await q.query(`CREATE INDEX job_runs_job_created_idx ON job_runs (job_id, created_at DESC, id)`);
    await q.query(`CREATE INDEX job_runs_created_idx ON job_runs (created_at DESC, id)`);
    // Resubmitting the same file to the same job is idempotent while the earlier run did not fail.
    await q.query(`
      CREATE UNIQUE INDEX job_runs_one_live_run_per_file_idx ON job_runs (job_id, source_sha256)
        WHERE status NOT IN ('FAILED','CANCELLED')`);
    await q.query(`
      CREATE TABLE run_checkpoints (
        run_id         uuid PRIMARY KEY REFERENCES job_runs(id),
        batch_seq      integer NOT NULL CHECK (batch_seq >= 0),
        records_read   bigint NOT NULL CHECK (records_read >= 0),
        byte_offset    bigint NOT NULL CHECK (byte_offset >= 0),
        loaded         bigint NOT NULL,
        dead_lettered  bigint NOT NULL,
        filtered       bigint NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE transactions (
        id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source_system         text NOT NULL,
        txn_id                text NOT NULL,
        account               text NOT NULL,
        counterparty_account  text,
        counterparty_name     text,
        amount                numeric NOT NULL CHECK (scale(amount) <= 4),
        currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        booked_at             timestamptz NOT NULL,
        value_date            date,
        reference             text,
        card_pan_token        text,
        card_pan_masked       text CHECK (card_pan_masked IS NULL OR card_pan_masked !~ '[0-9]{11}'),
        run_id                uuid NOT NULL,
        source_record_no      bigint NOT NULL,
        loaded_at             timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT transactions_business_key UNIQUE (source_system, txn_id)
      )`);
    await q.query(`CREATE INDEX transactions_run_idx ON transactions (run_id, source_record_no)`);
    await q.query(`
      CREATE TABLE dead_letter_queue (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id              uuid NOT NULL REFERENCES job_runs(id),
        job_id              uuid NOT NULL REFERENCES jobs(id),
        record_no           bigint NOT NULL,
        raw_record          text NOT NULL,
        reason_code         text NOT NULL,
        reason_message      text NOT NULL,
        field               text,
        attempts            integer NOT NULL DEFAULT 0,
        status              text NOT NULL DEFAULT 'PENDING'
          CHECK (status IN ('PENDING','REPLAYED','DISCARDED')),
        data_classification text NOT NULL DEFAULT 'CONFIDENTIAL'
          CHECK (data_classification IN ('PUBLIC','INTERNAL','CONFIDENTIAL','RESTRICTED')),
        created_at          timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, record_no)
      )`);
    await q.query(`CREATE INDEX dead_letter_queue_status_idx ON dead_letter_queue (status, created_at)`);
    await q.query(`
      CREATE TABLE transaction_integrity (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id        uuid NOT NULL REFERENCES job_runs(id),
        batch_seq     integer,
        scope         text NOT NULL CHECK (scope IN ('BATCH','RUN')),
        record_count  bigint NOT NULL CHECK (record_count >= 0),
        totals        jsonb NOT NULL,
        digest_sha256 text NOT NULL CHECK (digest_sha256 ~ '^[0-9a-f]{64}$'),
        reconciled    boolean,
        details       jsonb NOT NULL DEFAULT '{}',
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((scope = 'BATCH') = (batch_seq IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX transaction_integrity_batch_idx ON transaction_integrity (run_id, batch_seq) WHERE scope = 'BATCH'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX transaction_integrity_run_idx ON transaction_integrity (run_id) WHERE scope = 'RUN'`,
    );
    await q.query(`
      CREATE TABLE immutable_audit_log (
        seq         bigint PRIMARY KEY CHECK (seq >= 1),
        occurred_at timestamptz NOT NULL,
        actor       text NOT NULL,
        action      text NOT NULL CHECK (action ~ '^[a-z_]+:[a-z_]+$'),
        subject     jsonb NOT NULL DEFAULT '{}',
        details     jsonb NOT NULL DEFAULT '{}',
        prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
      )`);
    await q.query(`
      CREATE FUNCTION immutable_audit_log_reject() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'immutable_audit_log is append-only (% rejected)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER immutable_audit_log_no_update_delete BEFORE UPDATE OR DELETE ON immutable_audit_log
        FOR EACH ROW EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`
      CREATE TRIGGER immutable_audit_log_no_truncate BEFORE TRUNCATE ON immutable_audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`
      CREATE TABLE circuit_breaker_states (
        name               text PRIMARY KEY,
        state              text NOT NULL CHECK (state IN ('CLOSED','OPEN','HALF_OPEN')),
        failure_count      integer NOT NULL DEFAULT 0,
        opened_at          timestamptz,
        last_transition_at timestamptz NOT NULL DEFAULT now(),
        details            jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TABLE performance_metrics (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id             uuid NOT NULL REFERENCES job_runs(id),
        records_per_second numeric(14,2) NOT NULL,
        batch_p50_ms       numeric(12,3),
        batch_p95_ms       numeric(12,3),
        batch_p99_ms       numeric(12,3),
        error_rate         numeric(7,6) NOT NULL,
        peak_rss_bytes     bigint,
        recorded_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX performance_metrics_run_idx ON performance_metrics (run_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'performance_metrics',
      'circuit_breaker_states',
      'immutable_audit_log',
      'transaction_integrity',
      'dead_letter_queue',
      'transactions',
      'run_checkpoints',
      'job_runs',
      'job_versions',
      'jobs',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
    await q.query(`DROP FUNCTION immutable_audit_log_reject()`);
  }
}
