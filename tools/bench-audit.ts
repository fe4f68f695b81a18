// Audit chain benchmark: append throughput (one entry per transaction, 1 and 8 concurrent appenders)
// and verification of a 1,000,000-entry chain from genesis.
// `node bin/run-ts.js tools/bench-audit.ts [entries] [--workers N] [--profile file.cpuprofile]` (N hashing threads;
// default: cores - 1, at least 1; --profile writes a CPU profile of this thread during the verification only)
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { appendAudit, canonicalJson, entryHash, GENESIS_HASH, verifyChain } from '@strongroom/audit';
import { copyEscape, copyText } from '@strongroom/connectors';
import { withThrowawayDatabase } from './throwaway-db';
import { sqlExec } from '@strongroom/db';

async function appendRate(pool: Pool, appenders: number, total: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      const c = await pool.connect();
      try {
        while (next < total) {
          next++;
          await c.query('BEGIN');
          await appendAudit(sqlExec(c), {
            actor: 'service:bench',
            action: 'batch:committed',
            subject: { runId: 'bench', batchSeq: next },
            details: { loaded: 1000 },
          });
          await c.query('COMMIT');
        }
      } finally {
        c.release();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const w = args.indexOf('--workers');
  const hashWorkers = w >= 0 ? Number(args[w + 1]) : undefined;
  if (w >= 0) args.splice(w, 2);
  const pf = args.indexOf('--profile');
  const profileFile = pf >= 0 ? args[pf + 1] : undefined;
  if (pf >= 0) args.splice(pf, 2);
  const entries = Number(args[0] ?? 1_000_000);
  await withThrowawayDatabase(async (cluster) => {
    const pool = new Pool({ connectionString: cluster.url, max: 8 });
    const one = await appendRate(pool, 1, 5000);
    const eight = await appendRate(pool, 8, 10_000);
    await pool.query('ALTER TABLE immutable_audit_log DISABLE TRIGGER USER');
    await pool.query('TRUNCATE immutable_audit_log');
    await pool.query('ALTER TABLE immutable_audit_log ENABLE TRIGGER USER');
    await pool.end();

    // build a valid chain of `entries` entries in bulk (COPY), then verify it from genesis
    const c = new Client({ connectionString: cluster.url });
    await c.connect();
    let prev = GENESIS_HASH;
    const start = Date.UTC(2026, 10, 1);
    for (let from = 1; from <= entries; from += 50_000) {
      const lines: string[] = [];
      for (let seq = from; seq < Math.min(from + 50_000, entries + 1); seq++) {
        const e = {
          seq,
          occurredAt: new Date(start + seq).toISOString(),
          actor: 'service:engine',
          action: 'batch:committed',
          subject: { runId: 'r', batchSeq: seq },
          details: { loaded: 1000, digest: 'ab'.repeat(32) },
        };
        const hash = entryHash(prev, e);
        lines.push(
          [seq, e.occurredAt, e.actor, e.action, canonicalJson(e.subject), canonicalJson(e.details), prev, hash]
            .map((v) => copyEscape(String(v)))
            .join('\t'),
        );
        prev = hash;
      }
      await copyText(
        c,
        'immutable_audit_log (seq, occurred_at, actor, action, subject, details, prev_hash, hash)',
        lines,
      );
    }
    const session = profileFile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const t0 = performance.now();
    const r = await verifyChain(sqlExec(c), { hashWorkers });
    const s = (performance.now() - t0) / 1000;
    if (session && profileFile) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(profileFile, JSON.stringify(profile));
      session.disconnect();
    }
    await c.end();
    const result = {
      appendPerSecond1: Math.round(one),
      appendPerSecond8: Math.round(eight),
      verifyEntries: r.entries,
      verifyOk: r.ok,
      verifySeconds: Number(s.toFixed(2)),
      verifyPerSecond: Math.round(r.entries / s),
      hashWorkers: hashWorkers ?? 'default',
    };
    console.log(JSON.stringify(result));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
