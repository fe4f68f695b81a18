import { parseArgs } from 'node:util';
import { loadConfig, type CliConfig } from './config';
import { fail, UsageError } from './cli-errors';
import { configureCredentials } from './engine-client';
import { alertsCommand } from './commands/alerts';
import { endQuietlyWhenReaderGoes, exitWhenWritten } from './process-exit';
import { auditCommand, verifyRunCommand } from './commands/audit';
import { kycCommand } from './commands/kyc';
import { sanctionsCommand } from './commands/sanctions';
import { controlCommand } from './commands/control';
import { dlqCommand } from './commands/dlq';
import { keysCommand } from './commands/keys';
import { reportCommand } from './commands/report';
import { retentionCommand } from './commands/retention';
import { runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { startCommand } from './commands/start';
import { engineCommand } from './commands/engine';
import { screenCommand } from './commands/screen';
import { inspectCommand } from './commands/inspect';
import { statusCommand } from './commands/status';
import { approvalsCommand, revealCommand } from './commands/approvals';

const HELP = `strongroom — banking-grade ETL into PostgreSQL

usage:
  strongroom serve                                  PostgreSQL (embedded unless DATABASE_URL), engine and gateway
  strongroom start                                  serve + a demo run over generated bank data (npm start)
  strongroom engine                                 one engine replica against DATABASE_URL (any number may share it)
  strongroom run <job.yaml> [--file PATH] [--follow] [--detach] [--json]
  strongroom status <runId> [--wait] [--json]
  strongroom pause|resume|cancel <runId> [--reason TEXT] [--json]
  strongroom dlq list [--run ID] [--status PENDING|REPLAYED|DISCARDED] [--code REASON] [--json]
  strongroom dlq replay <id…> | --run ID [--json]
  strongroom dlq discard <id…> --reason TEXT [--json]

  strongroom audit verify [--checkpoint FILE] [--incremental] [--json]    exit 0 only when the chain verifies
  strongroom audit export-checkpoint                                     a signed checkpoint to keep outside
  strongroom verify-run <runId> [--json]                                 recompute a run's digests from the sink

  strongroom alerts list [--run ID] [--rule RULE] [--status OPEN|ESCALATED|CLOSED] [--priority] [--json]
  strongroom alerts escalate|close <id> --reason TEXT [--json]          AML / sanctions / KYC alert lifecycle (audited)

  strongroom hold place account|job|run <value> --reason TEXT [--json]   legal hold: rows outlive their retention
  strongroom approvals [--status PENDING|APPROVED|REJECTED] [--json]      four eyes: requests for governed actions
  strongroom approve|reject <id> --reason TEXT [--json]                    decide another person's request
  strongroom reveal transaction <id> --field F --reason TEXT | reveal dead-letter <id> --reason TEXT
                                                                        a RESTRICTED value in clear (audited)
  strongroom hold release <id> --reason TEXT | hold list [--all] [--json]
  strongroom retention purge [--dry-run] [--reason TEXT] [--json]        remove rows past retention (not held), audited

  strongroom rotate-keys [--wait] [--json] | rotate-keys status [<id>]  new field-encryption key; re-encrypt in the background
  strongroom report <SOX|PCI_DSS|AML|KYC> --from D --to D [--json|--csv] [--out FILE]
                                                                         compliance report; exit 1 when a control fails

  strongroom screen <name> [--list FILE]… [--threshold N] [--json] [--fail-on-hit]   screen a name against the sanctions lists
  strongroom sanctions load FILE… --reason TEXT [--json]                 new sanctions lists for every later run, no restart (audited)
  strongroom kyc load FILE --reason TEXT [--json]                         KYC records (CSV) into the register runs check (audited)
  strongroom screen --file NAMES.txt [--list FILE]… [--json]              one name per line; one result per line
                                                                         exit 0 screened, 2 usage/list error (1 on a hit with --fail-on-hit)

  strongroom inspect <file> [--format F] [--lenient] [--custom-return-codes] [--json]   a bank file's format, counts, control totals and
                                                                         reconciliation verdict, without loading (exit 1 when not reconciled)

environment: DATABASE_URL, STRONGROOM_HOME (.strongroom), ENGINE_PORT (50051), GATEWAY_PORT (4000),
             STRONGROOM_ENGINE (127.0.0.1:50051) — see .env.example
exit codes: 0 success (run SUCCEEDED), 1 failure (run not successful, engine error), 2 usage error`;

/** The command line's words: positionals and options (node:util parseArgs, strict). */
function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', default: false },
      detach: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      run: { type: 'string' },
      status: { type: 'string' },
      code: { type: 'string' },
      reason: { type: 'string' },
      field: { type: 'string' },
      checkpoint: { type: 'string' },
      incremental: { type: 'boolean', default: false },
      list: { type: 'string', multiple: true },
      file: { type: 'string' },
      threshold: { type: 'string' },
      rule: { type: 'string' },
      'fail-on-hit': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      priority: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      'custom-return-codes': { type: 'boolean', default: false },
      lenient: { type: 'boolean', default: false },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return command || values.help ? 0 : 2;
  }
  let config;
  try {
    config = loadConfig();
    configureCredentials(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    return await dispatch(command, arg, rest, values, config);
  } catch (err) {
    return fail(err, values.json);
  }
}

type Values = ReturnType<typeof parseOptions>['values'];

/** Runs one command; a UsageError or any other error it throws is reported once, by `fail`. */
async function dispatch(
  command: string,
  arg: string | undefined,
  rest: string[],
  values: Values,
  config: CliConfig,
): Promise<number> {
  switch (command) {
    case 'serve':
      return serveCommand(config);
    case 'start':
      return startCommand(config);
    case 'engine':
      return engineCommand(config);
    case 'run':
      return runCommand(config, arg, {
        follow: values.follow,
        detach: values.detach,
        json: values.json,
        file: values.file,
      });
    case 'status':
      return statusCommand(config, arg, { wait: values.wait, json: values.json });
    case 'pause':
    case 'resume':
    case 'cancel':
      return controlCommand(config, command, arg, values.json, values.reason);
    case 'audit':
      return auditCommand(config, arg, {
        json: values.json,
        incremental: values.incremental,
        ...(values.checkpoint ? { checkpoint: values.checkpoint } : {}),
      });
    case 'verify-run':
      return verifyRunCommand(config, arg, values.json);
    case 'alerts':
      return alertsCommand(config, arg, rest, {
        json: values.json,
        priority: values.priority,
        ...(values.run ? { run: values.run } : {}),
        ...(values.status ? { status: values.status } : {}),
        ...(values.rule ? { rule: values.rule } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    case 'rotate-keys':
      return keysCommand(config, arg, rest, { json: values.json, wait: values.wait });
    case 'report':
      return reportCommand(config, arg, {
        json: values.json,
        csv: values.csv,
        ...(values.from ? { from: values.from } : {}),
        ...(values.to ? { to: values.to } : {}),
        ...(values.out ? { out: values.out } : {}),
      });
    case 'hold':
    case 'retention':
      return retentionCommand(config, command, arg, rest, {
        json: values.json,
        dryRun: values['dry-run'],
        all: values.all,
        ...(values.reason ? { reason: values.reason } : {}),
      });
    case 'reveal':
      return revealCommand(config, arg, rest[0], {
        json: values.json,
        ...(values.field ? { field: values.field } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    case 'approvals':
    case 'approve':
    case 'reject':
      return approvalsCommand(config, command, arg, {
        json: values.json,
        ...(values.status ? { status: values.status } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    case 'kyc':
      return kycCommand(config, arg, rest, { json: values.json, reason: values.reason });
    case 'sanctions':
      return sanctionsCommand(config, arg, rest, { json: values.json, reason: values.reason });
    case 'screen': {
      const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
      const name = [arg, ...rest].filter((p) => p !== undefined).join(' ') || undefined;
      return screenCommand(config, name, {
        json: values.json,
        failOnHit: values['fail-on-hit'],
        lists: values.list ?? [],
        ...(values.file ? { file: values.file } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
      });
    }
    case 'inspect':
      return inspectCommand(arg, {
        json: values.json,
        customReturnCodes: values['custom-return-codes'],
        lenient: values.lenient,
        ...(values.format ? { format: values.format } : {}),
      });
    case 'dlq':
      return dlqCommand(config, arg, rest, {
        json: values.json,
        ...(values.run ? { run: values.run } : {}),
        ...(values.status ? { status: values.status } : {}),
        ...(values.code ? { code: values.code } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
    default:
      throw new UsageError('strongroom <command> … (strongroom --help lists them)', `unknown command "${command}"`);
  }
}

for (const stream of [process.stdout, process.stderr]) endQuietlyWhenReaderGoes(stream);

main(process.argv.slice(2)).then(exitWhenWritten, (err) => {
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  exitWhenWritten(1);
});
