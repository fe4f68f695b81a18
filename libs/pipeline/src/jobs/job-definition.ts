import { findPans } from '@strongroom/logging';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  CANONICAL_FIELDS,
  confineSourcePath,
  isSensitiveAuthColumn,
  parseJsonPath,
  type SourceRoots,
} from '@strongroom/connectors';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { isTimeZone, parseCron } from './schedule';

/** Canonical transaction fields a source can map to (docs/job-file.md); owned by the sources. */
export { CANONICAL_FIELDS };
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];
export const REQUIRED_FIELDS: readonly CanonicalField[] = ['txn_id', 'account', 'amount', 'currency', 'booked_at'];
/** Fields that may be classified RESTRICTED (stored encrypted). The others are keys, amounts or dates the engine computes on. */
export const ENCRYPTABLE_FIELDS = ['account', 'counterparty_account', 'counterparty_name', 'reference'] as const;
export type EncryptableField = (typeof ENCRYPTABLE_FIELDS)[number];

const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'] as const;
const LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

const mappingSchema = z.partialRecord(z.enum(CANONICAL_FIELDS), z.string().min(1)).superRefine((m, ctx) => {
  for (const f of REQUIRED_FIELDS) {
    if (!m[f]) ctx.addIssue({ code: 'custom', path: [f], message: `required canonical field ${f} is not mapped` });
  }
  for (const [f, column] of Object.entries(m)) {
    if (isSensitiveAuthColumn(column as string))
      ctx.addIssue({
        code: 'custom',
        path: [f],
        message: `column "${column}" holds sensitive authentication data (PCI DSS 3.3.1): it is dropped as the file is read and can never be loaded`,
      });
  }
});

const systemSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

const grpcSourceSchema = z.strictObject({
  /** Records arrive over IngestService (gRPC streaming) in canonical form; no file, no mapping. */
  kind: z.literal('grpc'),
  system: systemSchema.optional(),
});

const csvSourceSchema = z.strictObject({
  kind: z.literal('csv'),
  /** The file a plain run reads; optional for a job with a trigger (its runs read the files its inbox receives). */
  path: z.string().min(1).optional(),
  /** Source system for the business key (source_system, txn_id). Default: the job name. */
  system: systemSchema.optional(),
  delimiter: z.enum([',', ';', '\t', '|']).default(','),
  encoding: z.literal('utf-8').default('utf-8'),
  mapping: mappingSchema,
});

/** A mapping by JSON path ($.amount.value): each path must parse, and none may name sensitive authentication data. */
const jsonMappingSchema = z.partialRecord(z.enum(CANONICAL_FIELDS), z.string().min(1)).superRefine((m, ctx) => {
  for (const f of REQUIRED_FIELDS) {
    if (!m[f]) ctx.addIssue({ code: 'custom', path: [f], message: `required canonical field ${f} is not mapped` });
  }
  for (const [f, p] of Object.entries(m)) {
    let segments: (string | number)[];
    try {
      segments = parseJsonPath(p as string);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [f], message: (err as Error).message });
      continue;
    }
    const last = [...segments].reverse().find((x): x is string => typeof x === 'string');
    if (last !== undefined && isSensitiveAuthColumn(last))
      ctx.addIssue({
        code: 'custom',
        path: [f],
        message: `"${p as string}" holds sensitive authentication data (PCI DSS 3.3.1): such keys are removed as the file is read and can never be loaded`,
      });
  }
});

/** JSON lines: one JSON object per line, mapped by JSON path; numbers are read as written (never a float). */
const jsonlSourceSchema = z.strictObject({
  kind: z.literal('jsonl'),
  /** The file a plain run reads; optional for a job with a trigger (its runs read the files its inbox receives). */
  path: z.string().min(1).optional(),
  /** Source system for the business key (source_system, txn_id). Default: the job name. */
  system: systemSchema.optional(),
  encoding: z.literal('utf-8').default('utf-8'),
  mapping: jsonMappingSchema,
});

/**
 * KYC records for the register (kyc_customers): a CSV file with the columns account, customer_id, status,
 * expires_at and risk_level (libs/pipeline kyc-records.ts); no mapping. Its runs load the register.
 */
const kycSourceSchema = z.strictObject({
  kind: z.literal('kyc'),
  /** The file a plain run reads; optional for a job with a trigger (its runs read the files its inbox receives). */
  path: z.string().min(1).optional(),
  delimiter: z.enum([',', ';', '\t', '|']).default(','),
  encoding: z.literal('utf-8').default('utf-8'),
});

/** Bank file formats: the file carries its own control totals and is reconciled before anything loads. */
export const BANK_SOURCE_KINDS = ['ach', 'camt052', 'camt053', 'camt054', 'mt940', 'mt942', 'bai2', 'pain001'] as const;
export type BankSourceKind = (typeof BANK_SOURCE_KINDS)[number];

const bankSourceSchema = z.strictObject({
  kind: z.enum(BANK_SOURCE_KINDS),
  /** The file a plain run reads; optional for a job with a trigger (its runs read the files its inbox receives). */
  path: z.string().min(1).optional(),
  /** Source system for the business key (source_system, txn_id). Default: the job name. */
  system: systemSchema.optional(),
  /** ACH only: accept return reason codes outside NACHA's list, R01–R53, R61–R77 and R80–R85 (some processors use their own). */
  customReturnCodes: z.boolean().optional(),
  /**
   * lenient: format-rule slips that cannot change an amount become warnings (MT940/MT942: a Ctrl-Z between
   * concatenated statements, a :61: without a transaction type; camt.053: no Sts, a CdtDbtInd whose sign is
   * otherwise given; ACH: the file header's routing check digit). Control totals stay mandatory.
   */
  strictness: z.enum(['strict', 'lenient']).optional(),
});

const batchingSchema = z
  .strictObject({
    startSize: z.int().positive().optional(),
    minSize: z.int().positive().default(500),
    maxSize: z.int().positive().max(1_000_000).default(50_000),
    targetCommitMs: z.int().positive().max(60_000).default(250),
    maxInFlightMB: z.int().positive().max(4096).default(64),
  })
  .superRefine((b, ctx) => {
    if (b.maxSize < b.minSize) ctx.addIssue({ code: 'custom', path: ['maxSize'], message: 'must be ≥ minSize' });
    if (b.startSize !== undefined && (b.startSize < b.minSize || b.startSize > b.maxSize)) {
      ctx.addIssue({ code: 'custom', path: ['startSize'], message: 'must be within [minSize, maxSize]' });
    }
  });

const decimalString = z
  .string()
  .regex(/^[0-9]{1,15}(\.[0-9]{1,10})?$/, 'must be a non-negative decimal string, e.g. "10000"');
const hours = z
  .number()
  .positive()
  .max(24 * 366);
const amlSchema = z.strictObject({
  largeTransactionUsd: decimalString.optional(),
  structuring: z
    .strictObject({
      windowHours: hours.optional(),
      minCount: z.int().min(2).max(1000).optional(),
      bandPercent: z.number().gt(0).lt(100).optional(),
    })
    .optional(),
  velocity: z
    .strictObject({
      windowHours: hours.optional(),
      maxCount: z.int().positive().optional(),
      maxAmountUsd: decimalString.optional(),
    })
    .optional(),
  roundAmount: z.strictObject({ minAmount: decimalString.optional(), multipleOf: decimalString.optional() }).optional(),
  highRiskCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code')).optional(),
  rapidMovement: z
    .strictObject({
      windowHours: hours.optional(),
      tolerancePercent: z.number().min(0).max(100).optional(),
      minAmountUsd: decimalString.optional(),
    })
    .optional(),
  fxToUsd: z.record(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'), decimalString).optional(),
});

const sourceSchema = z
  .discriminatedUnion('kind', [csvSourceSchema, jsonlSourceSchema, kycSourceSchema, grpcSourceSchema, bankSourceSchema])
  .superRefine((src, ctx) => {
    if (src.kind !== 'ach' && 'customReturnCodes' in src && src.customReturnCodes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['customReturnCodes'], message: 'applies to ach sources only' });
    }
    if (
      'strictness' in src &&
      src.strictness === 'lenient' &&
      !['mt940', 'mt942', 'camt053', 'ach'].includes(src.kind)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['strictness'],
        message:
          'lenient is built for mt940, mt942, camt053 and ach sources so far (the other formats are read strictly)',
      });
    }
  });

/** Fields a job may declare as never holding card data (the identifiers and texts the card detector scans). */
export const NOT_CARD_DATA_FIELDS = [
  'txn_id',
  'account',
  'counterparty_account',
  'counterparty_name',
  'reference',
] as const;

export const jobDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lowercase letters, digits, ".", "_" or "-", at most 100'),
  description: z.string().max(2000).optional(),
  source: sourceSchema,
  sink: z
    .strictObject({
      /** transactions; a job of `kind: kyc` loads kyc_customers (the KYC register), and no other job may. */
      table: z.enum(['transactions', 'kyc_customers']).default('transactions'),
      mode: z.literal('append').default('append'),
    })
    .default({ table: 'transactions', mode: 'append' }),
  batching: batchingSchema.default({ minSize: 500, maxSize: 50_000, targetCommitMs: 250, maxInFlightMB: 64 }),
  errors: z.strictObject({ maxRejectRatio: z.number().min(0).max(1).default(0.05) }).default({ maxRejectRatio: 0.05 }),
  compliance: z
    .strictObject({
      frameworks: z.array(z.enum(['SOX', 'PCI_DSS', 'AML', 'KYC'])).default([]),
      classification: z.partialRecord(z.enum(CANONICAL_FIELDS), z.enum(CLASSIFICATIONS)).default({}),
      dataClassification: z.enum(CLASSIFICATIONS).default('CONFIDENTIAL'),
      /** Days rows are kept (by booking date); default: the engine's policy for the data classification (7 years). */
      retentionDays: z.int().positive().max(36_500).optional(),
      riskLevel: z.enum(LEVELS).default('MEDIUM'),
      sensitivity: z.enum(LEVELS).default('HIGH'),
      /** AML rule parameters (with AML in frameworks); anything not given keeps its default (docs/compliance.md). */
      aml: amlSchema.optional(),
      /**
       * Sanctions screening of counterparty names (with AML in frameworks): `required` refuses to run
       * without a loaded list, `off` skips it (documented exception).
       */
      sanctions: z.enum(['required', 'off']).default('required'),
      /** Screening threshold for this job; default: the engine's SCREENING_THRESHOLD. */
      screeningThreshold: z.number().gt(0).max(1).optional(),
      /** With KYC in frameworks: a transaction of an account without valid KYC raises an alert, or is held in the DLQ. */
      kycPolicy: z.enum(['alert', 'hold']).default('alert'),
      /**
       * Fields whose values are never card numbers (e.g. a 16-digit account number that passes the card
       * checks): stored as they are instead of tokenized or masked. `card_pan` cannot be listed.
       */
      notCardData: z.array(z.enum(NOT_CARD_DATA_FIELDS)).default([]),
    })
    .default({
      frameworks: [],
      classification: {},
      dataClassification: 'CONFIDENTIAL',
      riskLevel: 'MEDIUM',
      sensitivity: 'HIGH',
      sanctions: 'required',
      kycPolicy: 'alert',
      notCardData: [],
    }),
  sla: z
    .strictObject({
      deadline: z.iso.datetime({ offset: true }).optional(),
      /** Each day's deadline, "HH:MM" local (in timezone, else the schedule's, else UTC) on the run's day. */
      deadlineTime: z
        .string()
        .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24 h), e.g. "06:00"')
        .optional(),
      timezone: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').optional(),
      maxErrorRate: z.number().min(0).max(1).optional(),
    })
    .superRefine((s, ctx) => {
      if (s.deadline && s.deadlineTime)
        ctx.addIssue({ code: 'custom', path: ['deadlineTime'], message: 'give deadline or deadlineTime, not both' });
    })
    .optional(),
  /**
   * File arrival: each new, complete file in `inbox` (a folder, or a folder and a file-name pattern such
   * as `inbox/payments/*.csv`, inside a source root) becomes one run of the job's current version, with no
   * command. Complete: a `<file>.done` marker beside it, or its size and time unchanged for settleSeconds.
   */
  trigger: z
    .strictObject({
      inbox: z.string().min(1),
      settleSeconds: z.int().min(1).max(3600).default(5),
    })
    .optional(),
  /**
   * When the job's file is due: a five-field cron expression in `timezone` (IANA, default UTC), on business
   * days only (`calendar`: the local dates that are not). At each fire a job with a source path runs on it;
   * a job fed by its inbox only checks that a file arrived since the previous fire. A file that did not
   * come (or did not change) is recorded as missed: audited, logged and counted.
   */
  schedule: z
    .strictObject({
      cron: z.string().superRefine((v, ctx) => {
        try {
          parseCron(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
      timezone: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').default('UTC'),
      calendar: z.array(z.iso.date()).max(1000).default([]),
    })
    .optional(),
});

export type JobDefinition = z.infer<typeof jobDefinitionSchema>;
export type CsvSource = z.infer<typeof csvSourceSchema>;
export type JsonlSource = z.infer<typeof jsonlSourceSchema>;
export type BankSource = z.infer<typeof bankSourceSchema>;
export type KycSource = z.infer<typeof kycSourceSchema>;
/** The source of a file job. */
export type FileSource = CsvSource | JsonlSource | KycSource | BankSource;
export type FileJobDefinition = JobDefinition & { source: FileSource };
/** A file source as a run reads it: with the run's own file (its definition's path, `--file`, or an inbox's). */
export type RunFileSource = FileSource & { path: string };
export type RunFileJob = FileJobDefinition & { source: RunFileSource };

/** The definition of a file job (CSV, JSON lines or a bank format), or a precise error for a job of another source kind. */
export function asFileJob(def: JobDefinition): FileJobDefinition {
  if (def.source.kind === 'grpc')
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `job ${def.name} reads from "${def.source.kind}", not from a file`,
    );
  return def as FileJobDefinition;
}

/** The source system of the job's business key (source_system, txn_id): the source's `system`, else the job's name. */
export function sourceSystem(def: JobDefinition): string {
  return ('system' in def.source ? def.source.system : undefined) ?? def.name;
}

export function isBankSource(source: FileSource): source is BankSource {
  return (BANK_SOURCE_KINDS as readonly string[]).includes(source.kind);
}

/** The identity mapping: bank sources and ingest streams yield records in canonical field order. */
export const CANONICAL_MAPPING = Object.fromEntries(CANONICAL_FIELDS.map((f) => [f, f])) as Record<
  CanonicalField,
  string
>;

/**
 * How a file job's records are split and mapped: a CSV job's own settings; the JSON paths of a JSON lines
 * job (each record's fields are the values at `paths`, its header); or the canonical CSV lines of a bank source.
 */
export function recordLayout(source: FileSource): {
  delimiter: string;
  mapping: Partial<Record<CanonicalField, string>>;
  /** JSON lines only: the distinct mapped paths, in mapping order (the records' "header"). */
  paths?: string[];
} {
  if (isBankSource(source)) return { delimiter: ',', mapping: CANONICAL_MAPPING };
  if (source.kind === 'kyc') return { delimiter: source.delimiter, mapping: {} };
  if (source.kind === 'jsonl')
    return { delimiter: ',', mapping: source.mapping, paths: [...new Set(Object.values(source.mapping))] };
  return { delimiter: source.delimiter, mapping: source.mapping };
}

/** "sink.batching.maxSize must be ≥ minSize"-style messages: the bad path, then what is wrong. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join('.') : '(definition)';
      if (i.code === 'unrecognized_keys') return `${where}: unknown field(s) ${i.keys.join(', ')}`;
      return `${where} ${i.message}`;
    })
    .join('; ');
}

/**
 * Parses and validates a job definition (YAML or JSON text). Relative source paths are resolved
 * against `baseDir` (the job file's directory); without a baseDir a relative path is an error.
 */
export function parseJobDefinition(text: string, baseDir?: string): JobDefinition {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      `job definition is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StrongroomError(ErrorCode.INVALID_JOB_DEFINITION, 'job definition must be a mapping (YAML object)');
  }
  const parsed = jobDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      `invalid job definition: ${describeIssues(parsed.error)}`,
      {
        details: {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        },
      },
    );
  }
  const def = parsed.data;
  // a job's name, source system and path are shown to every role, on every row and in metrics — and every
  // other text of the definition (description, column names, …) is stored in its versions, shown with the
  // job: never card data
  for (const [key, value] of stringLeaves(def)) {
    if (findPans(value).length)
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        ['name', 'source.system', 'source.path'].includes(key)
          ? `invalid job definition: ${key} holds what looks like a card number; it is shown to everyone, stored on every row and used in metrics`
          : `invalid job definition: ${key} holds what looks like a card number; a definition is stored and shown with its job`,
      );
  }
  for (const [field, level] of Object.entries(def.compliance.classification)) {
    if (level === 'RESTRICTED' && !(ENCRYPTABLE_FIELDS as readonly string[]).includes(field)) {
      const why =
        field === 'txn_id'
          ? 'it is the business key (exactly-once needs it)'
          : field === 'card_pan'
            ? 'card numbers are tokenized and masked instead'
            : 'the engine computes on it (totals, reconciliation, AML windows)';
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        `invalid job definition: compliance.classification.${field} cannot be RESTRICTED: ${why}; RESTRICTED (encrypted) fields: ${ENCRYPTABLE_FIELDS.join(', ')}`,
      );
    }
  }
  // a KYC job loads the KYC register, and only a KYC job does; the compliance controls are for transactions
  const kyc = def.source.kind === 'kyc';
  const table = (raw as { sink?: { table?: unknown } }).sink?.table;
  if (kyc && table !== undefined && table !== 'kyc_customers')
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      'invalid job definition: sink.table: a job of kind kyc loads kyc_customers (the KYC register)',
    );
  if (!kyc && def.sink.table === 'kyc_customers')
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      'invalid job definition: sink.table: kyc_customers is loaded by a job of source kind kyc (columns account, customer_id, status, expires_at, risk_level)',
    );
  if (kyc) {
    def.sink.table = 'kyc_customers';
    if (def.compliance.frameworks.length)
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        'invalid job definition: compliance.frameworks: a KYC job loads the KYC register the transaction jobs are checked against; the frameworks apply to transaction jobs',
      );
  }
  // a daily deadline is read in the schedule's zone unless the SLA names its own
  if (def.sla?.deadlineTime && !def.sla.timezone) def.sla.timezone = def.schedule?.timezone ?? 'UTC';
  if (def.source.kind === 'grpc') {
    if (def.schedule)
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        'invalid job definition: schedule: a grpc job has no file to expect; only a file job has a schedule',
      );
    if (def.trigger)
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        'invalid job definition: trigger: a grpc job receives its records over IngestService; only a file job has an inbox',
      );
    return def;
  }
  if (def.source.path === undefined && !def.trigger)
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      'invalid job definition: source.path is required (or a trigger.inbox whose files the job loads)',
    );
  const absolute = (key: string, p: string) => {
    if (path.isAbsolute(p)) return p;
    if (!baseDir)
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        `invalid job definition: ${key} is relative and no base directory was given`,
      );
    return path.resolve(baseDir, p);
  };
  if (def.source.path !== undefined) def.source.path = absolute('source.path', def.source.path);
  if (def.trigger) {
    const { folder, pattern } = splitInbox(def.trigger.inbox);
    def.trigger.inbox = pattern
      ? path.join(absolute('trigger.inbox', folder), pattern)
      : absolute('trigger.inbox', folder);
  }
  return def;
}

/** A job's files must be inside the source roots: its source path and its inbox folder. */
export function confineJobPaths(def: JobDefinition, roots: SourceRoots): void {
  if (def.source.kind === 'grpc') return;
  if (def.source.path !== undefined) confineSourcePath(def.source.path, roots);
  if (def.trigger) confineSourcePath(splitInbox(def.trigger.inbox).folder, roots, 'inbox');
}

/**
 * An inbox as its folder and an optional file-name pattern (`*` and `?` in the last part only):
 * `inbox/payments` → the folder; `inbox/payments/*.csv` → the folder and `*.csv`.
 */
export function splitInbox(inbox: string): { folder: string; pattern?: string } {
  const base = path.basename(inbox);
  if (!/[*?]/.test(base)) {
    if (/[*?]/.test(inbox))
      throw new StrongroomError(
        ErrorCode.INVALID_JOB_DEFINITION,
        `invalid job definition: trigger.inbox ${inbox}: a pattern (* or ?) may only be in the file name`,
      );
    return { folder: inbox };
  }
  const folder = path.dirname(inbox);
  if (/[*?]/.test(folder))
    throw new StrongroomError(
      ErrorCode.INVALID_JOB_DEFINITION,
      `invalid job definition: trigger.inbox ${inbox}: a pattern (* or ?) may only be in the file name`,
    );
  return { folder, pattern: base };
}

/** Whether a file name matches an inbox pattern (`*` any run of characters, `?` one). */
export function matchesInboxPattern(name: string, pattern: string | undefined): boolean {
  if (!pattern) return true;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

/** Stable JSON (sorted keys) of a definition and its SHA-256: equal definitions → same version. */
export function canonicalDefinition(def: JobDefinition): { json: string; sha256: string } {
  const json = JSON.stringify(sortKeys(def));
  return { json, sha256: createHash('sha256').update(json).digest('hex') };
}

/** Every string in a value with its dotted path ("source.mapping.reference"), in document order. */
function stringLeaves(v: unknown, at = ''): [string, string][] {
  if (typeof v === 'string') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, at ? `${at}.${k}` : k));
  return [];
}

/** JSON with sorted keys: equal values give equal text. */
export function stableJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
