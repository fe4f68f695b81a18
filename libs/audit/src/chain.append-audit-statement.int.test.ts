import { Client } from 'pg';
import { sqlLiteral } from '@strongroom/db';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { type HashedEntry } from './entry-hash';
import { appendAudit, appendAuditStatement, entryHash, GENESIS_HASH, verifyChain, type AuditEntryInput } from './index';

/**
 * A batch appends its audit entry in the statement it sends with COMMIT: the database reads the chain's tail under
 * the append lock and computes the entry's hash. The hash must be the one entryHash computes, byte for byte, for
 * any text the entry holds.
 */
describe('appendAuditStatement', () => {
  let db: TestDatabase;
  let pg: Client;
  const exec = (sql: string, p?: unknown[]) => pg.query(sql, p).then((r) => r.rows);

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  const entries: AuditEntryInput[] = [
    // the first entry of the chain: its previous hash is the genesis
    { actor: 'service:engine', action: 'batch:committed', subject: { runId: 'r-1', batchSeq: 1 }, details: {} },
    {
      actor: `user:o'brien\\x`,
      action: 'batch:committed',
      subject: { runId: `it's "quoted"`, batchSeq: 2 },
      details: {
        note: 'tab\there, newline\nthere, back\\slash, NUL-free',
        names: ['Zoë Müller', 'Nakamura 株式会社', '🙂'],
      },
    },
    // a card number in the details is kept masked, as appendAudit keeps it
    {
      actor: 'service:engine',
      action: 'batch:committed',
      subject: {},
      details: { message: 'card 4111 1111 1111 1111' },
    },
    { actor: 'service:engine', action: 'batch:committed', subject: { n: 12345678901234 }, details: { empty: '' } },
  ];

  it.each(['on', 'off'])(
    'inserts the entry whose hash entryHash computes, in one chain with appendAudit (standard_conforming_strings %s)',
    async (setting) => {
      await pg.query(`SET standard_conforming_strings = ${setting}`);
      for (const [i, input] of entries.entries()) {
        await pg.query('BEGIN');
        // statements and appendAudit take turns: one chain
        if (i % 2 === 0) await pg.query(`${appendAuditStatement(input, sqlLiteral)}; COMMIT`);
        else {
          await appendAudit(exec, input);
          await pg.query('COMMIT');
        }
      }
      const rows = (await exec(
        `SELECT seq::int AS seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
                actor, action, subject, details, prev_hash AS "prevHash", hash
           FROM immutable_audit_log ORDER BY seq`,
      )) as (HashedEntry & { prevHash: string; hash: string })[];
      const mine = rows.slice(-entries.length);
      expect(mine.map((r) => r.seq)).toEqual(entries.map((_, i) => rows.length - entries.length + i + 1));
      // the first case starts the chain: its first entry, appended by the statement, follows the genesis
      if (setting === 'on') expect([mine[0]?.seq, mine[0]?.prevHash]).toEqual([1, GENESIS_HASH]);
      for (const [i, r] of mine.entries()) {
        const input = entries[i] as AuditEntryInput;
        expect(r.actor).toBe(input.actor);
        if (i !== 2) expect(r.details).toEqual(input.details);
        const { prevHash, hash, ...hashed } = r;
        expect(hash).toBe(entryHash(prevHash, hashed));
      }
      expect(JSON.stringify(mine[2]?.details)).not.toContain('4111 1111 1111 1111');
      expect((await verifyChain(exec)).ok).toBe(true);
    },
  );

  it('keeps the chain verifiable when a text holds a lone surrogate: stored as U+FFFD, and hashed as stored', async () => {
    // a token's subject may carry one (JSON allows the escape); UTF-8 has no lone surrogates
    const input: AuditEntryInput = {
      actor: 'user:a\ud800b',
      action: 'batch:committed',
      subject: { runId: 'r-\udc00' },
      details: { note: 'x\udbff', pair: '🙂' },
    };
    await pg.query('BEGIN');
    await pg.query(`${appendAuditStatement(input, sqlLiteral)}; COMMIT`);
    await appendAudit(exec, input);
    const rows = (await exec(
      `SELECT actor, subject, details FROM immutable_audit_log ORDER BY seq DESC LIMIT 2`,
    )) as Pick<HashedEntry, 'actor' | 'subject' | 'details'>[];
    for (const r of rows)
      expect(r).toEqual({
        actor: 'user:a\ufffdb',
        subject: { runId: 'r-\ufffd' },
        details: { note: 'x\ufffd', pair: '🙂' },
      });
    expect((await verifyChain(exec)).ok).toBe(true);
  });
});
