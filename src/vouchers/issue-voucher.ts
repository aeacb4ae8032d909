import type { Clock } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { notePoolLevel } from '../pools/pool-level-events.js';
import { addTallies, issuedTally } from '../reports/tallies.js';

/**
 * Takes one unit of the reward's stock (for a POOL reward, one of its unsold codes) and of the
 * member's per-user allowance, each with one guarded statement, and creates the voucher as
 * PURCHASED (counted in the reports as issued, with its price when bought). Runs inside the caller's transaction.
 */
export async function issueVoucher(
  db: Db,
  clock: Clock,
  reward: Tables['rewards'],
  userId: string,
  /** `at`: the caller's one reading of the clock, so the voucher, the purchase and its ledger entry share a time. */
  origin: { purchaseId: string | null; giftComment: string | null; at: string },
): Promise<Tables['vouchers']> {
  const programId = reward.program_id;
  let tookStock = false;
  if (reward.stock !== null) {
    const taken = await db
      .updateTable('rewards')
      .set((eb) => ({ stock: eb('stock', '-', 1) }))
      .where('program_id', '=', programId)
      .where('id', '=', reward.id)
      .where('stock', '>', 0)
      .returning('stock')
      .executeTakeFirst();
    if (taken === undefined) {
      throw new AppError('OUT_OF_STOCK', reward.code_type === 'POOL' ? `Reward ${reward.id}'s code pool is empty` : `Reward ${reward.id} is out of stock`);
    }
    tookStock = true;
    // A POOL reward's stock is its codes not yet sold: each sale reserves one, handed out at activation.
    if (reward.code_type === 'POOL') await notePoolLevel(db, clock, reward, taken.stock!);
  }
  const limit = reward.per_user_limit;
  const counted = await db
    .insertInto('reward_holdings')
    .values({ program_id: programId, reward_id: reward.id, user_id: userId, count: 1 })
    .onConflict((oc) => {
      const increment = oc
        .columns(['program_id', 'reward_id', 'user_id'])
        .doUpdateSet((eb) => ({ count: eb('reward_holdings.count', '+', 1) }));
      return limit === null ? increment : increment.where('reward_holdings.count', '<', limit);
    })
    .executeTakeFirst();
  if (counted.numInsertedOrUpdatedRows === 0n) {
    throw new AppError('PER_USER_LIMIT_REACHED', `This member already holds ${limit} of reward ${reward.id}`);
  }
  const row: Tables['vouchers'] = {
    program_id: programId,
    id: newId('voucher'),
    user_id: userId,
    reward_id: reward.id,
    purchase_id: origin.purchaseId,
    status: 'PURCHASED',
    code: null,
    activated_at: null,
    expires_at: null,
    validity_ends_at: null,
    burned_at: null,
    voided_at: null,
    gift_comment: origin.giftComment,
    took_stock: tookStock ? 1 : 0,
    burn_validation_id: null,
    created_at: origin.at,
  };
  await db.insertInto('vouchers').values(row).execute();
  await addTallies(db, programId, [issuedTally(row, origin.purchaseId !== null ? reward.price_points : 0)]);
  return row;
}

/** Gives back what `issueVoucher` took for this voucher, when its purchase is refunded. */
export async function returnVoucherAllowance(db: Db, voucher: Tables['vouchers']): Promise<void> {
  if (voucher.took_stock === 1) await giveBackStock(db, voucher.program_id, voucher.reward_id);
  await db
    .updateTable('reward_holdings')
    .set((eb) => ({ count: eb('count', '-', 1) }))
    .where('program_id', '=', voucher.program_id)
    .where('reward_id', '=', voucher.reward_id)
    .where('user_id', '=', voucher.user_id)
    .where('count', '>', 0)
    .execute();
}

/** Puts one unit back into a reward's stock (a reward without a stock limit has none to put back). */
export async function giveBackStock(db: Db, programId: string, rewardId: string): Promise<void> {
  await db
    .updateTable('rewards')
    .set((eb) => ({ stock: eb('stock', '+', 1) }))
    .where('program_id', '=', programId)
    .where('id', '=', rewardId)
    .where('stock', 'is not', null)
    .execute();
}
