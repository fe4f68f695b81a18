import fs from 'node:fs';
import { BANK_FORMATS, describeCheck, inspectFile, isBankFormat, type InspectReport } from '@strongroom/connectors';
import { redactPansDeep } from '@strongroom/logging';
import { UsageError } from '../cli-errors';

export interface InspectOptions {
  json: boolean;
  /** Read the file as this format instead of detecting it. */
  format?: string;
  /** ACH: accept return reason codes outside NACHA's list (R01–R53, R61–R77, R80–R85). */
  customReturnCodes?: boolean;
  /** Read as a job with source.strictness: lenient would. */
  lenient?: boolean;
}

/**
 * `strongroom inspect <file>`: reads a bank file without loading it and prints its format, counts,
 * control totals and reconciliation verdict (the same reader and checks a run applies before it
 * loads). Exit 0 when the file reconciles, 1 when it does not (or is not a bank file), 2 on usage
 * errors or an unreadable file. `--json` prints one object with at least format, reconciled, reason.
 */
export async function inspectCommand(file: string | undefined, options: InspectOptions): Promise<number> {
  const usage = `strongroom inspect <file> [--format ${BANK_FORMATS.join('|')}] [--lenient] [--custom-return-codes] [--json]`;
  if (!file) throw new UsageError(usage);
  if (options.format !== undefined && !isBankFormat(options.format))
    throw new UsageError(usage, `--format must be one of ${BANK_FORMATS.join(', ')}`);
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (err) {
    process.stderr.write(
      `strongroom inspect: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`,
    );
    return 2;
  }
  const tty = Boolean(process.stderr.isTTY) && !options.json;
  let lastDraw = 0;
  const report = await inspectFile(file, {
    ...(options.format && isBankFormat(options.format) ? { format: options.format } : {}),
    customReturnCodes: options.customReturnCodes ?? false,
    lenient: options.lenient ?? false,
    onProgress: (read, total) => {
      const now = Date.now();
      if (!tty || total < 8 << 20 || now - lastDraw < 200) return;
      lastDraw = now;
      const frac = Math.min(1, read / total);
      process.stderr.write(
        `\r\x1b[2K${'█'.repeat(Math.round(frac * 30))}${'░'.repeat(30 - Math.round(frac * 30))} ${(frac * 100).toFixed(0).padStart(3)}%  reading ${file}`,
      );
    },
  });
  if (lastDraw) process.stderr.write('\r\x1b[2K');
  // the report quotes the file (references, names): card-number-like digit runs are masked, and control
  // characters are not sent to a terminal
  const safe = redactPansDeep(report) as InspectReport;
  if (options.json) process.stdout.write(`${JSON.stringify(safe)}\n`);
  // eslint-disable-next-line no-control-regex
  else process.stdout.write(render(safe).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?'));
  return report.reconciled ? 0 : 1;
}

function render(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`file            ${r.file} (${r.bytes.toLocaleString('en-US')} bytes, sha256 ${r.sha256.slice(0, 16)}…)`);
  lines.push(
    `format          ${r.format}${r.version ? ` (${r.version}` : ''}${r.encoding ? `${r.version ? ', ' : ' ('}${r.encoding})` : r.version ? ')' : ''}`,
  );
  const counts = Object.entries(r.counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`);
  if (counts.length) lines.push(`counts          ${counts.join(', ')}`);
  if (r.entries.read || isBankFormat(r.format)) {
    lines.push(
      `entries         ${r.entries.read.toLocaleString('en-US')} read${r.entries.filtered ? `, ${r.entries.filtered.toLocaleString('en-US')} to be filtered (not booked)` : ''}`,
    );
    for (const [ccy, t] of Object.entries(r.entries.byCurrency)) {
      lines.push(
        `  ${ccy}           ${t.entries.toLocaleString('en-US')} entries, credits ${t.credits}, debits ${t.debits}, net ${t.net}`,
      );
    }
  }
  const totals = Object.entries(r.controlTotals);
  if (totals.length) {
    lines.push('control totals');
    const width = Math.min(48, Math.max(...totals.map(([k]) => k.length)));
    for (const [k, v] of totals.slice(0, 60)) lines.push(`  ${k.padEnd(width)}  ${v}`);
    if (totals.length > 60) lines.push(`  … ${totals.length - 60} more (see --json)`);
  }
  if (r.checks.length) {
    const failed = r.checks.filter((c) => !c.ok);
    lines.push(`checks          ${r.checks.length - failed.length} passed, ${failed.length} failed`);
    for (const c of failed.slice(0, 20)) lines.push(`  FAILED  ${describeCheck(c)}`);
    if (failed.length > 20) lines.push(`  … ${failed.length - 20} more failed checks (see --json)`);
  }
  for (const w of r.warnings.slice(0, 20)) lines.push(`warning         ${w}`);
  if (r.warnings.length > 20) lines.push(`warning         … ${r.warnings.length - 20} more (see --json)`);
  lines.push(
    `verdict         ${r.reconciled ? 'RECONCILED: every control total matches; a run would load this file' : `NOT ACCEPTED: ${r.reason}`}`,
  );
  return `${lines.join('\n')}\n`;
}
