import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';
import { loadReward } from '../rewards/get-reward.js';
import { activateVoucher } from './activate-voucher.js';
import { loadVoucher } from './get-voucher.js';
import { type VoucherView, toVoucherView, vouchersExpired } from './voucher.js';

/** TWO_STEP: the member reveals a PURCHASED voucher, which becomes ACTIVE with its code. */
export async function revealVoucher(db: Db, clock: Clock, programId: string, voucherId: string): Promise<VoucherView> {
  const voucher = await loadVoucher(db, programId, voucherId);
  const reward = await loadReward(db, programId, voucher.reward_id, 'use');
  if (vouchersExpired(reward, isoNow(clock))) {
    throw new AppError('INVALID_STATE', `This voucher expired at ${reward.valid_until} before it was revealed`);
  }
  const activated = voucher.status === 'PURCHASED' ? await activateVoucher(db, clock, reward, { id: voucher.id, userId: voucher.user_id }) : null;
  if (!activated) {
    throw new AppError('INVALID_STATE', `Only a PURCHASED voucher can be revealed; this one is ${voucher.status}`);
  }
  return toVoucherView(activated, isoNow(clock));
}
