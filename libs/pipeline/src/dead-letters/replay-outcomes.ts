import { type SqlExec } from '@strongroom/db';
import { redactPans } from '@strongroom/logging';
import type { ReplayOutcome } from './replay';

/**
 * Records what a replay did to each entry, inside the replay's transaction: a resolved entry is REPLAYED
 * with `resolution(outcome)` (and "of a corrected record" when it was corrected), a failing one keeps its
 * place with one more attempt and why it still fails (card numbers masked).
 */
export async function markReplayOutcomes(
  exec: SqlExec,
  resolved: readonly ReplayOutcome[],
  failing: readonly ReplayOutcome[],
  corrections: ReadonlyMap<string, string>,
  actor: string,
  resolution: (o: ReplayOutcome) => string,
): Promise<void> {
  for (const o of resolved)
    await exec(
      `UPDATE dead_letter_queue SET status = 'REPLAYED', attempts = attempts + 1, resolution = $2, resolved_by = $3,
              resolved_at = now(), updated_at = now() WHERE id = $1`,
      [o.id, `${resolution(o)}${corrections.has(o.id) ? ' of a corrected record' : ''}`, actor],
    );
  for (const o of failing)
    await exec(
      `UPDATE dead_letter_queue SET attempts = attempts + 1, resolution = $2, updated_at = now() WHERE id = $1`,
      [o.id, redactPans(`replay failed: ${o.reasonCode}: ${o.reasonMessage}`).slice(0, 1000)],
    );
}
