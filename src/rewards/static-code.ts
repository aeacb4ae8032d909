import { normalizeCode } from '../codes/normalize-code.js';
import type { Db } from '../db/tables.js';
import { AppError, fieldError } from '../errors.js';

/**
 * Enters a STATIC reward's code in the program's code register, which refuses it when any code of
 * the program (pool, generated or another static code) already has its normal form.
 */
export async function registerStaticCode(db: Db, programId: string, rewardId: string, code: string): Promise<void> {
  const added = await db
    .insertInto('voucher_codes')
    .values({ program_id: programId, code_normal: normalizeCode(code), kind: 'STATIC', reward_id: rewardId, code })
    .onConflict((oc) => oc.columns(['program_id', 'code_normal']).doNothing())
    .executeTakeFirst();
  if (added.numInsertedOrUpdatedRows === 0n) {
    const message = 'is already a code of this program (compared in normal form: case, spaces, dashes, dots, underscores, slashes and O/I/L ignored)';
    throw new AppError('CONFLICT', `staticCode ${message}`, [fieldError('/body/staticCode', message)]);
  }
}

/** A new static code for a reward: the register moves to it, and its vouchers show it from now on. */
export async function changeStaticCode(db: Db, programId: string, rewardId: string, code: string): Promise<void> {
  await db.deleteFrom('voucher_codes').where('program_id', '=', programId).where('reward_id', '=', rewardId).where('kind', '=', 'STATIC').execute();
  await registerStaticCode(db, programId, rewardId, code);
  await db
    .updateTable('vouchers')
    .set({ code })
    .where('program_id', '=', programId)
    .where('reward_id', '=', rewardId)
    .where('code', 'is not', null)
    .execute();
}
