import { randomUUID } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { type DataSource, type EntityManager, JobEntity, JobVersionEntity, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { canonicalDefinition, jobDefinitionSchema, stableJson, type JobDefinition } from './job-definition';
import { keysetPage } from '../paging';

export interface JobWithDefinition {
  job: JobEntity;
  definition: JobDefinition;
  definitionJson: string;
}

/**
 * Creates the job, or a new version when the definition changed. An identical definition returns
 * the existing version (`created: false`). Serialized per job name with a transaction-level advisory
 * lock, so concurrent submissions of one definition create one version.
 */
export async function saveJob(
  ds: DataSource,
  def: JobDefinition,
  actor = 'service:engine',
  options: {
    /**
     * Whether the caller may change an existing job's compliance settings — retention, data and field
     * classification, frameworks, AML, sanctions, KYC, fields not card data (a compliance decision: auditors
     * and admins). When not, such a version is refused with PERMISSION_DENIED naming what would change;
     * `refusal` is the message's tail (who may).
     */
    mayChangeRetention?: boolean;
    refusal?: string;
    /**
     * Called under the job's lock with what the new version would change in the compliance settings, when
     * anything (four eyes: it records a request and throws APPROVAL_REQUIRED, and nothing is saved).
     */
    approve?: (changes: string[]) => Promise<void>;
  } = {},
): Promise<{ job: JobEntity; created: boolean }> {
  const { json, sha256 } = canonicalDefinition(def);
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('job:' || $1, 0))`, [def.name]);
    const existing = await em.findOne(JobEntity, { where: { name: def.name } });
    const now = new Date();
    if (existing && (options.mayChangeRetention === false || options.approve)) {
      const current = await currentDefinition(em, existing);
      if (options.mayChangeRetention === false) refuseComplianceChange(existing, current, def, options.refusal);
      const changes = changesOf(existing, current, def);
      if (changes.length) await options.approve?.(changes);
    }
    if (existing) {
      const same = await em.findOne(JobVersionEntity, { where: { jobId: existing.id, definitionSha256: sha256 } });
      if (same) {
        if (same.version === existing.currentVersion) return { job: existing, created: false };
        applyDefinition(existing, def, same.version, now);
        await audit(em, actor, existing, sha256, 'reverted');
        return { job: await em.save(existing), created: true };
      }
      const version = (await maxVersion(em, existing.id)) + 1;
      await em.insert(JobVersionEntity, {
        jobId: existing.id,
        version,
        definition: JSON.parse(json),
        definitionSha256: sha256,
        createdAt: now,
      });
      applyDefinition(existing, def, version, now);
      await audit(em, actor, existing, sha256, 'changed');
      return { job: await em.save(existing), created: true };
    }
    const job = new JobEntity();
    job.id = randomUUID();
    job.name = def.name;
    job.createdAt = now;
    applyDefinition(job, def, 1, now);
    await em.insert(JobEntity, job);
    await em.insert(JobVersionEntity, {
      jobId: job.id,
      version: 1,
      definition: JSON.parse(json),
      definitionSha256: sha256,
      createdAt: now,
    });
    await audit(em, actor, job, sha256, 'defined');
    return { job, created: true };
  });
}

/**
 * What `def` changes in the compliance settings of `job` (whose current definition is `current`, or
 * undefined when that version cannot be read any more): its retention, its data classification
 * ("retention 3650 → 30 days", …) and every other key of its `compliance` block — field classifications
 * (RESTRICTED fields are encrypted), frameworks, AML parameters, sanctions screening, KYC policy, fields
 * declared not to be card data. Each of them turns a control on or off, so changing any is a compliance
 * decision, not an operator's. Lists compare as sets (reordering changes nothing); a long value is named,
 * not quoted.
 */
function changesOf(job: JobEntity, current: JobDefinition | undefined, def: JobDefinition): string[] {
  const changes: string[] = [];
  const days = def.compliance.retentionDays ?? null;
  if (job.retentionDays !== days)
    changes.push(`retention ${job.retentionDays ?? 'default'} → ${days ?? 'default'} days`);
  if (job.dataClassification !== def.compliance.dataClassification)
    changes.push(`classification ${job.dataClassification} → ${def.compliance.dataClassification}`);
  if (!current) return [...changes, 'compliance (its current version cannot be read to compare)'];
  const was = current.compliance as Record<string, unknown>;
  const now = def.compliance as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (key === 'retentionDays' || key === 'dataClassification') continue;
    const [a, b] = [stableJson(asSets(was[key] ?? null)), stableJson(asSets(now[key] ?? null))];
    if (a !== b)
      changes.push(a.length + b.length > 120 ? `compliance.${key} (changed)` : `compliance.${key} ${a} → ${b}`);
  }
  return changes;
}

/** Lists of plain values sorted (a list of frameworks or fields is a set), at any depth. */
function asSets(v: unknown): unknown {
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? [...v].sort() : v.map(asSets);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asSets(x)]));
  return v;
}

/** The current version's definition, or undefined when it no longer parses (then every change is governed). */
async function currentDefinition(em: EntityManager, job: JobEntity): Promise<JobDefinition | undefined> {
  return definitionOf(em, job.id, job.currentVersion).then(
    (d) => d.definition,
    () => undefined,
  );
}

/** PERMISSION_DENIED when `def` changes `job`'s compliance settings (changesOf). */
function refuseComplianceChange(
  job: JobEntity,
  current: JobDefinition | undefined,
  def: JobDefinition,
  refusal = 'needs one of the roles auditor, admin',
): void {
  const changes = changesOf(job, current, def);
  if (changes.length)
    throw new StrongroomError(
      ErrorCode.PERMISSION_DENIED,
      `changing job ${job.name}'s ${changes.join(' and ')} ${refusal}`,
    );
}

/** job:defined / job:changed / job:reverted, in the same transaction as the change. */
async function audit(
  em: EntityManager,
  actor: string,
  job: JobEntity,
  sha256: string,
  verb: 'defined' | 'changed' | 'reverted',
): Promise<void> {
  await appendAudit(sqlExec(em), {
    actor,
    action: `job:${verb}`,
    subject: { jobId: job.id },
    details: { name: job.name, version: job.currentVersion, definitionSha256: sha256 },
  });
}

async function maxVersion(em: EntityManager, jobId: string): Promise<number> {
  const r: { v: number }[] = await em.query('SELECT max(version) AS v FROM job_versions WHERE job_id = $1', [jobId]);
  return Number(r[0]?.v ?? 0);
}

function applyDefinition(job: JobEntity, def: JobDefinition, version: number, now: Date): void {
  job.currentVersion = version;
  job.sourceKind = def.source.kind;
  job.sinkTable = def.sink.table;
  job.complianceFrameworks = def.compliance.frameworks;
  job.dataClassification = def.compliance.dataClassification;
  job.dataSensitivity = def.compliance.sensitivity;
  job.riskLevel = def.compliance.riskLevel;
  job.retentionDays = def.compliance.retentionDays ?? null;
  job.slaDeadline = def.sla?.deadline ? new Date(def.sla.deadline) : null;
  job.slaMaxErrorRate = def.sla?.maxErrorRate !== undefined ? String(def.sla.maxErrorRate) : null;
  job.updatedAt = now;
}

/**
 * Parsed definitions by `jobId:version`. A version never changes once written, so this is safe across
 * engines; it spares a query and a schema parse on every read (lists, the gateway's run → job).
 */
const DEFINITIONS = new Map<string, { definition: JobDefinition; definitionJson: string }>();
const DEFINITIONS_MAX = 1000;

async function definitionOf(
  em: EntityManager,
  jobId: string,
  version: number,
): Promise<{ definition: JobDefinition; definitionJson: string }> {
  const key = `${jobId}:${version}`;
  let hit = DEFINITIONS.get(key);
  if (!hit) {
    const v = await em.findOne(JobVersionEntity, { where: { jobId, version } });
    if (!v) throw new StrongroomError(ErrorCode.NOT_FOUND, `job ${jobId} has no version ${version}`);
    const definition = jobDefinitionSchema.parse(v.definition);
    hit = { definition, definitionJson: canonicalDefinition(definition).json };
    if (DEFINITIONS.size >= DEFINITIONS_MAX) DEFINITIONS.delete(DEFINITIONS.keys().next().value as string);
    DEFINITIONS.set(key, hit);
  }
  // callers get their own copy: a cached definition is never shared mutable state
  return { definition: structuredClone(hit.definition), definitionJson: hit.definitionJson };
}

/** The job and the definition of its current version (or of `version`). */
export async function getJob(
  ds: DataSource | EntityManager,
  jobId: string,
  version?: number,
): Promise<JobWithDefinition> {
  const em = 'manager' in ds ? ds.manager : ds;
  const job = isUuid(jobId) ? await em.findOne(JobEntity, { where: { id: jobId } }) : null;
  if (!job) throw new StrongroomError(ErrorCode.NOT_FOUND, `job ${jobId} not found`);
  return { job, ...(await definitionOf(em, jobId, version ?? job.currentVersion)) };
}

/** Jobs already read (e.g. by listJobs) with the definitions of their current versions. */
export async function withDefinitions(ds: DataSource, jobs: readonly JobEntity[]): Promise<JobWithDefinition[]> {
  return Promise.all(
    jobs.map(async (job) => ({ job, ...(await definitionOf(ds.manager, job.id, job.currentVersion)) })),
  );
}

/** Jobs newest first, keyset-paginated. */
export async function listJobs(
  ds: DataSource,
  size: number | undefined,
  token: string | undefined,
  ids: readonly string[] = [],
): Promise<{ jobs: JobEntity[]; next: string }> {
  const qb = ds.getRepository(JobEntity).createQueryBuilder('j');
  if (ids.length) {
    if (ids.length > 500) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'job_ids: at most 500');
    const bad = ids.find((id) => !isUuid(id));
    if (bad !== undefined)
      throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `job_ids: "${bad.slice(0, 40)}" is not a job id`);
    qb.andWhere('j.id IN (:...ids)', { ids: [...new Set(ids)] });
  }
  const { page, next } = await keysetPage(qb, 'j', size, token);
  return { jobs: page, next };
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

/** The jobs whose current version has `key` (a trigger, a schedule), with their definitions, by name. */
export async function jobsWith(ds: DataSource, key: 'trigger' | 'schedule'): Promise<JobWithDefinition[]> {
  const rows = (await ds.query(
    `SELECT j.id FROM jobs j JOIN job_versions v ON v.job_id = j.id AND v.version = j.current_version
      WHERE v.definition ? $1 ORDER BY j.name`,
    [key],
  )) as { id: string }[];
  return Promise.all(rows.map((r) => getJob(ds, r.id)));
}
