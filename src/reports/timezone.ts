import { invalidField } from '../errors.js';

/** Checks an IANA timezone name; anything Intl does not know is a 400 on `path`. */
export function checkTimezone(timezone: string, path: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw invalidField(path, `must be an IANA timezone name such as Europe/London or UTC, not "${timezone}"`);
  }
}

export const QUARTER_HOUR_MS = 900_000;

/**
 * The offset from UTC, in ms, of `timezone` at each instant asked. Offsets change rarely, so one
 * is looked up once per UTC hour and reused for every instant of that hour when it is the same at
 * both ends of it.
 */
function offsetsOf(timezone: string): (ms: number) => number {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
  const offsetAt = (ms: number): number => {
    const name = format.formatToParts(ms).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
    return match === null ? 0 : (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  };
  const hours = new Map<number, number | null>();
  return (ms) => {
    const hour = ms - (ms % 3_600_000);
    let offset = hours.get(hour);
    if (offset === undefined) {
      const start = offsetAt(hour);
      offset = start === offsetAt(hour + 3_599_999) ? start : null;
      hours.set(hour, offset);
    }
    return offset ?? offsetAt(ms);
  };
}

/**
 * The instant each date begins in `timezone`, then the instant the day after the last begins. Offsets
 * are whole quarter hours, so a day begins on one: the first whose local date it is (a day whose
 * midnight a clock change skips begins at its first real hour).
 */
export function dateStarts(dates: string[], timezone: string): number[] {
  const offsetAt = offsetsOf(timezone);
  const dateOf = (ms: number) => new Date(ms + offsetAt(ms)).toISOString().slice(0, 10);
  const days = dates.length === 0 ? [] : [...dates, nextDate(dates[dates.length - 1]!)];
  return days.map((date) => {
    const midnight = Date.parse(`${date}T00:00:00Z`);
    // Midnight less the offset there is right unless the offset changes within hours of it.
    let ms = midnight - offsetAt(midnight);
    while (dateOf(ms) < date) ms += QUARTER_HOUR_MS;
    while (dateOf(ms - QUARTER_HOUR_MS) >= date) ms -= QUARTER_HOUR_MS;
    return ms;
  });
}

/** Every date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000) {
    dates.push(new Date(ms).toISOString().slice(0, 10));
  }
  return dates;
}

/** The day after `date`. */
export const nextDate = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
