import fs from 'node:fs';
import { createComplianceServiceClient, type GetReportResponse } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

export interface ReportOptions {
  json: boolean;
  csv: boolean;
  from?: string;
  to?: string;
  out?: string;
}

/**
 * `strongroom report <SOX|PCI_DSS|AML|KYC> --from D --to D [--json | --csv] [--out FILE]`. Exit 0 when the
 * report's controls hold, 1 when one fails (audit chain not verified, a card number found in clear) or
 * on an engine error, 2 on usage errors.
 */
export async function reportCommand(
  config: CliConfig,
  framework: string | undefined,
  opts: ReportOptions,
): Promise<number> {
  if (!framework || !opts.from || !opts.to || (opts.json && opts.csv)) {
    throw new UsageError(
      'strongroom report <SOX|PCI_DSS|AML|KYC> --from YYYY-MM-DD --to YYYY-MM-DD [--json | --csv] [--out FILE]',
    );
  }
  const client = createComplianceServiceClient(engineTarget(config));
  try {
    const r = await unaryCaller(client, Math.max(config.deadlineMs, 300_000))<GetReportResponse>('getReport', {
      framework: framework.toUpperCase().replace('-', '_'),
      from: opts.from,
      to: opts.to,
    });
    const report = JSON.parse(r.reportJson) as {
      framework: string;
      from: string;
      to: string;
      summary: Record<string, unknown>;
      sections: { name: string; rows: unknown[] }[];
    };
    const text = opts.csv
      ? r.reportCsv
      : opts.json
        ? `${r.reportJson}\n`
        : [
            `${report.framework} report, ${report.from} to ${report.to}`,
            ...Object.entries(report.summary).map(([k, v]) => `  ${k}: ${String(v)}`),
            ...report.sections.map((s) => `  ${s.name}: ${s.rows.length} row(s)`),
            '',
          ].join('\n');
    if (opts.out) {
      fs.writeFileSync(opts.out, text);
      process.stdout.write(`wrote ${opts.out}\n`);
    } else {
      process.stdout.write(text);
    }
    const failed = report.summary['auditChainVerified'] === false || report.summary['panScanClean'] === false;
    return failed ? 1 : 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
