import { engineOf } from '../db/engine.js';
import type { Db, Tables } from '../db/tables.js';
import { isAvailablePoolCode, ofCompleteUpload } from './pool-summary.js';

/**
 * Hands the first unused code of the reward's pool (in upload order, completed uploads only) to `voucherId`, with one guarded
 * statement; null when none is left. On PostgreSQL a code another transaction is taking is skipped,
 * not waited for, and the register's row lock keeps it from being handed out twice. The reward
 * counts the codes it has handed out.
 */
export async function takePoolCode(db: Db, reward: Pick<Tables['rewards'], 'program_id' | 'id'>, voucherId: string): Promise<string | null> {
  let next = db
    .selectFrom('voucher_codes')
    .select('code_normal')
    .where('program_id', '=', reward.program_id)
    .where('reward_id', '=', reward.id)
    .where(isAvailablePoolCode)
    .where(ofCompleteUpload)
    .orderBy('upload_id')
    .orderBy('line')
    .limit(1);
  if (engineOf(db) === 'postgres') next = next.forUpdate().skipLocked();
  const taken = await db
    .updateTable('voucher_codes')
    .set({ voucher_id: voucherId })
    .where('program_id', '=', reward.program_id)
    .where('code_normal', '=', next)
    .where('voucher_id', 'is', null)
    .returning('code')
    .executeTakeFirst();
  if (taken === undefined) return null;
  await db
    .updateTable('rewards')
    .set((eb) => ({ pool_codes_issued: eb('pool_codes_issued', '+', 1) }))
    .where('program_id', '=', reward.program_id)
    .where('id', '=', reward.id)
    .execute();
  return taken.code;
}
