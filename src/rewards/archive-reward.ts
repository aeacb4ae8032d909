import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import type { RewardView } from './reward.js';
import { getReward, loadReward } from './get-reward.js';

/** Stops further purchases; vouchers already issued stay valid. Archiving twice changes nothing. */
export async function archiveReward(db: Db, clock: Clock, programId: string, rewardId: string): Promise<RewardView> {
  await loadReward(db, programId, rewardId, 'change');
  await db
    .updateTable('rewards')
    .set({ status: 'ARCHIVED', updated_at: isoNow(clock) })
    .where('program_id', '=', programId)
    .where('id', '=', rewardId)
    .where('status', '=', 'ACTIVE')
    .execute();
  return getReward(db, clock, programId, rewardId);
}
