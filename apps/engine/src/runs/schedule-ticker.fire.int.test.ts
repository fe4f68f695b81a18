// Schedules against a real database with an injected clock: fires on business days only (in the schedule's
// time zone, holidays skipped), once across replicas, and a missing or unchanged file recorded as MISSED.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { sourceRoots } from '@strongroom/connectors';
import { createDataSource, runMigrations, type DataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import { parseJobDefinition, saveJob } from '@strongroom/pipeline';
import { createTestDatabase, makeTempDir, type TestDatabase } from '@strongroom/testing';
import { ScheduleTicker, type FireOutcome } from './schedule-ticker';

describe('ScheduleTicker (real PostgreSQL, injected clock)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let pg: Client;
  const dir = makeTempDir('strongroom-schedule-');
  const roots = sourceRoots([dir], path.join(dir, 'home'));
  const MAPPING = 'mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }';
  const CALENDAR = '[2026-12-24, 2026-12-25]';

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
    await runMigrations(ds);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await ds.destroy();
    await db.drop();
  });

  /** A replica's ticker whose clock the test sets; what it fired and submitted. */
  const replica = (id: string) => {
    const state = { now: new Date(), submitted: [] as string[], fired: [] as [string, FireOutcome][] };
    const ticker = new ScheduleTicker({
      ds,
      sourceRoots: roots,
      submit: (runId) => state.submitted.push(runId),
      logger: silentLogger(),
      replicaId: id,
      now: () => state.now,
      onFire: (job, outcome) => state.fired.push([job, outcome]),
    });
    return { ticker, state };
  };
  const fires = async (job: string) =>
    (
      await pg.query(
        `SELECT to_char(f.fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS at, f.outcome, f.replica
           FROM schedule_fires f JOIN jobs j ON j.id = f.job_id WHERE j.name = $1 ORDER BY f.fire_at`,
        [job],
      )
    ).rows as { at: string; outcome: string; replica: string }[];

  it('runs a job with a source path at 05:00 Berlin time on business days only, once across two replicas', async () => {
    const file = path.join(dir, 'daily.csv');
    fs.writeFileSync(file, 'id,acct,amt,ccy,ts\nd-1,A,1.00,EUR,2026-12-21\n');
    await saveJob(
      ds,
      parseJobDefinition(
        `name: daily-pull\nsource:\n  kind: csv\n  path: ${file}\n  ${MAPPING}\nschedule: { cron: "0 5 * * 1-5", timezone: Europe/Berlin, calendar: ${CALENDAR} }\n`,
      ),
      'user:ops',
    );
    const a = replica('a');
    const b = replica('b');
    // Tuesday 2026-12-22 to Monday 2026-12-28, looked at every six hours by both replicas; the file changes
    // every business day (the bank's new file) — except that it does not on the 23rd
    const start = Date.parse('2026-12-22T00:00:00Z');
    let changed = 1;
    for (let t = start; t <= Date.parse('2026-12-28T12:00:00Z'); t += 6 * 3600_000) {
      const d = new Date(t);
      if (d.getUTCHours() === 0 && d.toISOString().slice(0, 10) !== '2026-12-23')
        fs.writeFileSync(file, `id,acct,amt,ccy,ts\nd-${++changed},A,1.00,EUR,${d.toISOString().slice(0, 10)}\n`);
      a.state.now = d;
      b.state.now = d;
      await Promise.all([a.ticker.tick(), b.ticker.tick()]);
    }
    // 05:00 CET = 04:00 UTC; the 24th and 25th are holidays, the 26th and 27th a weekend
    expect((await fires('daily-pull')).map((f) => [f.at, f.outcome])).toEqual([
      ['2026-12-22T04:00', 'STARTED'],
      ['2026-12-23T04:00', 'ALREADY_LOADED'], // the day's file did not come: the same content as the 22nd's
      ['2026-12-28T04:00', 'STARTED'],
    ]);
    // each fire acted on by one replica: three fires, two runs submitted in all
    expect([...a.state.submitted, ...b.state.submitted]).toHaveLength(2);
    expect([...a.state.fired, ...b.state.fired].map(([, o]) => o).sort()).toEqual([
      'ALREADY_LOADED',
      'STARTED',
      'STARTED',
    ]);
    const missed = await pg.query(
      `SELECT actor, details->>'outcome' AS outcome FROM immutable_audit_log WHERE action = 'schedule:missed'`,
    );
    expect(missed.rows).toEqual([{ actor: 'service:scheduler', outcome: 'ALREADY_LOADED' }]);
  });

  it('checks that an inbox-fed job received its file since the previous business day, else records it MISSED', async () => {
    const inbox = path.join(dir, 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: inbox-expected\nsource:\n  kind: csv\n  ${MAPPING}\ntrigger: { inbox: ${inbox} }\nschedule: { cron: "30 6 * * 1-5", timezone: America/New_York }\n`,
      ),
      'user:ops',
    );
    // a file arrived (its run was made) on Thursday 2026-12-10 at 09:00 UTC, none on Friday
    await pg.query(
      `INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes, created_at)
       VALUES (gen_random_uuid(), $1, 1, 'SUCCEEDED', $2, $3, 10, '2026-12-10T09:00:00Z')`,
      [job.id, path.join(inbox, 'x.csv'), 'a'.repeat(64)],
    );
    const r = replica('c');
    for (const at of ['2026-12-10T10:00:00Z', '2026-12-11T10:00:00Z', '2026-12-12T10:00:00Z']) {
      r.state.now = new Date(at);
      await r.ticker.tick();
    }
    // 06:30 New York (EST, UTC-5) = 11:30 UTC: Friday's fire (the 11th) found no file since Thursday's
    expect((await fires('inbox-expected')).map((f) => [f.at, f.outcome])).toEqual([
      ['2026-12-10T11:30', 'STARTED'],
      ['2026-12-11T11:30', 'MISSED'],
    ]);
  });

  it('acts on a fire whose replica died after claiming it (a CLAIMED row left behind)', async () => {
    const file = path.join(dir, 'reclaim.csv');
    fs.writeFileSync(file, 'id,acct,amt,ccy,ts\nr-1,A,1.00,EUR,2026-12-21\n');
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: reclaimed\nsource:\n  kind: csv\n  path: ${file}\n  ${MAPPING}\nschedule: { cron: "0 0 1 1 *" }\n`,
      ),
      'user:ops',
    );
    // the dead replica's claim, of a fire an hour ago, made ten minutes ago
    await pg.query(
      `INSERT INTO schedule_fires (job_id, fire_at, replica, created_at)
       VALUES ($1, date_trunc('minute', now()) - interval '1 hour', 'dead', now() - interval '10 minutes')`,
      [job.id],
    );
    const r = replica('d');
    r.state.now = new Date();
    await r.ticker.tick();
    expect((await fires('reclaimed')).map((f) => [f.outcome, f.replica])).toEqual([['STARTED', 'd']]);
    expect(r.state.submitted).toHaveLength(1);
  });

  it('refuses a bad schedule with the field at fault', () => {
    const def = (s: string) =>
      parseJobDefinition(`name: bad\nsource:\n  kind: csv\n  path: /x.csv\n  ${MAPPING}\nschedule: ${s}\n`);
    expect(() => def('{ cron: "0 25 * * *" }')).toThrow(/schedule.cron cron hour "25" is outside 0-23/);
    expect(() => def('{ cron: "0 5 * * 1-5", timezone: Mars/Olympus }')).toThrow(/schedule.timezone must be an IANA/);
    expect(() => def('{ cron: "0 5 * * 1-5", calendar: [2026-13-01] }')).toThrow(/schedule.calendar/);
  });
});
