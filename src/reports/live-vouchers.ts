import type { Db } from '../db/tables.js';
import { bucketOf, liveScopeOf, scopeOfReward } from './tallies.js';

/**
 * How many vouchers of each scope are ACTIVE and not expired: the `expiring` tallies from the
 * current quarter hour on, read as today's quarter hours plus one row for each later day. Vouchers
 * expiring earlier in the current quarter hour are still counted until it ends, so the figure is at
 * most a quarter hour's expiries too high, never too low (for guessability, the cautious side).
 */
export async function liveVouchersOf(db: Db, programId: string, scopes: string[], now: string): Promise<Map<string, number>> {
  const live = new Map(scopes.map((scope) => [scope, 0]));
  if (scopes.length === 0) return live;
  const today = now.slice(0, 10);
  const [laterDays, restOfToday] = await Promise.all([
    db
      .selectFrom('report_tallies')
      .select(['scope', (eb) => eb.fn.sum<number>('expiring').as('live')])
      .where('program_id', '=', programId)
      .where('scope', 'in', scopes.map(liveScopeOf))
      .where('bucket', '>', today)
      .groupBy('scope')
      .execute(),
    db
      .selectFrom('report_tallies')
      .select(['scope', (eb) => eb.fn.sum<number>('expiring').as('live')])
      .where('program_id', '=', programId)
      .where('scope', 'in', scopes)
      .where('bucket', '>=', bucketOf(now))
      .where('bucket', '<', `${today}T24`)
      .groupBy('scope')
      .execute(),
  ]);
  for (const row of laterDays) live.set(row.scope.slice(2), (live.get(row.scope.slice(2)) ?? 0) + Number(row.live));
  for (const row of restOfToday) live.set(row.scope, (live.get(row.scope) ?? 0) + Number(row.live));
  return live;
}

/** Live vouchers (so live codes) of each reward. */
export async function liveVouchersOfRewards(db: Db, programId: string, rewardIds: string[], now: string): Promise<Map<string, number>> {
  const byScope = await liveVouchersOf(db, programId, rewardIds.map(scopeOfReward), now);
  return new Map(rewardIds.map((id) => [id, byScope.get(scopeOfReward(id)) ?? 0]));
}
