import type { Db } from '../db/tables.js';
import { bucketOf, scopeOfReward } from './tallies.js';
import { sumsFromNow } from './tally-sums.js';

/**
 * How many vouchers of each scope are ACTIVE and not expired: the `expiring` tallies from the
 * current quarter hour on, read as the rest of this hour's quarters, the rest of today's hours and
 * one row for each later day. Vouchers expiring earlier in the current quarter hour are still
 * counted until it ends, so the figure is at most a quarter hour's expiries too high, never too low
 * (for guessability, the cautious side).
 */
export async function liveVouchersOf(db: Db, programId: string, scopes: string[], now: string): Promise<Map<string, number>> {
  const sums = await sumsFromNow(db, programId, scopes, bucketOf(now));
  return new Map(scopes.map((scope) => [scope, sums.get(scope)?.live ?? 0]));
}

/** Live vouchers (so live codes) of each reward. */
export async function liveVouchersOfRewards(db: Db, programId: string, rewardIds: string[], now: string): Promise<Map<string, number>> {
  const byScope = await liveVouchersOf(db, programId, rewardIds.map(scopeOfReward), now);
  return new Map(rewardIds.map((id) => [id, byScope.get(scopeOfReward(id)) ?? 0]));
}
