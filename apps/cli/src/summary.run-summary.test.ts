import { Run, RunStatus } from '@strongroom/contract';
import { formatSummary, runSummary } from './summary';

const run = Run.fromPartial({
  id: '3f1c0c1e-0000-4000-8000-000000000001',
  jobId: 'j',
  jobName: 'card-settlements',
  jobVersion: 2,
  status: RunStatus.RUN_STATUS_SUCCEEDED,
  read: 10,
  loaded: 7,
  deadLettered: 2,
  filtered: 1,
  filteredByReason: [{ reason: 'ALREADY_LOADED', count: 1 }],
  reconciliation: {
    reconciled: true,
    reason: '',
    sourceTotals: [],
    sinkTotals: [{ currency: 'EUR', count: 7, amount: '1234.50' }],
  },
});

describe('runSummary', () => {
  it('has the fields scripts rely on (docs/design.md §8)', () => {
    expect(runSummary(run)).toMatchObject({
      runId: run.id,
      status: 'SUCCEEDED',
      read: 10,
      loaded: 7,
      deadLettered: 2,
      filtered: 1,
      filteredByReason: { ALREADY_LOADED: 1 },
      reconciled: true,
      totals: [{ currency: 'EUR', count: 7, amount: '1234.50' }],
    });
  });

  it('prints conservation and reconciliation for people', () => {
    const text = formatSummary(run);
    expect(text).toContain('conservation: read 10 = loaded + dead-lettered + filtered');
    expect(text).toContain('reconciliation: OK');
    expect(text).toContain('1234.50');
  });

  it('says plainly that a failed or cancelled run left nothing in the sink (no "reconciliation: OK")', () => {
    for (const status of [RunStatus.RUN_STATUS_FAILED, RunStatus.RUN_STATUS_CANCELLED]) {
      const failed = { ...run, status };
      expect(runSummary(failed)).toMatchObject({ loaded: 7, published: false, rowsInSink: 0 });
      const text = formatSummary(failed);
      expect(text).toContain('not published: the 7 loaded rows were removed from the sink again');
      expect(text).not.toContain('reconciliation: OK');
    }
    expect(runSummary(run)).toMatchObject({ published: true, rowsInSink: 7 });
  });

  it('warns when identifiers were stored as card tokens (their business key changed)', () => {
    expect(formatSummary(run)).not.toContain('warning:');
    const text = formatSummary({ ...run, identifiersTokenized: 3 });
    expect(text).toContain('warning: 3 identifier(s) held what passes the card checks and were stored as tokens');
    expect(runSummary({ ...run, identifiersTokenized: 3 })).toMatchObject({ identifiersTokenized: 3 });
  });
});
