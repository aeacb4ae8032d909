import type { Db, Tables } from '../db/tables.js';
import { giveBackStock } from '../vouchers/issue-voucher.js';

/**
 * A sale of a POOL reward reserves a code (a unit of its stock) that the voucher takes when it
 * becomes active. When an unrevealed voucher is voided nobody has seen a code, so the reservation
 * goes back to the stock (and the voucher no longer holds it, so a refund cannot return it again).
 */
export async function releasePoolReservation(db: Db, voucher: Pick<Tables['vouchers'], 'program_id' | 'id' | 'reward_id' | 'took_stock'>): Promise<void> {
  if (voucher.took_stock !== 1) return;
  const reward = await db
    .selectFrom('rewards')
    .select('code_type')
    .where('program_id', '=', voucher.program_id)
    .where('id', '=', voucher.reward_id)
    .executeTakeFirstOrThrow();
  if (reward.code_type !== 'POOL') return;
  await giveBackStock(db, voucher.program_id, voucher.reward_id);
  await db.updateTable('vouchers').set({ took_stock: 0 }).where('program_id', '=', voucher.program_id).where('id', '=', voucher.id).execute();
}
