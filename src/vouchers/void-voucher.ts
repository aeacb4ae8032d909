import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { releasePoolReservation } from '../pools/pool-reservation.js';
import { addTallies, voidTallies } from '../reports/tallies.js';
import { loadVoucher } from './get-voucher.js';
import { type VoucherView, effectiveStatus, toVoucherView } from './voucher.js';

/**
 * An administrator cancels a voucher that has not been used (PURCHASED, ACTIVE or EXPIRED). No points
 * come back: that is a refund. An unrevealed pool voucher gives back the code it had reserved.
 */
export async function voidVoucher(
  db: Db,
  clock: Clock,
  programId: string,
  voucherId: string,
  input: { reason?: string | undefined },
): Promise<VoucherView> {
  const now = isoNow(clock);
  const voided = await db
    .updateTable('vouchers')
    .set({ status: 'VOIDED', voided_at: now })
    .where('program_id', '=', programId)
    .where('id', '=', voucherId)
    .where('status', 'in', ['PURCHASED', 'ACTIVE'])
    .returningAll()
    .executeTakeFirst();
  if (!voided) {
    const voucher = await loadVoucher(db, programId, voucherId);
    throw new AppError('INVALID_STATE', `A ${effectiveStatus(voucher, now)} voucher cannot be voided`);
  }
  await releasePoolReservation(db, voided);
  await addTallies(db, programId, voidTallies(voided, now));
  await recordEvent(db, programId, {
    type: 'VOUCHER_VOIDED',
    occurredAt: now,
    userId: voided.user_id,
    data: { voucherId: voided.id, rewardId: voided.reward_id, reason: input.reason ?? null },
  });
  return toVoucherView(voided, now);
}
