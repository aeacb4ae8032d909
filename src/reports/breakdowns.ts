import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { type Page, pageOf } from '../pagination.js';
import { liveVouchersOf } from './live-vouchers.js';
import { reportRange } from './report-range.js';
import type { BreakdownQuery, RewardFigures, VenueFigures } from './schemas.js';
import { bucketOf, scopeOfReward, scopeOfVenue } from './tallies.js';
import { figuresOf, noSums, sumsByScope } from './tally-sums.js';

type Query = Omit<BreakdownQuery, 'limit' | 'cursor'> & { limit: number; after: string | null };

/** A page of the catalogue (by id), each reward with its totals over the range and its live vouchers. */
export async function rewardBreakdown(db: Db, clock: Clock, programId: string, query: Query): Promise<Page<RewardFigures>> {
  const range = reportRange(query);
  let select = db.selectFrom('rewards').select(['id', 'name']).where('program_id', '=', programId).orderBy('id').limit(query.limit + 1);
  if (query.after !== null) select = select.where('id', '>', query.after);
  const page = pageOf(await select.execute(), query.limit, (reward) => reward.id);
  const now = isoNow(clock);
  const scopes = page.data.map((reward) => scopeOfReward(reward.id));
  const [sums, live] = await Promise.all([sumsByScope(db, programId, scopes, range, bucketOf(now)), liveVouchersOf(db, programId, scopes, now)]);
  return {
    data: page.data.map((reward) => {
      const scope = scopeOfReward(reward.id);
      return { rewardId: reward.id, name: reward.name, active: live.get(scope) ?? 0, totals: figuresOf(sums.get(scope) ?? noSums(), 'reward') };
    }),
    nextCursor: page.nextCursor,
  };
}

/** A page of the venues burns were made at (by name), each with its burns over the range. */
export async function venueBreakdown(db: Db, clock: Clock, programId: string, query: Query): Promise<Page<VenueFigures>> {
  const range = reportRange(query);
  let select = db.selectFrom('report_venues').select('venue').where('program_id', '=', programId).orderBy('venue').limit(query.limit + 1);
  if (query.after !== null) select = select.where('venue', '>', query.after);
  const page = pageOf(await select.execute(), query.limit, (row) => row.venue);
  const sums = await sumsByScope(db, programId, page.data.map((row) => scopeOfVenue(row.venue)), range, bucketOf(isoNow(clock)));
  return {
    data: page.data.map((row) => ({ venue: row.venue, burned: sums.get(scopeOfVenue(row.venue))?.burned ?? 0 })),
    nextCursor: page.nextCursor,
  };
}
