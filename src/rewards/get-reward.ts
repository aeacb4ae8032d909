import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { guessability } from '../codes/guessability.js';
import { engineOf } from '../db/engine.js';
import type { Db, Tables } from '../db/tables.js';
import { notFound } from '../errors.js';
import { liveVouchersOfRewards } from '../reports/live-vouchers.js';
import { type RewardStatus, type RewardView, settingsOf } from './reward.js';

/**
 * The reward row, or NOT_FOUND (also for another program's reward). `forUpdate` holds the row until
 * the transaction ends (PostgreSQL; SQLite write transactions are exclusive anyway).
 */
export async function loadReward(db: Db, programId: string, rewardId: string, forUpdate = false): Promise<Tables['rewards']> {
  let select = db.selectFrom('rewards').selectAll().where('program_id', '=', programId).where('id', '=', rewardId);
  if (forUpdate && engineOf(db) === 'postgres') select = select.forUpdate();
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
