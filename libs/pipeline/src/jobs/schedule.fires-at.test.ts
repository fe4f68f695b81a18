import { firesAt, firesBetween, isTimeZone, parseCron, previousFire, type ScheduleSpec } from './schedule';

const spec = (cron: string, timezone = 'Europe/Berlin', holidays: string[] = []): ScheduleSpec => ({
  cron: parseCron(cron),
  timezone,
  holidays: new Set(holidays),
});
const iso = (d: Date[]) => d.map((x) => x.toISOString());

describe('schedules: cron in the schedule’s time zone, business days only', () => {
  it('fires at 05:00 Berlin time on weekdays, in winter (UTC+1) and in summer (UTC+2)', () => {
    const s = spec('0 5 * * 1-5');
    // Monday 2026-12-07 05:00 CET = 04:00 UTC
    expect(firesAt(s, new Date('2026-12-07T04:00:00Z'))).toBe(true);
    expect(firesAt(s, new Date('2026-12-07T05:00:00Z'))).toBe(false);
    // Monday 2026-06-01 05:00 CEST = 03:00 UTC
    expect(firesAt(s, new Date('2026-06-01T03:00:00Z'))).toBe(true);
    // a week from Saturday 2026-12-05: Monday to Friday only
    expect(iso(firesBetween(s, new Date('2026-12-05T00:00:00Z'), new Date('2026-12-12T23:59:00Z')))).toEqual([
      '2026-12-07T04:00:00.000Z',
      '2026-12-08T04:00:00.000Z',
      '2026-12-09T04:00:00.000Z',
      '2026-12-10T04:00:00.000Z',
      '2026-12-11T04:00:00.000Z',
    ]);
  });

  it('skips the holidays of its calendar (local dates), and keeps the local hour across daylight saving', () => {
    const s = spec('0 5 * * 1-5', 'Europe/Berlin', ['2026-12-24', '2026-12-25', '2026-12-31', '2027-01-01']);
    expect(
      iso(firesBetween(s, new Date('2026-12-23T00:00:00Z'), new Date('2027-01-04T23:00:00Z'))).map((t) =>
        t.slice(0, 10),
      ),
    ).toEqual(['2026-12-23', '2026-12-28', '2026-12-29', '2026-12-30', '2027-01-04']);
    // the week daylight saving ends (Sunday 2026-10-25): 05:00 local is 03:00 UTC before, 04:00 UTC after
    const around = iso(
      firesBetween(spec('0 5 * * *'), new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T23:00:00Z')),
    );
    expect(around).toEqual(['2026-10-24T03:00:00.000Z', '2026-10-25T04:00:00.000Z', '2026-10-26T04:00:00.000Z']);
  });

  it('fires a local time the clocks skip once, just after the jump, and one they repeat only the first time', () => {
    // Berlin springs forward on Sunday 2026-03-29 at 02:00 → 03:00 (01:00 UTC): 02:30 does not exist that day
    const s = spec('30 2 * * *');
    expect(iso(firesBetween(s, new Date('2026-03-28T00:00:00Z'), new Date('2026-03-30T23:00:00Z')))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: the first minute after the jump
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    // it falls back on Sunday 2026-10-25 at 03:00 → 02:00 (01:00 UTC): 02:30 happens twice, fires once
    expect(iso(firesBetween(s, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T23:00:00Z')))).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); not again at 01:30 UTC (CET)
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
    // every-15-minutes through the skipped hour: one fire after the jump stands for the skipped ones
    const q = firesBetween(spec('*/15 2 * * *'), new Date('2026-03-29T00:00:00Z'), new Date('2026-03-29T02:00:00Z'));
    expect(iso(q)).toEqual(['2026-03-29T01:00:00.000Z']);
    // a time that is never skipped or repeated is untouched; a skipped time on a holiday does not fire
    expect(firesAt(spec('0 5 * * *'), new Date('2026-03-29T03:00:00Z'))).toBe(true);
    expect(firesAt(spec('30 2 * * *', 'Europe/Berlin', ['2026-03-29']), new Date('2026-03-29T01:00:00Z'))).toBe(false);
    // clocks that jumped at one minute past (St. John's, 2011-03-13, 00:01 → 01:01): 00:30 fires just after
    expect(
      iso(
        firesBetween(
          spec('30 0 * * *', 'America/St_Johns'),
          new Date('2011-03-12T00:00:00Z'),
          new Date('2011-03-14T12:00:00Z'),
        ),
      ),
    ).toEqual(['2011-03-12T04:00:00.000Z', '2011-03-13T03:31:00.000Z', '2011-03-14T03:00:00.000Z']);
    // New York: 02:00 → 03:00 on 2026-03-08 (07:00 UTC), 02:00 → 01:00 on 2026-11-01 (06:00 UTC)
    const ny = spec('15 1,2 * * *', 'America/New_York');
    expect(iso(firesBetween(ny, new Date('2026-03-08T05:00:00Z'), new Date('2026-03-08T09:00:00Z')))).toEqual([
      '2026-03-08T06:15:00.000Z', // 01:15 EST
      '2026-03-08T07:00:00.000Z', // 02:15 skipped: at 03:00 EDT
    ]);
    expect(iso(firesBetween(ny, new Date('2026-11-01T04:00:00Z'), new Date('2026-11-01T09:00:00Z')))).toEqual([
      '2026-11-01T05:15:00.000Z', // 01:15 EDT; the second 01:15 (EST, 06:15 UTC) does not fire
      '2026-11-01T07:15:00.000Z', // 02:15 EST
    ]);
  });

  it('reads lists, ranges and steps, and both day fields as cron does (either matches)', () => {
    const every15 = spec('*/15 9-10 * * *', 'UTC');
    expect(firesBetween(every15, new Date('2026-12-07T08:59:00Z'), new Date('2026-12-07T11:00:00Z'))).toHaveLength(8);
    const firstOrMonday = spec('30 6 1 * 1', 'UTC');
    expect(firesAt(firstOrMonday, new Date('2026-12-01T06:30:00Z'))).toBe(true); // the 1st (a Tuesday)
    expect(firesAt(firstOrMonday, new Date('2026-12-07T06:30:00Z'))).toBe(true); // a Monday
    expect(firesAt(firstOrMonday, new Date('2026-12-08T06:30:00Z'))).toBe(false);
    expect(firesAt(spec('0 0 * * 7', 'UTC'), new Date('2026-12-06T00:00:00Z'))).toBe(true); // 7 = Sunday
    expect(previousFire(spec('0 5 * * 1-5'), new Date('2026-12-06T12:00:00Z'))?.toISOString()).toBe(
      '2026-12-04T04:00:00.000Z',
    );
  });

  it('refuses a malformed expression with the field at fault, and unknown time zones', () => {
    expect(() => parseCron('0 5 * *')).toThrow(/must have 5 fields/);
    expect(() => parseCron('61 5 * * *')).toThrow(/minute "61" is outside 0-59/);
    expect(() => parseCron('0 5 * * mon')).toThrow(/day of week "mon" is not a value/);
    expect(() => parseCron('0 5-2 * * *')).toThrow(/hour "5-2" is outside/);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
