import { type ControlCheck } from './types';

// Bounded bookkeeping of what a reader finds (checks, warnings, declared control totals), shared by
// every format: memory stays flat however many batches, statements or accounts a file holds.

/** Entries (and groups) are only listed up to this many per kind of check; the rest are folded. */
const MAX_LISTED_CHECKS = 100;
const MAX_WARNINGS = 200;
const MAX_CONTROL_TOTALS = 500;

/**
 * Checks, warnings and declared totals with bounded memory: per kind of check, the first 100 passing
 * and the first 100 failing checks are listed and the rest are folded into one summary check (which
 * fails when any folded check failed); warnings and control totals are capped likewise.
 */
export class Findings {
  private readonly checks: ControlCheck[] = [];
  private readonly warnings: string[] = [];
  private readonly controlTotals: Record<string, string> = {};
  private readonly listed = new Map<string, { ok: number; failed: number }>();
  private readonly folded = new Map<string, { count: number; failed: number }>();
  private moreWarnings = 0;
  private totals = 0;

  check(kind: string, c: ControlCheck): void {
    const listed = this.listed.get(kind) ?? { ok: 0, failed: 0 };
    this.listed.set(kind, listed);
    if ((c.ok ? listed.ok : listed.failed) < MAX_LISTED_CHECKS) {
      if (c.ok) listed.ok++;
      else listed.failed++;
      this.checks.push(c);
      return;
    }
    const f = this.folded.get(kind) ?? { count: 0, failed: 0 };
    f.count++;
    if (!c.ok) f.failed++;
    this.folded.set(kind, f);
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else this.moreWarnings++;
  }

  total(key: string, value: string): void {
    if (key in this.controlTotals) return;
    if (this.totals++ < MAX_CONTROL_TOTALS) this.controlTotals[key] = value;
  }

  result(): { controlTotals: Record<string, string>; checks: ControlCheck[]; warnings: string[] } {
    const checks = [...this.checks];
    for (const [kind, f] of this.folded) {
      checks.push({
        name: `${kind}: ${f.count} further checks (not listed)`,
        location: 'throughout the file',
        expected: `${f.count} ok`,
        found: `${f.count - f.failed} ok`,
        ok: f.failed === 0,
      });
    }
    const warnings = [...this.warnings];
    if (this.moreWarnings) warnings.push(`… and ${this.moreWarnings} more warnings`);
    if (this.totals > MAX_CONTROL_TOTALS)
      warnings.push(`${this.totals - MAX_CONTROL_TOTALS} further control totals are not listed`);
    return { controlTotals: this.controlTotals, checks, warnings };
  }
}
