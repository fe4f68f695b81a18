import { generateKeyPairSync } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import {
  appendAudit,
  createCheckpoint,
  entryHash,
  entryHashPrefixes,
  exportCheckpoint,
  parseExportedCheckpoint,
  type Checkpoint,
  keyIdOf,
  listCheckpoints,
  signCheckpoint,
  verifyChain,
  type SigningKey,
} from './index';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const key: SigningKey = { privateKey, publicKey, keyId: keyIdOf(publicKey) };

describe('audit chain against real PostgreSQL', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  /** A database with `n` chained entries and a signed checkpoint after every 10th. */
  async function chain(
    n: number,
  ): Promise<{ pg: Client; exec: (sql: string, p?: unknown[]) => Promise<Record<string, unknown>[]> }> {
    const db = await createTestDatabase();
    dbs.push(db);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const exec = (sql: string, p?: unknown[]) => pg.query(sql, p).then((r) => r.rows);
    for (let i = 1; i <= n; i++) {
      await pg.query('BEGIN');
      await appendAudit(exec, {
        actor: 'service:test',
        action: 'batch:committed',
        subject: { runId: 'r1', batchSeq: i },
        details: { loaded: i * 10, digest: 'x'.repeat(8) },
      });
      await pg.query('COMMIT');
      if (i % 10 === 0) await createCheckpoint(exec, key);
    }
    // the superuser's way around the append-only triggers
    await pg.query('ALTER TABLE immutable_audit_log DISABLE TRIGGER USER');
    return { pg, exec };
  }

  /** Verifies in pages of 7, hashing in worker threads and on this thread: both must find the same. */
  const verify = async (exec: (sql: string, p?: unknown[]) => Promise<Record<string, unknown>[]>) => {
    const checkpoints = await listCheckpoints(exec);
    const inWorkers = await verifyChain(exec, { checkpoints, publicKey, pageSize: 7, hashWorkers: 2 });
    const inline = await verifyChain(exec, { checkpoints, publicKey, pageSize: 7, hashWorkers: 0 });
    expect(inline).toEqual(inWorkers);
    return inWorkers;
  };

  it('verifies an untouched chain, also incrementally from a checkpoint', async () => {
    const { pg, exec } = await chain(25);
    expect(await verify(exec)).toMatchObject({ ok: true, entries: 25, lastSeq: 25, checkpointsChecked: 2 });
    const [cp20] = (await listCheckpoints(exec)).slice(-1);
    expect(await verifyChain(exec, { from: cp20, publicKey })).toMatchObject({ ok: true, entries: 5, firstSeq: 21 });
    await pg.end();
  });

  it('names a modified entry', async () => {
    const { pg, exec } = await chain(25);
    await pg.query(`UPDATE immutable_audit_log SET details = '{"loaded": 1}' WHERE seq = 13`);
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 13, kind: 'modified' });
    await pg.end();
    // the same instant in the year's BC twin (a date the database writes without its era in ISO digits)
    const b = await chain(25);
    await b.pg.query(
      `UPDATE immutable_audit_log SET occurred_at = (to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00 BC')::timestamptz WHERE seq = 9`,
    );
    expect(await verify(b.exec)).toMatchObject({ ok: false, firstBadSeq: 9, kind: 'modified' });
    await b.pg.end();
  });

  it('names a deleted entry, with and without renumbering the rest', async () => {
    const a = await chain(25);
    await a.pg.query('DELETE FROM immutable_audit_log WHERE seq = 8');
    expect(await verify(a.exec)).toMatchObject({ ok: false, firstBadSeq: 8, kind: 'deleted' });
    await a.pg.query('UPDATE immutable_audit_log SET seq = seq - 1 WHERE seq > 8');
    expect(await verify(a.exec)).toMatchObject({ ok: false, firstBadSeq: 8, kind: 'deleted' });
    await a.pg.end();
  });

  it('names an inserted entry', async () => {
    const { pg, exec } = await chain(25);
    await pg.query('UPDATE immutable_audit_log SET seq = seq + 1000 WHERE seq >= 6');
    await pg.query('UPDATE immutable_audit_log SET seq = seq - 999 WHERE seq > 1000');
    const [prev] = (await pg.query(`SELECT hash FROM immutable_audit_log WHERE seq = 5`)).rows;
    const forged = {
      seq: 6,
      occurredAt: new Date().toISOString(),
      actor: 'user:mallory',
      action: 'run:succeeded',
      subject: {},
      details: {},
    };
    await pg.query(
      `INSERT INTO immutable_audit_log (seq, occurred_at, actor, action, subject, details, prev_hash, hash) VALUES (6, $1, $2, $3, '{}', '{}', $4, $5)`,
      [forged.occurredAt, forged.actor, forged.action, prev.hash, entryHash(prev.hash, forged)],
    );
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 6, kind: 'inserted' });
    await pg.end();
  });

  it('names reordered entries', async () => {
    const { pg, exec } = await chain(25);
    await pg.query('UPDATE immutable_audit_log SET seq = 999 WHERE seq = 15');
    await pg.query('UPDATE immutable_audit_log SET seq = 15 WHERE seq = 16');
    await pg.query('UPDATE immutable_audit_log SET seq = 16 WHERE seq = 999');
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 15, kind: 'reordered' });
    await pg.end();
    // across pages (of 7): seq 14 ends the second page, 15 starts the third
    const b = await chain(25);
    await b.pg.query('UPDATE immutable_audit_log SET seq = 999 WHERE seq = 14');
    await b.pg.query('UPDATE immutable_audit_log SET seq = 14 WHERE seq = 15');
    await b.pg.query('UPDATE immutable_audit_log SET seq = 15 WHERE seq = 999');
    expect(await verify(b.exec)).toMatchObject({ ok: false, firstBadSeq: 14, kind: 'reordered' });
    await b.pg.end();
  });

  it('names a truncated tail against a signed checkpoint', async () => {
    const { pg, exec } = await chain(25);
    await pg.query('DELETE FROM immutable_audit_log WHERE seq > 17');
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 18, kind: 'truncated' });
    await pg.end();
  });

  /** The forger's edit: entry `seq` gets other details and every hash from there on is recomputed. */
  async function rehashAfterEditing(pg: Client, seq: number): Promise<void> {
    const rows = (
      await pg.query(
        'SELECT seq::int AS seq, occurred_at, actor, action, subject, details FROM immutable_audit_log ORDER BY seq',
      )
    ).rows;
    let prev = '0'.repeat(64);
    for (const r of rows) {
      const details = r.seq === seq ? { loaded: 999999 } : r.details;
      const h = entryHash(prev, {
        seq: r.seq,
        occurredAt: r.occurred_at.toISOString(),
        actor: r.actor,
        action: r.action,
        subject: r.subject,
        details,
      });
      await pg.query('UPDATE immutable_audit_log SET details = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
        r.seq,
        JSON.stringify(details),
        prev,
        h,
      ]);
      prev = h;
    }
  }

  it('catches a whole chain re-hashed after an edit, by its signed checkpoints', async () => {
    const { pg, exec } = await chain(25);
    await rehashAfterEditing(pg, 14);
    expect(await verifyChain(exec)).toMatchObject({ ok: true }); // without checkpoints the forgery is consistent
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 11, kind: 'rehashed' });
    await pg.end();
  });

  it('names the first changed entry of a re-hashed chain from an exported checkpoint that recorded the hashes', async () => {
    const { pg, exec } = await chain(25);
    const [cp20] = (await listCheckpoints(exec)).slice(-1);
    const file = JSON.parse(
      JSON.stringify(
        exportCheckpoint(cp20 as Checkpoint, key, { fromSeq: 1, prefixes: await entryHashPrefixes(exec, 1, 20) }),
      ),
    );
    const exported = parseExportedCheckpoint(JSON.stringify(file));
    // the forger edits seq 5, recomputes every later hash and removes the checkpoints the database held
    await rehashAfterEditing(pg, 5);
    await pg.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
    await pg.query('DELETE FROM audit_checkpoints');
    const recorded = {
      ...(exported.entryHashes as { fromSeq: number; prefixes: string }),
      seq: 20,
      hash: exported.hash,
    };
    expect(await verifyChain(exec, { checkpoints: [exported], publicKey, recorded })).toMatchObject({
      ok: false,
      firstBadSeq: 5,
      kind: 'rehashed',
      message: expect.stringContaining('seq 5 is not the entry the exported checkpoint at seq 20 recorded'),
    });
    // the head alone says only that something before seq 20 was rewritten
    expect(await verifyChain(exec, { checkpoints: [exported], publicKey })).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      kind: 'rehashed',
    });
    // recorded hashes that do not end in the signed hash are not taken into account
    const forgedList = { ...recorded, prefixes: `${'0'.repeat(16 * 19)}${'f'.repeat(16)}` };
    expect(await verifyChain(exec, { checkpoints: [exported], publicKey, recorded: forgedList })).toMatchObject({
      firstBadSeq: 1,
    });
    expect(() =>
      parseExportedCheckpoint(JSON.stringify({ ...file, entryHashes: { fromSeq: 1, prefixes: 'abc' } })),
    ).toThrow(/entryHashes do not cover fromSeq..seq/);
    await pg.end();
  });

  it('rejects a forged checkpoint signature', async () => {
    const { pg, exec } = await chain(12);
    const other = generateKeyPairSync('ed25519');
    const forged = signCheckpoint(
      { privateKey: other.privateKey, publicKey: other.publicKey, keyId: key.keyId },
      12,
      'f'.repeat(64),
    );
    await pg.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
    await pg.query(
      'INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
      [12, forged.hash, forged.signedAt, forged.keyId, forged.signature],
    );
    expect(await verify(exec)).toMatchObject({ ok: false, firstBadSeq: 12, kind: 'forged-checkpoint' });
    await pg.end();
  });

  it('keeps one linear, gap-free chain under 100 concurrent appenders', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const pool = new Pool({ connectionString: db.url, max: 100 });
    try {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            await appendAudit((sql, p) => c.query(sql, p).then((r) => r.rows), {
              actor: `service:appender-${i}`,
              action: 'test:appended',
              subject: { i },
            });
            await c.query('COMMIT');
          } finally {
            c.release();
          }
        }),
      );
      const exec = (sql: string, p?: unknown[]) => pool.query(sql, p).then((r) => r.rows);
      expect(await verifyChain(exec)).toMatchObject({ ok: true, entries: 100, lastSeq: 100 });
      const [{ n, prevs }] = await exec(
        'SELECT count(*)::int AS n, count(DISTINCT prev_hash)::int AS prevs FROM immutable_audit_log',
      );
      expect({ n, prevs }).toEqual({ n: 100, prevs: 100 }); // no fork: every entry has its own predecessor
    } finally {
      await pool.end();
    }
  });
});
