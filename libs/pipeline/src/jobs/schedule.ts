// Schedules: a five-field cron expression read in the schedule's own time zone (a bank's feed is due at
// "05:00 Frankfurt time", whatever the server's zone and through daylight saving), minus the business-day
// calendar's holidays. Pure functions of the clock they are given: the engine passes its own, tests
// another.

/** minute hour day-of-month month day-of-week (0 or 7 = Sunday), each `*`, a value, a range, a list, or a step. */
export interface CronExpression {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** Both day fields restricted: cron fires when either matches (Vixie cron's rule). */
  dayOr: boolean;
}

const FIELDS: readonly { name: string; min: number; max: number }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

function field(text: string, f: { name: string; min: number; max: number }): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) throw new Error(`cron ${f.name} "${part}" is not a value, range, list or step`);
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1)
      throw new Error(`cron ${f.name} "${part}" is outside ${f.min}-${f.max}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses "0 5 * * 1-5"; throws with the field at fault. */
export function parseCron(expr: string): CronExpression {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`cron "${expr}" must have 5 fields: minute hour day-of-month month day-of-week`);
  const [mi, h, d, mo, w] = parts.map((p, i) => field(p, FIELDS[i] as (typeof FIELDS)[number]));
  const weekdays = new Set([...(w as Set<number>)].map((x) => x % 7));
  return {
    minutes: mi as Set<number>,
    hours: h as Set<number>,
    days: d as Set<number>,
    months: mo as Set<number>,
    weekdays,
    dayOr: parts[2] !== '*' && parts[4] !== '*',
  };
}

/** Whether a time zone name is one this runtime knows (IANA, e.g. Europe/Berlin). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const FORMATS = new Map<string, Intl.DateTimeFormat>();
/** The wall clock of `tz` at an instant: date (YYYY-MM-DD), hour, minute, weekday (0 = Sunday). */
export function wallClock(
  at: Date,
  tz: string,
): { date: string; year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  let f = FORMATS.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    FORMATS.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const year = Number(p['year']);
  const month = Number(p['month']);
  const day = Number(p['day']);
  return {
    date: `${p['year']}-${p['month']}-${p['day']}`,
    year,
    month,
    day,
    hour: Number(p['hour']),
    minute: Number(p['minute']),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p['weekday'] as string),
  };
}

export interface ScheduleSpec {
  cron: CronExpression;
  timezone: string;
  /** Local dates (YYYY-MM-DD) that are not business days: no fire. */
  holidays: ReadonlySet<string>;
}

type Wall = ReturnType<typeof wallClock>;

/** Whether the schedule names this local minute (and its date is a business day). */
function matchesWall(spec: ScheduleSpec, w: Pick<Wall, 'date' | 'month' | 'day' | 'weekday' | 'hour' | 'minute'>) {
  const c = spec.cron;
  if (!c.minutes.has(w.minute) || !c.hours.has(w.hour) || !c.months.has(w.month)) return false;
  const dom = c.days.has(w.day);
  const dow = c.weekdays.has(w.weekday);
  if (!(c.dayOr ? dom || dow : dom && dow)) return false;
  return !spec.holidays.has(w.date);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The zone's UTC offset at an instant, in minutes. */
function offsetAt(t: number, tz: string): number {
  const w = wallClock(new Date(t), tz);
  return Math.round(
    (Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(t / MINUTE) * MINUTE) / MINUTE,
  );
}

const OFFSETS = new Map<string, boolean>();
/**
 * Whether the zone's offset differs between the whole hours around `t` (cached per zone and hour; a zone
 * changes its offset at most once in an hour), i.e. whether the clocks may have jumped between `t` and
 * the minute after it.
 */
function offsetChanges(t: number, tz: string): boolean {
  const from = Math.floor(t / HOUR) * HOUR;
  const key = `${tz}\0${from}`;
  let changes = OFFSETS.get(key);
  if (changes === undefined) {
    if (OFFSETS.size > 100_000) OFFSETS.clear();
    changes = offsetAt(from, tz) !== offsetAt(from + HOUR, tz);
    OFFSETS.set(key, changes);
  }
  return changes;
}
/** Daylight-saving shifts there are (Lord Howe moves by 30 minutes, Troll by two hours). */
const SHIFTS = [30, 60, 120];

/**
 * Whether the schedule fires in the minute that starts at `at` (seconds ignored), in its time zone through
 * daylight saving, as cron does: a local time the clocks skip (02:30 when they jump from 02:00 to 03:00)
 * fires at the first minute after the jump, once; a local time that occurs twice (when they fall back)
 * fires the first time only.
 */
export function firesAt(spec: ScheduleSpec, at: Date): boolean {
  const t = Math.floor(at.getTime() / MINUTE) * MINUTE;
  const w = wallClock(new Date(t), spec.timezone);
  if (matchesWall(spec, w)) {
    // the second pass through a local time the clocks fell back over: it fired the first time
    const same = (x: Wall) => x.date === w.date && x.hour === w.hour && x.minute === w.minute;
    return !SHIFTS.some((m) => same(wallClock(new Date(t - m * MINUTE), spec.timezone)));
  }
  // the first minute after the clocks jumped forward: fire for a local time that was skipped (looked for
  // only in an hour whose UTC offset changes, which keeps a scan over days cheap)
  if (!offsetChanges(t - MINUTE, spec.timezone)) return false;
  const prev = wallClock(new Date(t - MINUTE), spec.timezone);
  const minutes = (x: Wall) => x.hour * 60 + x.minute;
  const skipped: Pick<Wall, 'date' | 'month' | 'day' | 'weekday' | 'hour' | 'minute'>[] = [];
  const span = (x: Wall, from: number, to: number) => {
    for (let m = from; m < to && skipped.length <= 180; m++)
      skipped.push({ ...x, hour: Math.floor(m / 60), minute: m % 60 });
  };
  if (prev.date === w.date) span(w, minutes(prev) + 1, minutes(w));
  else if (minutes(prev) !== 1439 || minutes(w) !== 0) {
    span(prev, minutes(prev) + 1, 1440);
    span(w, 0, minutes(w));
  }
  return skipped.some((x) => matchesWall(spec, x));
}

/** The fire instants (whole minutes) in (after, until], oldest first; at most `max` of them. */
export function firesBetween(spec: ScheduleSpec, after: Date, until: Date, max = 10_000): Date[] {
  const out: Date[] = [];
  for (let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE; t <= until.getTime(); t += MINUTE) {
    if (firesAt(spec, new Date(t))) out.push(new Date(t));
    if (out.length >= max) break;
  }
  return out;
}

/** The last fire at or before `at` within the look-back (default 8 days), or undefined. */
export function previousFire(spec: ScheduleSpec, at: Date, lookBackMs = 8 * 24 * 3600 * 1000): Date | undefined {
  const start = Math.floor(at.getTime() / MINUTE) * MINUTE;
  for (let t = start; t > start - lookBackMs; t -= MINUTE) if (firesAt(spec, new Date(t))) return new Date(t);
  return undefined;
}
