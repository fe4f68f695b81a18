import {
  createComplianceServiceClient,
  type LegalHold,
  type ListLegalHoldsResponse,
  type PlaceLegalHoldResponse,
  type PurgeExpiredResponse,
  type ReleaseLegalHoldResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

export interface RetentionOptions {
  json: boolean;
  reason?: string;
  dryRun?: boolean;
  all?: boolean;
}

const view = (h: LegalHold) => ({
  id: h.id,
  scope: h.scope,
  value: h.value,
  reason: h.reason,
  placedBy: h.placedBy,
  placedAt: h.placedAt?.toISOString(),
  ...(h.releasedAt
    ? { releasedBy: h.releasedBy, releasedAt: h.releasedAt.toISOString(), releaseReason: h.releaseReason }
    : {}),
});

/**
 * `strongroom hold place account|job|run <value> --reason TEXT`, `strongroom hold release <id> --reason TEXT`,
 * `strongroom hold list [--all]`, `strongroom retention purge [--dry-run]`.
 */
export async function retentionCommand(
  config: CliConfig,
  command: 'hold' | 'retention',
  sub: string | undefined,
  args: string[],
  opts: RetentionOptions,
): Promise<number> {
  const client = createComplianceServiceClient(engineTarget(config));
  // a purge deletes in batches: allow it minutes, not the default call deadline
  const call = unaryCaller(client, Math.max(config.deadlineMs, 600_000));
  const out = (human: string, json: unknown) => process.stdout.write(`${opts.json ? JSON.stringify(json) : human}\n`);
  try {
    if (command === 'hold' && sub === 'place') {
      const [scope, value] = args;
      if (!scope || !['account', 'job', 'run'].includes(scope) || !value || !opts.reason)
        throw new UsageError('strongroom hold place account|job|run <value> --reason "why"');
      const r = await call<PlaceLegalHoldResponse>('placeLegalHold', {
        scope: scope.toUpperCase(),
        value,
        reason: opts.reason,
      });
      out(`hold ${r.hold?.id} placed on ${scope} ${value} (${r.coveredRows} loaded rows covered now)`, {
        hold: r.hold && view(r.hold),
        coveredRows: r.coveredRows,
      });
      return 0;
    }
    if (command === 'hold' && sub === 'release') {
      if (args.length !== 1 || !opts.reason) throw new UsageError('strongroom hold release <id> --reason "why"');
      const r = await call<ReleaseLegalHoldResponse>('releaseLegalHold', { id: args[0], reason: opts.reason });
      out(`hold ${r.hold?.id} released`, { hold: r.hold && view(r.hold) });
      return 0;
    }
    if (command === 'hold' && sub === 'list') {
      const r = await call<ListLegalHoldsResponse>('listLegalHolds', { activeOnly: !opts.all });
      const holds = r.holds.map(view);
      out(
        holds
          .map(
            (h) =>
              `${h.id}  ${h.scope.padEnd(7)} ${h.value}  ${h.releasedAt ? `released ${h.releasedAt}` : 'ACTIVE'}  ${h.reason}`,
          )
          .join('\n') || '(no holds)',
        { holds },
      );
      return 0;
    }
    if (command === 'retention' && sub === 'purge') {
      const r = await call<PurgeExpiredResponse>('purgeExpired', {
        dryRun: Boolean(opts.dryRun),
        reason: opts.reason ?? '',
      });
      const jobs = r.jobs.map((j) => ({ ...j, cutoff: j.cutoff?.toISOString() }));
      const lines = jobs.map(
        (j) =>
          `${j.jobName}: retention ${j.retentionDays} d (before ${j.cutoff}): expired ${j.expired}, ${r.dryRun ? 'would purge' : 'purged'} ${r.dryRun ? j.expired - j.held : j.purged}, held ${j.held}, dead letters ${j.deadLettersPurged}`,
      );
      out(
        [
          ...lines,
          `${r.dryRun ? 'dry run: nothing removed' : `purged ${r.purged} rows and ${r.deadLettersPurged} dead letters`}; ${r.held} expired rows kept under legal hold`,
        ].join('\n'),
        { ...r, jobs },
      );
      return 0;
    }
    throw new UsageError(
      command === 'hold' ? 'strongroom hold place|release|list …' : 'strongroom retention purge [--dry-run]',
    );
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
