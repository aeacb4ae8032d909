import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError, notFound } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { postEntry } from '../ledger/post-entry.js';
import { addTallies, voidTallies } from '../reports/tallies.js';
import { loadReward } from '../rewards/get-reward.js';
import { returnVoucherAllowance } from '../vouchers/issue-voucher.js';
import { toVoucherView } from '../vouchers/voucher.js';
import { toPurchaseView } from './purchase.js';
import type { PurchaseResult } from './purchase-reward.js';

/**
 * Undoes a purchase: the points come back, the voucher is VOIDED, the stock and the member's
 * allowance are returned. Refused once the voucher has been burned, and a refunded purchase
 * cannot be refunded again. A pool code is not returned to the pool: someone has seen it.
 */
export async function refundPurchase(
  db: Db,
  clock: Clock,
  programId: string,
  purchaseId: string,
  input: { reason?: string | undefined },
): Promise<PurchaseResult> {
  const now = isoNow(clock);
  const purchase = await db
    .updateTable('purchases')
    .set({ status: 'REFUNDED', refunded_at: now })
    .where('program_id', '=', programId)
    .where('id', '=', purchaseId)
    .where('status', '=', 'COMPLETED')
    .returningAll()
    .executeTakeFirst();
  if (!purchase) {
    const exists = await db.selectFrom('purchases').select('id').where('program_id', '=', programId).where('id', '=', purchaseId).executeTakeFirst();
    if (!exists) throw notFound('Purchase');
    throw new AppError('INVALID_STATE', 'This purchase has already been refunded');
  }

  const voided = await db
    .updateTable('vouchers')
    .set({ status: 'VOIDED', voided_at: now })
    .where('program_id', '=', programId)
    .where('id', '=', purchase.voucher_id)
    .where('status', 'in', ['PURCHASED', 'ACTIVE'])
    .executeTakeFirst();
  const voucher = await db
    .selectFrom('vouchers')
    .selectAll()
    .where('program_id', '=', programId)
    .where('id', '=', purchase.voucher_id)
    .executeTakeFirstOrThrow();
  if (voucher.status === 'BURNED') throw new AppError('INVALID_STATE', 'The voucher has been used, so the purchase cannot be refunded');

  const reward = await loadReward(db, programId, purchase.reward_id);
  await returnVoucherAllowance(db, voucher);
  await addTallies(db, programId, [
    { at: now, rewardId: reward.id, pointsSpent: -purchase.price_points },
    ...(voided.numUpdatedRows > 0n ? voidTallies(voucher, now) : []),
  ]);
  const credit = await postEntry(db, programId, {
    userId: purchase.user_id,
    kind: 'REFUND',
    delta: purchase.price_points,
    reason: input.reason ? `Refund of ${purchase.id}: ${input.reason}` : `Refund of ${purchase.id}`,
    createdAt: now,
  });
  await recordEvent(db, programId, {
    type: 'PURCHASE_REFUNDED',
    occurredAt: now,
    userId: purchase.user_id,
    data: {
      purchaseId: purchase.id,
      voucherId: voucher.id,
      rewardId: reward.id,
      pricePoints: purchase.price_points,
      balance: credit.balanceAfter,
      reason: input.reason ?? null,
    },
  });
  if (voided.numUpdatedRows > 0n) {
    await recordEvent(db, programId, {
      type: 'VOUCHER_VOIDED',
      occurredAt: now,
      userId: purchase.user_id,
      data: { voucherId: voucher.id, rewardId: reward.id, reason: 'refunded' },
    });
  }
  return { purchase: toPurchaseView(purchase), voucher: toVoucherView(voucher, now), balance: credit.balanceAfter };
}
