import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { newId } from '../ids.js';
import { columnsOf, type RewardView } from './reward.js';
import { getReward } from './get-reward.js';
import { type RewardInput, applyInput, givenFields } from './reward-input.js';
import { checkRewardRules } from './reward-rules.js';
import { registerStaticCode } from './static-code.js';

/** Adds a reward to the catalogue. A POOL reward starts with no stock: its codes are its stock. */
export async function createReward(db: Db, clock: Clock, programId: string, input: RewardInput): Promise<RewardView> {
  const settings = applyInput(null, input);
  checkRewardRules(settings, givenFields(input));
  const now = isoNow(clock);
  const id = newId('reward');
  const columns = columnsOf(settings);
  await db
    .insertInto('rewards')
    .values({
      program_id: programId,
      id,
      status: 'ACTIVE',
      ...columns,
      stock: settings.codeType === 'POOL' ? 0 : columns.stock,
      pool_codes_total: 0,
      pool_codes_issued: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  if (settings.codeType === 'STATIC') await registerStaticCode(db, programId, id, settings.staticCode!);
  return getReward(db, clock, programId, id);
}
