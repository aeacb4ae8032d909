import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { guessability } from '../codes/guessability.js';
import { engineOf } from '../db/engine.js';
import type { Db, Tables } from '../db/tables.js';
import { notFound } from '../errors.js';
import { liveVouchersOfRewards } from '../reports/live-vouchers.js';
import { type RewardStatus, type RewardView, settingsOf } from './reward.js';

/**
 * How a write holds the reward it reads until its transaction ends (PostgreSQL; SQLite write
 * transactions are exclusive anyway). `change`: the writer changes the reward's settings (a PATCH, an
 * archive) and waits for every write in flight that uses them. `use`: the writer acts on the settings
 * it read (a purchase, a gift, a reveal), so a change waits for it to commit, and it waits
 * for a change in flight and reads what that change left. Uses do not wait for each other (a key
 * share lock, which the stock updates of other uses leave alone).
 */
export type RewardLock = 'change' | 'use';

/** The reward row, or NOT_FOUND (also for another program's reward), held as `lock` says. */
export async function loadReward(db: Db, programId: string, rewardId: string, lock?: RewardLock): Promise<Tables['rewards']> {
  let select = db.selectFrom('rewards').selectAll().where('program_id', '=', programId).where('id', '=', rewardId);
  if (lock !== undefined && engineOf(db) === 'postgres') select = lock === 'change' ? select.forUpdate() : select.forKeyShare();
  const row = await select.executeTakeFirst();
  if (!row) throw notFound('Reward');
  return row;
}

/** Views of reward rows, with the number of live codes each has for its guessability (kept, not counted). */
export async function toRewardViews(db: Db, clock: Clock, rows: Tables['rewards'][]): Promise<RewardView[]> {
  const oneTime = rows.filter((r) => r.code_type === 'ONE_TIME').map((r) => r.id);
  const live = oneTime.length > 0 ? await liveVouchersOfRewards(db, rows[0]!.program_id, oneTime, isoNow(clock)) : new Map<string, number>();
  return rows.map((row) => ({
    id: row.id,
    status: row.status as RewardStatus,
    ...settingsOf(row),
    guessability: row.code_type === 'ONE_TIME' ? guessability(row.code_length, live.get(row.id) ?? 0) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

export async function getReward(db: Db, clock: Clock, programId: string, rewardId: string): Promise<RewardView> {
  const [view] = await toRewardViews(db, clock, [await loadReward(db, programId, rewardId)]);
  return view!;
}
