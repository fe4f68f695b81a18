// @clock-sensitive: SLA projections are measured against a clock; npm test runs this file again with the clock a year ahead.
import { evaluateSla, localInstant, runDeadline, type SlaRunFacts } from './sla';
import { parseJobDefinition } from '../jobs/job-definition';

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

  it('reads a daily deadline ("06:00" local) on the day the run was created, through daylight saving', () => {
    const daily = { deadlineTime: '06:00', timezone: 'Europe/Berlin' };
    // a run created at 05:10 Berlin (04:10 UTC) in winter: its deadline is 06:00 CET = 05:00 UTC that day
    expect(runDeadline(daily, t('2026-12-07T04:10:00Z'))?.toISOString()).toBe('2026-12-07T05:00:00.000Z');
    // in summer, 06:00 CEST = 04:00 UTC
    expect(runDeadline(daily, t('2026-06-01T03:30:00Z'))?.toISOString()).toBe('2026-06-01T04:00:00.000Z');
    expect(localInstant('2026-03-29', '06:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T04:00:00.000Z');
    // a file that arrives at 07:30 Berlin is late at once: BREACHED while it runs
    const late = running({ createdAt: t('2026-12-07T06:30:00Z'), startedAt: t('2026-12-07T06:30:05Z') });
    expect(evaluateSla(daily, late, t('2026-12-07T06:31:00Z'))).toMatchObject({
      status: 'BREACHED',
      deadline: t('2026-12-07T05:00:00Z'),
    });
    // one created at 05:10 and finished at 05:40 Berlin met it
    const onTime = running({
      createdAt: t('2026-12-07T04:10:00Z'),
      status: 'SUCCEEDED',
      bytesRead: 1000,
      finishedAt: t('2026-12-07T04:40:00Z'),
    });
    expect(evaluateSla(daily, onTime, t('2026-12-08T00:00:00Z')).status).toBe('ON_TRACK');
  });

  it('takes a daily deadline in the schedule’s zone, and refuses it beside an absolute one', () => {
    const def = parseJobDefinition(
      'name: d\nsource:\n  kind: csv\n  path: /x.csv\n  mapping: { txn_id: a, account: b, amount: c, currency: d, booked_at: e }\nschedule: { cron: "0 5 * * 1-5", timezone: America/New_York }\nsla: { deadlineTime: "06:00" }\n',
    );
    expect(def.sla).toMatchObject({ deadlineTime: '06:00', timezone: 'America/New_York' });
    expect(() =>
      parseJobDefinition(
        'name: d\nsource:\n  kind: csv\n  path: /x.csv\n  mapping: { txn_id: a, account: b, amount: c, currency: d, booked_at: e }\nsla: { deadlineTime: "25:00" }\n',
      ),
    ).toThrow(/sla.deadlineTime must be HH:MM/);
    expect(() =>
      parseJobDefinition(
        'name: d\nsource:\n  kind: csv\n  path: /x.csv\n  mapping: { txn_id: a, account: b, amount: c, currency: d, booked_at: e }\nsla: { deadlineTime: "06:00", deadline: "2026-12-01T06:00:00Z" }\n',
      ),
    ).toThrow(/give deadline or deadlineTime, not both/);
  });
});
