// What the dead-letter page shows and sends, as plain functions (unit-tested without a browser).

/** A replay's or a discard's counts in one sentence. */
export function replayOutcome(r: {
  loaded: number;
  alreadyLoaded: number;
  stillFailing: number;
  skipped: number;
}): string {
  const parts = [`${r.loaded} loaded`];
  if (r.alreadyLoaded) parts.push(`${r.alreadyLoaded} already loaded`);
  if (r.stillFailing) parts.push(`${r.stillFailing} still failing`);
  if (r.skipped) parts.push(`${r.skipped} skipped (not pending)`);
  return `Replayed: ${parts.join(', ')}.`;
}

export function discardOutcome(r: { discarded: number; skipped: number }): string {
  return `Discarded: ${r.discarded}${r.skipped ? `, ${r.skipped} skipped (not pending)` : ''}.`;
}

/** The selection after toggling one id, or all shown. */
export function toggle(selected: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(selected);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

export function toggleAll(selected: ReadonlySet<string>, shown: readonly string[]): Set<string> {
  return shown.every((id) => selected.has(id))
    ? new Set([...selected].filter((id) => !shown.includes(id)))
    : new Set([...selected, ...shown]);
}
