import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { loadReward } from '../rewards/get-reward.js';
import { liveVouchersOf } from './live-vouchers.js';
import { reportRange } from './report-range.js';
import type { ActivityQuery, ActivityReport } from './schemas.js';
import { PROGRAM_SCOPE, bucketOf, scopeOfReward, scopeOfVenue } from './tallies.js';
import { type ScopeKind, addSums, figuresOf, noSums, sumsByDay } from './tally-sums.js';

/**
 * What happened in a program (or one reward, or one venue) day by day over a range of days in a
 * timezone, read from the tallies the writes keep: the cost is one row per quarter hour of the
 * range, whatever the program's size.
 */
export async function activityReport(db: Db, clock: Clock, programId: string, query: ActivityQuery): Promise<ActivityReport> {
  if (query.rewardId !== undefined && query.venue !== undefined) {
    throw invalidField('/querystring/venue', 'cannot be given with rewardId: a report covers the program, one reward or one venue');
  }
  const range = reportRange(query);
  if (query.rewardId !== undefined) await loadReward(db, programId, query.rewardId);
  const [kind, scope]: [ScopeKind, string] =
    query.rewardId !== undefined ? ['reward', scopeOfReward(query.rewardId)] : query.venue !== undefined ? ['venue', scopeOfVenue(query.venue)] : ['program', PROGRAM_SCOPE];

  const now = isoNow(clock);
  const currentBucket = bucketOf(now);
  const [byDay, live] = await Promise.all([
    sumsByDay(db, programId, scope, range, currentBucket),
    kind === 'venue' ? null : liveVouchersOf(db, programId, [scope], now),
  ]);
  const totals = noSums();
  for (const sums of byDay.values()) addSums(totals, sums);
  return {
    from: query.from,
    to: query.to,
    timezone: range.timezone,
    rewardId: query.rewardId ?? null,
    venue: query.venue ?? null,
    asOf: now,
    expiredBefore: `${currentBucket}:00.000Z`,
    active: live === null ? null : (live.get(scope) ?? 0),
    totals: figuresOf(totals, kind),
    days: [...byDay].map(([date, sums]) => ({ date, ...figuresOf(sums, kind) })),
  };
}
