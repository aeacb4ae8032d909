import { invalidField } from '../errors.js';
import { MAX_REPORT_DAYS } from './schemas.js';
import type { Tier } from './tallies.js';
import { tierFitting } from './tally-pieces.js';
import { checkTimezone, dateStarts, datesBetween } from './timezone.js';

/** The days a report covers, and where they begin and end. */
export interface ReportRange {
  timezone: string;
  dates: string[];
  /** The instant each date begins (epoch ms), then the instant the last one ends. */
  starts: number[];
  /** The coarsest tier of tallies whose rows each fall within one of the days. */
  tier: Tier;
}

export function reportRange(query: { from: string; to: string; timezone?: string | undefined }): ReportRange {
  const timezone = checkTimezone(query.timezone ?? 'UTC', '/querystring/timezone');
  if (query.to < query.from) throw invalidField('/querystring/to', 'must not be before from');
  const days = (Date.parse(`${query.to}T00:00:00Z`) - Date.parse(`${query.from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_REPORT_DAYS) throw invalidField('/querystring/to', `must be at most ${MAX_REPORT_DAYS} days after from`);
  const dates = datesBetween(query.from, query.to);
  const starts = dateStarts(dates, timezone);
  return { timezone, dates, starts, tier: tierFitting(starts) };
}

/** Which of the range's days an instant falls in (-1 before the first, dates.length after the last). */
export function dayIndexOf(range: ReportRange, ms: number): number {
  let low = 0;
  let high = range.starts.length;
  // The last start not after ms.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (range.starts[middle]! <= ms) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}
