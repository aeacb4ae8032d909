import { invalidField } from '../errors.js';
import { MAX_REPORT_DAYS } from './schemas.js';
import { bucketOf } from './tallies.js';
import { checkTimezone, datesBetween, localDates, nextDate, startOfDay } from './timezone.js';

/** The days a report covers, and the tallies' buckets that make them up. */
export interface ReportRange {
  timezone: string;
  dates: string[];
  /** The local date of an instant. */
  dateOf: (ms: number) => string;
  /** The first bucket of the first day, and the first bucket after the last day. */
  startBucket: string;
  endBucket: string;
}

export function reportRange(query: { from: string; to: string; timezone?: string | undefined }): ReportRange {
  const timezone = checkTimezone(query.timezone ?? 'UTC', '/querystring/timezone');
  if (query.to < query.from) throw invalidField('/querystring/to', 'must not be before from');
  const days = (Date.parse(`${query.to}T00:00:00Z`) - Date.parse(`${query.from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_REPORT_DAYS) throw invalidField('/querystring/to', `must be at most ${MAX_REPORT_DAYS} days after from`);
  const dates = datesBetween(query.from, query.to);
  const dateOf = localDates(timezone);
  const bucketAt = (ms: number) => bucketOf(new Date(ms).toISOString());
  return {
    timezone,
    dates,
    dateOf,
    startBucket: bucketAt(startOfDay(query.from, dateOf)),
    endBucket: bucketAt(startOfDay(nextDate(query.to), dateOf)),
  };
}
