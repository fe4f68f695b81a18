// @clock-sensitive: SLA projections are measured against a clock; npm test runs this file again with the clock a year ahead.
import { evaluateSla, type SlaRunFacts } from './sla';

const t = (iso: string) => new Date(iso);
const running = (over: Partial<SlaRunFacts> = {}): SlaRunFacts => ({
  status: 'RUNNING',
  startedAt: t('2026-12-01T05:00:00Z'),
  finishedAt: null,
  read: 1000,
  deadLettered: 0,
  bytesRead: 500,
  sourceBytes: 1000,
  ...over,
});

describe('evaluateSla', () => {
  const sla = { deadline: '2026-12-01T06:00:00Z', maxErrorRate: 0.01 };

  it('projects the current throughput to the deadline: half done in 20 min finishes at 05:40, on track', () => {
    const e = evaluateSla(sla, running(), t('2026-12-01T05:20:00Z'));
    expect(e).toMatchObject({ status: 'ON_TRACK', projectedFinish: t('2026-12-01T05:40:00Z') });
  });

  it('is AT_RISK when the projection passes the deadline, and says by how much', () => {
    const e = evaluateSla(sla, running({ bytesRead: 250 }), t('2026-12-01T05:40:00Z'));
    expect(e.status).toBe('AT_RISK');
    expect(e.projectedFinish).toEqual(t('2026-12-01T07:40:00Z'));
    expect(e.reason).toBe(
      'projected to finish 2026-12-01T07:40:00.000Z at the current throughput, 100 min after the deadline',
    );
  });

  it('is BREACHED past the deadline while still running, or when the error rate exceeds the maximum', () => {
    expect(evaluateSla(sla, running(), t('2026-12-01T06:00:01Z')).status).toBe('BREACHED');
    expect(evaluateSla(sla, running({ deadLettered: 11 }), t('2026-12-01T05:10:00Z'))).toMatchObject({
      status: 'BREACHED',
      reason: 'error rate 1.10 % is above the maximum 1.00 %',
    });
  });

  it('warns from 80 % of the maximum error rate', () => {
    expect(evaluateSla(sla, running({ deadLettered: 9 }), t('2026-12-01T05:10:00Z')).status).toBe('AT_RISK');
    expect(evaluateSla(sla, running({ deadLettered: 8 }), t('2026-12-01T05:10:00Z')).status).toBe('ON_TRACK');
  });

  it('judges a finished run by when it finished, not by now', () => {
    const done = running({ status: 'SUCCEEDED', bytesRead: 1000, finishedAt: t('2026-12-01T05:59:00Z') });
    expect(evaluateSla(sla, done, t('2026-12-02T00:00:00Z')).status).toBe('ON_TRACK');
    expect(evaluateSla(sla, { ...done, finishedAt: t('2026-12-01T06:01:00Z') }, t('2026-12-02T00:00:00Z')).status).toBe(
      'BREACHED',
    );
  });

  it('has nothing to say without an SLA', () => {
    expect(evaluateSla(undefined, running(), t('2026-12-01T05:00:00Z')).status).toBe('NONE');
  });
});
