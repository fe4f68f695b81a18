import fs from 'node:fs';
import path from 'node:path';
import { type Run } from '@strongroom/contract';
import {
  DEMO_DATA_OPTIONS,
  DEMO_JOB_YAML,
  GENERATOR_VERSION,
  generateTransactionsCsv,
  type GeneratedFile,
} from '@strongroom/datagen';
import { type CliConfig } from '../config';
import { EngineClient } from '../engine-client';
import { formatSummary } from '../summary';
import { followRun } from './run';
import { startStack, untilSignal, type Stack } from './serve';

const say = (msg = '') => process.stdout.write(`${msg}\n`);

/** Generates the demo file once (deterministic: same rows → same bytes → same SHA-256). */
async function demoFile(config: CliConfig): Promise<{ jobFile: string; expected: GeneratedFile }> {
  // inside the engine's inbox: the only place under STRONGROOM_HOME the engine reads sources from
  const dir = path.join(config.home, 'inbox', 'demo');
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, 'transactions.csv');
  const meta = path.join(dir, 'transactions.json');
  let expected: GeneratedFile | undefined;
  if (fs.existsSync(csv) && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as GeneratedFile;
    if (m.generatorVersion === GENERATOR_VERSION && m.rows === config.demoRows && fs.statSync(csv).size === m.bytes)
      expected = m;
  }
  if (!expected) {
    process.stderr.write(`generating ${config.demoRows.toLocaleString('en-US')} demo transactions…\n`);
    expected = await generateTransactionsCsv(csv, { rows: config.demoRows, ...DEMO_DATA_OPTIONS });
    fs.writeFileSync(meta, JSON.stringify(expected, null, 2));
  }
  const jobFile = path.join(dir, 'demo-job.yaml');
  fs.writeFileSync(jobFile, DEMO_JOB_YAML);
  return { jobFile, expected };
}

async function runDemo(config: CliConfig, stack: Stack): Promise<void> {
  const { jobFile, expected } = await demoFile(config);
  const client = new EngineClient(stack.engineAddress, config.deadlineMs);
  try {
    const created = await client.call('createJob', {
      definition: fs.readFileSync(jobFile, 'utf8'),
      baseDir: path.dirname(jobFile),
    });
    const started = await client.call('runJob', { jobId: created.job?.id ?? '', file: '' });
    say();
    say(
      `demo: ${expected.rows.toLocaleString('en-US')} transactions (${expected.bad} invalid on purpose, ${expected.withCard.toLocaleString('en-US')} with card numbers) → ${jobFile}`,
    );
    if (started.existing)
      say(`this file was loaded before (same SHA-256) — showing run ${started.run?.id}; no row is loaded twice`);
    const run = await followRun(client, started.run as Run, true);
    say(formatSummary(run));
    const filtered = run.filtered;
    const ok =
      run.read === expected.rows && run.deadLettered === expected.bad && run.loaded + filtered === expected.good;
    say(
      `  expected from the generator: read ${expected.rows}, invalid ${expected.bad} → ${ok ? 'counts match' : 'COUNTS DIFFER'}`,
    );
    say();
    say(`Console: ${stack.consoleUrl} — sign in with one of the dev tokens below`);
    say(`GraphQL: ${stack.graphqlUrl}`);
    if (stack.metricsUrls.length) say(`metrics (Prometheus): ${stack.metricsUrls.join('  ')}`);
    if (stack.devTokens) {
      say('dev tokens (12 h), one per role:');
      for (const [role, t] of Object.entries(stack.devTokens)) say(`  ${role.padEnd(8)} ${t}`);
    } else say("production: no development tokens — callers bring their identity provider's tokens");
    say('try:');
    say(
      `  curl -s ${stack.graphqlUrl} -H 'content-type: application/json' -H 'authorization: Bearer ${stack.devTokens?.viewer ?? '<token>'}' \\\n` +
        `    -d '{"query":"{ run(id: \\"${run.id}\\") { status read loaded deadLettered filtered reconciliation { reconciled } } }"}'`,
    );
    say(`  npx strongroom status ${run.id} --json`);
  } finally {
    client.close();
  }
}

/** `npm start`: serve + the demo run, then stay up until Ctrl-C. */
export async function startCommand(config: CliConfig): Promise<number> {
  // keep the demo's terminal readable: components log warnings and errors unless LOG_LEVEL says otherwise
  const stack = await startStack({ ...config, env: { LOG_LEVEL: 'warn', ...config.env } });
  say(
    `strongroom ready — engine ${stack.engineAddress} (gRPC), gateway ${stack.graphqlUrl} (GraphQL), database ${stack.embedded ? 'embedded' : 'DATABASE_URL'}`,
  );
  runDemo(config, stack).then(
    () => say('\nstrongroom is running; Ctrl-C to stop.'),
    (err) => process.stderr.write(`demo failed: ${(err as Error)?.message ?? String(err)}\n`),
  );
  return untilSignal(stack);
}
