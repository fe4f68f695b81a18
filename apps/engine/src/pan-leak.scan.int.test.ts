import fs from 'node:fs';
import { Client } from 'pg';
import {
  createComplianceServiceClient,
  createDeadLetterServiceClient,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ListDeadLettersRequest,
  type ListDeadLettersResponse,
  createJobServiceClient,
  type GetReportRequest,
  type GetReportResponse,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { createRandom, generateAchFile, luhnComplete } from '@strongroom/datagen';
import {
  corpusDir,
  createTestDatabase,
  findLuhnValidPans,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const LISTS = corpusDir('sanctions', 'ofactest');
const BINS = ['411111', '555555', '378282', '601111', '353011', '222300'];

/**
 * PCI DSS 3.3–3.5 / invariant I6, end to end: load data full of card numbers — in the card column and in
 * free text (references, names, ids), formatted every way, in rows that load and rows that are
 * dead-lettered, next to track data, and in bank files (a NACHA file with card numbers in the receiver
 * fields, and corpus files of every bank format) — then scan everything the product keeps: every table (a full data
 * dump: sink, DLQ, audit log, alerts, runs…) and every log line. No Luhn-valid PAN may be found.
 */
describe('no card number in clear anywhere', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  const dir = makeTempDir();

  afterAll(async () => {
    jobs?.close();
    await engine?.stop();
    await db?.drop();
  });

  it('after a load full of PANs, a dump of every table and the captured logs hold no Luhn-valid PAN', async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        STRONGROOM_SANCTIONS_LISTS: `${LISTS}/sdn.csv,${LISTS}/alt.csv`,
        LOG_LEVEL: 'debug',
      },
    });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const r = createRandom(77);
    const planted: string[] = [];
    const pan = (asciiOnly = false) => {
      const bin = r.pick(BINS);
      // an American Express number has 15 digits, the others 16
      const body = bin.startsWith('37')
        ? String(r.int(0, 99_999_999)).padStart(8, '0')
        : String(r.int(0, 999_999_999)).padStart(9, '0');
      const p = luhnComplete(`${bin}${body}`);
      planted.push(p);
      // every shape a person (or a system) writes a card number in: grouped by 4 with spaces, dashes, dots,
      // slashes, underscores, no-break or zero-width spaces; in pairs; digit by digit; full-width
      const by = (n: number, sep: string) => (p.match(new RegExp(`.{1,${n}}`, 'g')) as string[]).join(sep);
      const shapes = [
        () => p,
        () => by(4, ' '),
        () => by(4, '-'),
        () => by(4, '.'),
        () => by(4, '/'),
        () => by(4, '_'),
        () => by(4, '\u00a0'),
        () => by(4, '\u200b'),
        () => by(2, ' '),
        () => by(1, ' '),
        () => [...p].map((c) => String.fromCharCode(0xff10 + Number(c))).join(''),
      ];
      // a NACHA file is ASCII by definition: only the ASCII shapes there
      const usable = asciiOnly ? [0, 1, 2, 3, 4, 5, 8, 9] : shapes.map((_, k) => k);
      return (shapes[usable[r.int(0, usable.length - 1)] as number] as () => string)();
    };
    // in free text (quoted fields) also: groups split by tabs, a number broken over two lines, a number right
    // after a valid IBAN
    const textPan = () => {
      const shown = pan();
      const p = planted[planted.length - 1] as string;
      const by = (n: number, sep: string) => (p.match(new RegExp(`.{1,${n}}`, 'g')) as string[]).join(sep);
      const k = r.int(0, 5);
      return k === 0
        ? by(4, '\t')
        : k === 1
          ? by(8, '\n')
          : k === 2
            ? `DE89 3704 0044 0532 0130 00 ${by(4, ' ')}`
            : shown;
    };
    // Luhn-valid identifiers that no card network issues: stored as they are (not tokenized, not masked)
    const notCards = ['021000021234500', '7000123412341237', '100000000000009', '9000000000000001'];
    // with the card number, the file carries what must never be stored (PCI DSS 3.3.1): its verification
    // code, the PIN block and the track data — and the expiry beside the card number
    const lines = [
      // a column (not mapped) named after a card number: the stored header passes the detector too
      'id,account,counterparty_iban,counterparty_name,amount,currency,booked_at,reference,card_number,CVV2,Exp Date,pin_block,Track 2,notes 4111 1111 1111 1111',
    ];
    for (let i = 0; i < 3000; i++) {
      const card = r.next() < 0.4 ? pan() : '';
      const ref =
        r.next() < 0.3
          ? `card payment ${textPan()} thank you`
          : r.next() < 0.05
            ? `swiped %B${(pan(), planted[planted.length - 1])}^DOE/JOHN^2812101000000000000000?`
            : r.next() < 0.05
              ? `card ${pan()} exp 12/28 CVV2: ${r.int(100, 999)}`
              : `invoice ${i}`;
      const name = r.next() < 0.05 ? `card ${textPan()}` : 'Grace Hopper';
      const id = i < notCards.length ? (notCards[i] as string) : r.next() < 0.02 ? pan().replace(/[ -]/g, '') : `T${i}`;
      const amount =
        r.next() < 0.05 ? `12,50 (${pan()})` : `${r.int(1, 99_999)}.${String(r.int(0, 99)).padStart(2, '0')}`; // some rows are dead-lettered
      lines.push(
        `${id},DE89370400440532013000,FR1420041010050500013M02606,"${name}",${amount},EUR,2026-05-01T10:00:00Z,"${ref}",${card},SADCVV${i},SADEXP${i},SADPIN${i},SADTRK${i},n${i}`,
      );
    }
    const csv = writeTempFile(dir, 'pans.csv', lines.join('\n') + '\n');
    expect(findLuhnValidPans(lines.join('\n'), 1)).toHaveLength(1); // the scanner does see them in the source

    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: pan-leak\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, reference: reference, card_pan: card_number }\nbatching: { minSize: 500, maxSize: 500 }\nerrors: { maxRejectRatio: 0.2 }\ncompliance: { frameworks: [PCI_DSS, AML] }\n`,
      baseDir: '',
    });
    const runToEnd = async (jobId: string) => {
      const runId = (await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId, file: '' })).run
        ?.id as string;
      for (;;) {
        const run = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run as Run;
        if (run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PENDING) return run;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const run = await runToEnd(job.job?.id ?? '');
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 3000, errorMessage: '' });
    expect(run.identifiersTokenized).toBeGreaterThan(0); // ids that were card numbers: said, not silent
    expect(run.deadLettered).toBeGreaterThan(50);

    // bank files too: a generated NACHA file with card numbers in the receiver's id and name fields,
    // and real corpus files of every format
    const achFile = `${dir}/pans.ach`;
    await generateAchFile(achFile, { entries: 400, batchSize: 100 });
    const achLines = fs.readFileSync(achFile, 'latin1').split('\n');
    const ach = achLines
      .map((l) => {
        if (!l.startsWith('6') || r.next() < 0.5) return l;
        const amex = luhnComplete(`378282${String(r.int(0, 99_999_999)).padStart(8, '0')}`);
        planted.push(amex);
        const visa = pan(true);
        return `${l.slice(0, 39)}${amex}${visa.padEnd(22, ' ').slice(0, 22)}${l.slice(76)}`;
      })
      .join('\n');
    fs.writeFileSync(achFile, ach, 'latin1');
    expect(findLuhnValidPans(ach, 1)).toHaveLength(1);
    const bankFiles: [string, string][] = [
      ['ach', achFile],
      ['ach', `${corpusDir('ach')}/web-debit.ach`],
      ['camt053', `${corpusDir('camt053')}/FI_camt_053_sample.xml.xml`],
      // source paths are operator configuration, stored as given (the engine must open them): this sample's
      // name carries no digit run that happens to pass the Luhn check, unlike some of its siblings
      [
        'camt054',
        `${corpusDir('camt054')}/200519_camt054-chdd_p_ch2909000000250094239_1110097484_0_20190520700381159.xml`,
      ],
      ['pain001', `${corpusDir('pain001')}/gistfile1.xml`],
      ['mt940', `${corpusDir('mt940')}/betterplace/sepa_mt9401.sta`],
      ['bai2', `${corpusDir('bai2')}/sample1.txt`],
    ];
    for (const [i, [kind, file]] of bankFiles.entries()) {
      const bankJob = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
        definition: `name: pan-leak-bank-${i}\nsource:\n  kind: ${kind}\n  path: ${file}\ncompliance: { frameworks: [PCI_DSS, AML] }\n`,
        baseDir: '',
      });
      expect({ file, status: (await runToEnd(bankJob.job?.id ?? '')).status }).toEqual({
        file,
        status: RunStatus.RUN_STATUS_SUCCEEDED,
      });
    }

    // people quote card numbers in what they type: reasons, hold values, dead-letter resolutions — and a job
    // named after one is refused, since its name is on every row and in metrics
    const quoted = '4000 0566 5566 5556';
    const compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    const dlq = createDeadLetterServiceClient({ address: engine.address, token: engine.token });
    try {
      const alerts = await unaryCall<ListAlertsRequest, ListAlertsResponse>(compliance, compliance.listAlerts, {
        rule: '',
        status: 0,
        runId: '',
        account: '',
        pageSize: 1,
        pageToken: '',
        order: 0,
      });
      await unaryCall(compliance, compliance.transitionAlert, {
        id: alerts.alerts[0]?.id ?? '',
        to: 3,
        reason: `false positive: customer paid with ${quoted}`,
      });
      await unaryCall(compliance, compliance.placeLegalHold, {
        scope: 'ACCOUNT',
        value: `${quoted}`,
        reason: `dispute over card ${quoted}`,
      });
      const letters = await unaryCall<ListDeadLettersRequest, ListDeadLettersResponse>(dlq, dlq.listDeadLetters, {
        runId: '',
        jobId: '',
        status: 0,
        reasonCode: '',
        pageSize: 2,
        pageToken: '',
      });
      await unaryCall(dlq, dlq.discardDeadLetters, {
        ids: letters.deadLetters.map((d) => d.id),
        reason: `duplicate of ${quoted}`,
      });
      await expect(
        unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
          definition: `name: refund-${quoted.replace(/ /g, '-')}\nsource: { kind: grpc }\n`,
          baseDir: '',
        }),
      ).rejects.toMatchObject({ details: expect.stringContaining('name holds what looks like a card number') });
    } finally {
      compliance.close();
      dlq.close();
    }

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    let dump = '';
    try {
      const tables = (
        await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
      ).rows.map((t) => t.tablename as string);
      expect(tables).toEqual(
        expect.arrayContaining([
          'transactions',
          'dead_letter_queue',
          'immutable_audit_log',
          'compliance_alerts',
          'job_runs',
        ]),
      );
      for (const t of tables) {
        const rows = (await pg.query(`SELECT to_jsonb(x)::text AS row FROM ${t} x`)).rows as { row: string }[];
        dump += `-- ${t}\n${rows.map((x) => x.row).join('\n')}\n`;
      }
      const [{ tokens }] = (
        await pg.query(
          `SELECT count(*)::int AS tokens FROM transactions WHERE card_pan_token IS NOT NULL AND card_pan_masked ~ '^[0-9]{6}\\*+[0-9]{4}$'`,
        )
      ).rows;
      expect(tokens).toBeGreaterThan(500); // the cards were kept, as tokens and masks
      const kept = (await pg.query(`SELECT txn_id FROM transactions WHERE txn_id = ANY($1)`, [notCards])).rows;
      expect(kept.map((k) => k.txn_id).sort()).toEqual([...notCards].sort());
    } finally {
      await pg.end();
    }
    expect(dump.length).toBeGreaterThan(1_000_000);
    // the dump is JSON text: a tab or a line break inside a value is written as \t or \n — read them as the
    // separators they were
    expect(findLuhnValidPans(dump.replace(/\\[ntr]/g, ' '))).toEqual([]);

    // the product's own PCI DSS control agrees: nothing in clear…
    const pciReport = async () => {
      const compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
      try {
        const r = await unaryCall<GetReportRequest, GetReportResponse>(compliance, compliance.getReport, {
          framework: 'PCI_DSS',
          from: '2000-01-01',
          to: '2100-01-01',
        });
        return JSON.parse(r.reportJson) as {
          summary: Record<string, unknown>;
          sections: { name: string; rows: { table: string; column: string }[] }[];
        };
      } finally {
        compliance.close();
      }
    };
    const clean = await pciReport();
    expect(clean.summary).toMatchObject({ panScanClean: true, valuesWithCardNumbers: 0 });
    expect(Number(clean.summary['valuesScanned'])).toBeGreaterThan(20_000);
    // …and it finds one clear card number planted in any text column of any table, each on its own
    const plantedIn = await plantInEveryTextColumn(db.url, '5555 5555 5555 4444');
    expect(plantedIn.length).toBeGreaterThan(30);
    const dirty = await pciReport();
    expect(dirty.summary['panScanClean']).toBe(false);
    const reported = new Set(
      (dirty.sections.find((x) => x.name === 'card numbers found in clear')?.rows ?? []).map(
        (x) => `${x.table}.${x.column.replace(/[.{[].*$/, '')}`,
      ),
    );
    expect(plantedIn.filter((c) => !reported.has(c))).toEqual([]);
    // and the metrics, whose labels name jobs (a job named after a card number is refused above)
    const metrics = await (await fetch(engine.metricsUrl as string)).text();
    expect(metrics).toContain('pan-leak');
    // the series (names and labels) are what could carry one: a sample value is a number the engine measured,
    // and a float sum such as 5.899525156000001 can pass the Luhn check by chance
    const series = metrics
      .split('\n')
      .map((line) => (line.startsWith('#') ? line : line.replace(/ \S+$/, '')))
      .join('\n');
    expect(series).toContain('job="pan-leak"');
    expect(findLuhnValidPans(series)).toEqual([]);
    await engine.stop(); // flush every log line
    const logs = engine.output();
    expect(logs).toContain('batch:committed');
    expect(findLuhnValidPans(logs)).toEqual([]);
    for (const p of planted.slice(0, 200)) expect(dump.includes(p) || logs.includes(p)).toBe(false);
    // track data and verification codes are not stored at all, not even masked
    expect(dump).toContain('[track data removed]');
    expect(dump).not.toMatch(/DOE\/JOHN|\^2812101/);
    expect(dump).not.toMatch(/CVV2: [0-9]/);
    expect(dump).toContain('CVV2: [removed]');
    // the sensitive columns are stored nowhere, not even in a rejected row's raw text; only their names are audited
    expect(dump).not.toMatch(/SAD(CVV|EXP|PIN|TRK)/);
    expect(logs).not.toMatch(/SAD(CVV|EXP|PIN|TRK)/);
    expect(dump).toContain('source:columns_dropped');
    expect(dump).toMatch(/"columns": \["CVV2", "Exp Date", "pin_block", "Track 2"\]/);
  }, 120_000);
});

/**
 * Writes `pan` into one row of every text, varchar and json column of every table that has a row (the
 * superuser's way around the append-only triggers) — except the columns the product derives itself
 * (digests, tokens, signatures, key ids) — and returns "table.column" of each.
 */
async function plantInEveryTextColumn(url: string, pan: string): Promise<string[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const planted: string[] = [];
  try {
    const cols = (
      await pg.query(
        `SELECT c.table_name AS t, c.column_name AS c, c.data_type AS type
           FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
            AND c.data_type IN ('text', 'character varying', 'jsonb')
            AND c.column_name !~ '(^|_)(hash|sha256|digest|signature|token|bidx|key_id)$'`,
      )
    ).rows as { t: string; c: string; type: string }[];
    for (const t of [...new Set(cols.map((c) => c.t))]) await pg.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    for (const [k, { t, c, type }] of cols.entries()) {
      // every other one behind a made-up ciphertext prefix: only real ciphertext is skipped by the control
      const text = k % 2 ? `enc:v1:k1:${pan}` : `paid with ${pan}`;
      const value = type === 'jsonb' ? JSON.stringify({ note: text }) : text;
      // drop constraints that a free-text value would break (checks on codes and states), for the test only
      for (const con of (
        await pg.query(`SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`, [t])
      ).rows)
        await pg.query(`ALTER TABLE ${t} DROP CONSTRAINT ${con.conname}`);
      const r = await pg.query(`UPDATE ${t} SET ${c} = $1 WHERE ctid = (SELECT ctid FROM ${t} LIMIT 1)`, [value]);
      if (r.rowCount === 1) planted.push(`${t}.${c}`);
    }
  } finally {
    await pg.end();
  }
  return planted;
}
