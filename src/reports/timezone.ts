import { invalidField } from '../errors.js';

/** Checks an IANA timezone name; anything Intl does not know is a 400 on `path`. */
export function checkTimezone(timezone: string, path: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw invalidField(path, `"${timezone}" is not an IANA timezone name, such as Europe/London or UTC`);
  }
}

const QUARTER_HOUR_MS = 900_000;

/**
 * The calendar date, in `timezone`, of each instant given. Offsets change rarely, so the offset is
 * looked up once per UTC hour and reused for every instant of that hour when it is the same at
 * both ends of it.
 */
export function localDates(timezone: string): (ms: number) => string {
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
    return new Date(ms + (offset ?? offsetAt(ms))).toISOString().slice(0, 10);
  };
}

/**
 * The first quarter hour of `date` in the zone `dateOf` speaks for. Offsets are whole quarter hours,
 * so a day starts on one; a day whose midnight a clock change skips starts at its first real hour.
 */
export function startOfDay(date: string, dateOf: (ms: number) => string): number {
  // No zone is more than 14 hours ahead of UTC: start there and walk forward a quarter hour at a time.
  let ms = Date.parse(`${date}T00:00:00Z`) - 14 * 3_600_000;
  while (dateOf(ms) < date) ms += QUARTER_HOUR_MS;
  return ms;
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
