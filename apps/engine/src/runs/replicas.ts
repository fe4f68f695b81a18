import os from 'node:os';
import { type DataSource } from '@strongroom/db';

/**
 * This engine's entry among the replicas sharing the database (engine_replicas): registered at start,
 * its heartbeat on the database's clock, stopped_at on a graceful stop. Informational — leases, not
 * this table, decide who works on what — so a replica that dies simply stops beating.
 */
export class ReplicaRegistry {
  constructor(
    private readonly ds: DataSource,
    readonly id: string,
  ) {}

  async register(address: string | null): Promise<void> {
    await this.ds.query(
      `INSERT INTO engine_replicas (id, host, pid, address) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET host = $2, pid = $3, address = $4, started_at = clock_timestamp(),
         heartbeat_at = clock_timestamp(), stopped_at = NULL`,
      [this.id, os.hostname(), process.pid, address],
    );
  }

  async beat(): Promise<void> {
    await this.ds.query(`UPDATE engine_replicas SET heartbeat_at = clock_timestamp() WHERE id = $1`, [this.id]);
  }

  async stopped(): Promise<void> {
    await this.ds.query(`UPDATE engine_replicas SET stopped_at = clock_timestamp() WHERE id = $1`, [this.id]);
  }
}

/**
 * File runs some replica should work on now: PENDING runs submitted more than a lease ago (their
 * replica may have died before starting them), RUNNING runs with a partition nobody holds or whose lease
 * expired (by the database's clock), and RUNNING runs whose partitions are all done but which nobody
 * finalized (the finalizing replica died). Ingest streams are not here: their client reconnects.
 */
export async function runsNeedingWork(ds: DataSource, ttlMs: number, limit: number): Promise<string[]> {
  const rows = (await ds.query(
    `SELECT r.id FROM job_runs r
       JOIN job_versions v ON v.job_id = r.job_id AND v.version = r.job_version
      WHERE v.definition->'source'->>'kind' <> 'grpc'
        AND ((r.status = 'PENDING' AND r.created_at < clock_timestamp() - $1 * interval '1 millisecond')
          OR (r.status = 'RUNNING' AND EXISTS (
                SELECT 1 FROM run_checkpoints c
                 WHERE c.run_id = r.id AND c.kind = 'FILE' AND NOT c.done
                   AND (c.owner IS NULL OR c.lease_expires_at < clock_timestamp())))
          OR (r.status = 'RUNNING' AND EXISTS (SELECT 1 FROM run_checkpoints c WHERE c.run_id = r.id AND c.kind = 'FILE')
              AND NOT EXISTS (SELECT 1 FROM run_checkpoints c WHERE c.run_id = r.id AND NOT c.done)))
      ORDER BY r.created_at
      LIMIT $2`,
    [ttlMs, limit],
  )) as { id: string }[];
  return rows.map((r) => r.id);
}

/** A replica as operators see it (ListReplicas). */
export interface ReplicaView {
  id: string;
  host: string;
  pid: number;
  address: string | null;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
  live: boolean;
  partitionsHeld: number;
  runsHeld: number;
}

/**
 * The replicas, newest heartbeat first: live = not stopped and a heartbeat within three lease periods
 * (database clock); what each holds = partitions under a lease that has not expired (its own and its run
 * threads', whose lease owner is the replica's id with "/t<n>").
 */
export async function listReplicas(ds: DataSource, ttlMs: number, includeStopped: boolean): Promise<ReplicaView[]> {
  const rows = (await ds.query(
    `SELECT r.id, r.host, r.pid, r.address, r.started_at AS "startedAt", r.heartbeat_at AS "heartbeatAt",
            r.stopped_at AS "stoppedAt",
            (r.stopped_at IS NULL AND r.heartbeat_at > clock_timestamp() - 3 * $1 * interval '1 millisecond') AS live,
            count(c.*)::int AS "partitionsHeld", count(DISTINCT c.run_id)::int AS "runsHeld"
       FROM engine_replicas r
       LEFT JOIN run_checkpoints c
              ON (c.owner = r.id OR left(c.owner, length(r.id) + 2) = r.id || '/t') -- its run threads' leases too
             AND NOT c.done AND c.lease_expires_at >= clock_timestamp()
      GROUP BY r.id
      ORDER BY r.heartbeat_at DESC, r.id`,
    [ttlMs],
  )) as ReplicaView[];
  return includeStopped ? rows : rows.filter((r) => r.live);
}
