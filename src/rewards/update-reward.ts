import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { columnsOf, type RewardView, settingsOf } from './reward.js';
import { getReward, loadReward } from './get-reward.js';
import { type RewardInput, applyInput, givenFields } from './reward-input.js';
import { checkRewardRules } from './reward-rules.js';

/** Changes a reward's settings; its code type, and the format of codes already issued, stay. */
export async function updateReward(
  db: Db,
  clock: Clock,
  programId: string,
  rewardId: string,
  input: RewardInput,
): Promise<RewardView> {
  const row = await loadReward(db, programId, rewardId);
  if (input.codeType !== undefined && input.codeType !== row.code_type) {
    throw invalidField('/body/codeType', 'cannot change after the reward is created');
  }
  if (row.code_type === 'POOL' && input.stock !== undefined) {
    throw invalidField('/body/stock', 'does not apply to a POOL reward: the pool is the stock');
  }
  const before = settingsOf(row);
  const settings = applyInput(before, input);
  checkRewardRules(settings, new Set([...givenFields(input)].filter((f) => f !== 'codeType')));
  const columns = columnsOf(settings);
  await db
    .updateTable('rewards')
    .set({ ...columns, stock: row.code_type === 'POOL' ? row.stock : columns.stock, updated_at: isoNow(clock) })
    .where('program_id', '=', programId)
    .where('id', '=', rewardId)
    .execute();
  return getReward(db, clock, programId, rewardId);
}
