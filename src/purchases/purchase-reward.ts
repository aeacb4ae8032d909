import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { newId } from '../ids.js';
import { postEntry } from '../ledger/post-entry.js';
import { loadReward } from '../rewards/get-reward.js';
import { getUser } from '../users/get-user.js';
import { activateVoucher } from '../vouchers/activate-voucher.js';
import { issueVoucher } from '../vouchers/issue-voucher.js';
import { type VoucherView, toVoucherView, vouchersExpired } from '../vouchers/voucher.js';
import { type PurchaseView, toPurchaseView } from './purchase.js';

export interface PurchaseResult {
  purchase: PurchaseView;
  voucher: VoucherView;
  balance: number;
}

/** Why a reward cannot be bought right now, or null when it can. */
export function unavailableBecause(reward: Tables['rewards'], now: string): string | null {
  if (reward.status !== 'ACTIVE') return 'it is archived';
  if (reward.purchasable !== 1) return 'it is not purchasable';
  if (reward.available_from !== null && now < reward.available_from) return `it is available from ${reward.available_from}`;
  if (reward.available_until !== null && now >= reward.available_until) return `it was available until ${reward.available_until}`;
  if (vouchersExpired(reward, now)) return `its vouchers expired at ${reward.valid_until}`;
  return null;
}

/**
 * A member buys a reward: availability, stock, per-user limit, the points debit, the purchase, the
 * voucher and its events, all in the caller's one transaction, so a failure anywhere leaves nothing.
 * A ONE_STEP voucher is active (with its code) at once; a TWO_STEP one waits to be revealed.
 */
export async function purchaseReward(
  db: Db,
  clock: Clock,
  programId: string,
  userId: string,
  rewardId: string,
): Promise<PurchaseResult> {
  await getUser(db, programId, userId);
  const reward = await loadReward(db, programId, rewardId, 'use');
  const now = isoNow(clock);
  const unavailable = unavailableBecause(reward, now);
  if (unavailable) throw new AppError('REWARD_NOT_AVAILABLE', `Reward ${reward.id} cannot be bought: ${unavailable}`);

  const purchaseId = newId('purchase');
  let voucher = await issueVoucher(db, clock, reward, userId, { purchaseId, giftComment: null, at: now });
  const debit = await postEntry(db, programId, {
    userId,
    kind: 'PURCHASE',
    delta: -reward.price_points,
    reason: `Purchase of "${reward.name}" (${purchaseId})`,
    createdAt: now,
  });
  const purchase: Tables['purchases'] = {
    program_id: programId,
    id: purchaseId,
    user_id: userId,
    reward_id: reward.id,
    voucher_id: voucher.id,
    price_points: reward.price_points,
    status: 'COMPLETED',
    created_at: now,
    refunded_at: null,
  };
  await db.insertInto('purchases').values(purchase).execute();
  await recordEvent(db, programId, {
    type: 'PURCHASED_REWARD',
    occurredAt: now,
    userId,
    data: { purchaseId, voucherId: voucher.id, rewardId: reward.id, pricePoints: reward.price_points, balance: debit.balanceAfter },
  });
  if (reward.redemption_flow === 'ONE_STEP') {
    voucher = (await activateVoucher(db, clock, reward, { id: voucher.id, userId }))!;
  }
  return { purchase: toPurchaseView(purchase), voucher: toVoucherView(voucher, now), balance: debit.balanceAfter };
}
