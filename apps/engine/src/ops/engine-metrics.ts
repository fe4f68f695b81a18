import { type DataSource, type JobRunEntity } from '@strongroom/db';
import { Counter, Gauge, Histogram, registerBreakerStates, type Registry } from '@strongroom/metrics';
import { type Breaker, type BreakerStatus } from '@strongroom/resilience';

/** Seconds a database-backed gauge (DLQ depth, audit chain length) is cached between scrapes. */
const DB_GAUGE_TTL_MS = 5000;

const SLA_VALUE = { NONE: 0, ON_TRACK: 0, AT_RISK: 1, BREACHED: 2 } as const;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * The engine's Prometheus series (docs/observability.md). Run figures come from the scheduler's
 * progress snapshots (one per committed batch), batch latency from the run loop, the rest is read at
 * scrape time: breaker states from memory, DLQ depth and audit chain length from the database
 * (through its breaker, cached a few seconds, never failing the scrape).
 */
export class EngineMetrics {
  private readonly records: Counter<'job' | 'outcome'>;
  private readonly throughput: Gauge<'job'>;
  private readonly runsFinished: Counter<'job' | 'status'>;
  private readonly batchSeconds: Histogram<'job'>;
  private readonly slaStatus: Gauge<'job'>;
  private readonly slaBreaches: Counter<'job'>;
  private readonly scheduleFires: Counter<'job' | 'outcome'>;
  private readonly verifiedAt: Gauge;
  private readonly verifiedOk: Gauge;
  /** Last counters seen per running run, to turn snapshots into counter increments. */
  private readonly last = new Map<string, { loaded: number; dead: number; filtered: number; job: string }>();
  private readonly running = new Map<string, { job: string; rate: number }>();
  private readonly slaByRun = new Map<string, { job: string; value: number }>();
  private dbCache: { at: number; dlq: number; chain: number } | undefined;

  constructor(
    registry: Registry,
    private readonly deps: {
      ds: DataSource;
      db: Breaker;
      breakers: () => readonly BreakerStatus[];
      activeRuns: () => number;
    },
  ) {
    const registers = [registry];
    this.records = new Counter({
      name: 'strongroom_records_total',
      help: 'Records of file and ingest runs by outcome (loaded, dead_lettered, filtered)',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.throughput = new Gauge({
      name: 'strongroom_run_throughput_records_per_second',
      help: 'Records per second of the running runs of a job (0 when none runs)',
      labelNames: ['job'],
      registers,
    });
    this.runsFinished = new Counter({
      name: 'strongroom_runs_finished_total',
      help: 'Runs that ended, by status',
      labelNames: ['job', 'status'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'strongroom_batch_commit_seconds',
      help: 'Time to commit one batch (rows, dead letters, checkpoint, integrity, audit) in one transaction',
      labelNames: ['job'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.slaStatus = new Gauge({
      name: 'strongroom_run_sla_status',
      help: 'Worst SLA status of the live runs of a job: 0 on track (or no SLA), 1 at risk, 2 breached',
      labelNames: ['job'],
      registers,
    });
    this.slaBreaches = new Counter({
      name: 'strongroom_sla_breaches_total',
      help: 'Runs that breached their SLA (each counted once, audited as sla:breached)',
      labelNames: ['job'],
      registers,
    });
    this.scheduleFires = new Counter({
      name: 'strongroom_schedule_fires_total',
      help: "Fires of job schedules by outcome: STARTED, ALREADY_LOADED and MISSED (the day's file missing), FAILED",
      labelNames: ['job', 'outcome'],
      registers,
    });
    const { activeRuns, breakers } = deps;
    const databaseFigures = () => this.databaseFigures();
    new Gauge({
      name: 'strongroom_runs_active',
      help: 'Runs executing now',
      registers,
      collect() {
        this.set(activeRuns());
      },
    });
    registerBreakerStates(registry, breakers);
    new Gauge({
      name: 'strongroom_dlq_depth',
      help: 'Dead letters waiting for replay or discard (status PENDING)',
      registers,
      async collect() {
        const v = await databaseFigures();
        if (v) this.set(v.dlq);
      },
    });
    new Gauge({
      name: 'strongroom_audit_chain_length',
      help: 'Entries in the tamper-evident audit chain (its last seq)',
      registers,
      async collect() {
        const v = await databaseFigures();
        if (v) this.set(v.chain);
      },
    });
    this.verifiedAt = new Gauge({
      name: 'strongroom_audit_last_verification_timestamp_seconds',
      help: 'When the audit chain was last verified by this engine (0: not since start)',
      registers,
    });
    this.verifiedOk = new Gauge({
      name: 'strongroom_audit_last_verification_ok',
      help: '1 when the last verification of the audit chain succeeded, 0 when it found tampering',
      registers,
    });
  }

  /** A progress snapshot of a file or ingest run (after each committed batch, and at its end). */
  runProgress(run: JobRunEntity, job: string): void {
    const loaded = Number(run.recordsLoaded);
    const dead = Number(run.recordsDeadLettered);
    const filtered = Number(run.recordsFiltered);
    const prev = this.last.get(run.id) ?? { loaded, dead, filtered, job }; // the first snapshot of a resumed run is the baseline
    if (loaded > prev.loaded) this.records.inc({ job, outcome: 'loaded' }, loaded - prev.loaded);
    if (dead > prev.dead) this.records.inc({ job, outcome: 'dead_lettered' }, dead - prev.dead);
    if (filtered > prev.filtered) this.records.inc({ job, outcome: 'filtered' }, filtered - prev.filtered);
    this.last.set(run.id, { loaded, dead, filtered, job });
    if (TERMINAL.has(run.status)) {
      this.last.delete(run.id);
      this.running.delete(run.id);
      this.slaByRun.delete(run.id);
      this.runsFinished.inc({ job, status: run.status });
    } else if (run.startedAt) {
      const seconds = Math.max((Date.now() - run.startedAt.getTime()) / 1000, 0.001);
      this.running.set(run.id, { job, rate: Number(run.recordsRead) / seconds });
    }
    this.refreshJob(job);
  }

  /** One batch committed in `ms` milliseconds. */
  batchCommitted(job: string, ms: number): void {
    this.batchSeconds.observe({ job }, ms / 1000);
  }

  /** The SLA status of a live run (see sla-watch.ts). */
  sla(runId: string, job: string, status: keyof typeof SLA_VALUE, breachedNow: boolean): void {
    this.slaByRun.set(runId, { job, value: SLA_VALUE[status] });
    if (breachedNow) this.slaBreaches.inc({ job });
    this.refreshJob(job);
  }

  /** A schedule fire this replica acted on. */
  scheduleFired(job: string, outcome: string): void {
    this.scheduleFires.inc({ job, outcome });
  }

  /** The result of a verification of the audit chain. */
  auditVerified(ok: boolean): void {
    this.verifiedAt.set(Date.now() / 1000);
    this.verifiedOk.set(ok ? 1 : 0);
  }

  private refreshJob(job: string): void {
    let rate = 0;
    for (const r of this.running.values()) if (r.job === job) rate += r.rate;
    this.throughput.set({ job }, rate);
    let worst = 0;
    for (const s of this.slaByRun.values()) if (s.job === job) worst = Math.max(worst, s.value);
    this.slaStatus.set({ job }, worst);
  }

  private async databaseFigures(): Promise<{ dlq: number; chain: number } | undefined> {
    if (this.dbCache && Date.now() - this.dbCache.at < DB_GAUGE_TTL_MS) return this.dbCache;
    const read = async () => {
      const [row] = (await this.deps.ds.query(
        `SELECT (SELECT count(*) FROM dead_letter_queue WHERE status = 'PENDING')::text AS dlq,
                (SELECT coalesce(max(seq), 0) FROM immutable_audit_log)::text AS chain`,
      )) as [{ dlq: string; chain: string }];
      return { at: Date.now(), dlq: Number(row.dlq), chain: Number(row.chain) };
    };
    // a scrape must not wait on, nor fail because of, a database that is away: keep the last figures
    this.dbCache = (await this.deps.db.call(read).catch(() => undefined)) ?? this.dbCache;
    return this.dbCache;
  }
}
