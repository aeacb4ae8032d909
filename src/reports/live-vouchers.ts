import type { Db } from '../db/tables.js';
import { bucketOf, scopeOfReward } from './tallies.js';

/**
 * How many vouchers of each scope are ACTIVE and not expired: the `expiring` tallies of the quarter
 * hours from the current one on. Vouchers expiring earlier in the current quarter hour are still
 * counted until it ends, so the figure is at most a quarter hour's expiries too high, never too low
 * (for guessability, the cautious side). Cost: one row per future quarter hour that has expiries.
 */
export async function liveVouchersOf(db: Db, programId: string, scopes: string[], now: string): Promise<Map<string, number>> {
  const live = new Map<string, number>();
  if (scopes.length === 0) return live;
  const rows = await db
    .selectFrom('report_tallies')
    .select(['scope', (eb) => eb.fn.sum<number>('expiring').as('live')])
    .where('program_id', '=', programId)
    .where('scope', 'in', scopes)
    .where('bucket', '>=', bucketOf(now))
    .groupBy('scope')
    .execute();
  for (const row of rows) live.set(row.scope, Number(row.live));
  return live;
}

/** Live vouchers (so live codes) of each reward. */
export async function liveVouchersOfRewards(db: Db, programId: string, rewardIds: string[], now: string): Promise<Map<string, number>> {
  const byScope = await liveVouchersOf(db, programId, rewardIds.map(scopeOfReward), now);
  return new Map(rewardIds.map((id) => [id, byScope.get(scopeOfReward(id)) ?? 0]));
}
