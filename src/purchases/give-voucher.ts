import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { loadReward } from '../rewards/get-reward.js';
import { getUser } from '../users/get-user.js';
import { activateVoucher } from '../vouchers/activate-voucher.js';
import { issueVoucher } from '../vouchers/issue-voucher.js';
import { type VoucherView, toVoucherView, vouchersExpired } from '../vouchers/voucher.js';

/**
 * An administrator gives a member a voucher without spending points. Stock and the per-user limit
 * still apply; `purchasable` and the availability window do not (a reward may exist only to be
 * given), but an archived reward cannot be given.
 */
export async function giveVoucher(
  db: Db,
  clock: Clock,
  programId: string,
  userId: string,
  input: { rewardId: string; comment?: string | undefined },
): Promise<VoucherView> {
  await getUser(db, programId, userId);
  const reward = await loadReward(db, programId, input.rewardId, 'use');
  if (reward.status !== 'ACTIVE') throw new AppError('REWARD_NOT_AVAILABLE', `Reward ${reward.id} is archived`);
  const now = isoNow(clock);
  if (vouchersExpired(reward, now)) {
    throw new AppError('REWARD_NOT_AVAILABLE', `Reward ${reward.id}'s vouchers expired at ${reward.valid_until}`);
  }
  let voucher = await issueVoucher(db, clock, reward, userId, { purchaseId: null, giftComment: input.comment ?? null, at: now });
  await recordEvent(db, programId, {
    type: 'VOUCHER_GIVEN',
    occurredAt: now,
    userId,
    data: { voucherId: voucher.id, rewardId: reward.id, comment: input.comment ?? null },
  });
  if (reward.redemption_flow === 'ONE_STEP') {
    voucher = (await activateVoucher(db, clock, reward, { id: voucher.id, userId }))!;
  }
  return toVoucherView(voucher, now);
}
