import type { Clock } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError, notFound } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import type { Caller } from '../keys/roles.js';
import { addTallies, reversalTallies } from '../reports/tallies.js';
import { loadVoucher } from '../vouchers/get-voucher.js';
import { type VoucherView, toVoucherView } from '../vouchers/voucher.js';
import { type ValidationView, toValidationView } from './validation.js';

export interface Reversal {
  validation: ValidationView;
  voucher: VoucherView;
}

async function loadValidation(db: Db, programId: string, id: string): Promise<Tables['validations']> {
  const row = await db.selectFrom('validations').selectAll().where('program_id', '=', programId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Validation');
  return row;
}

/**
 * Undoes a burn: the voucher is ACTIVE again and VOUCHER_BURN_REVERSED is emitted. Only the key that
 * made the validation, or an admin, may. Reversing an already reversed validation changes nothing.
 */
export async function reverseValidation(
  db: Db,
  clock: Clock,
  caller: Caller,
  validationId: string,
  input: { reason?: string },
): Promise<Reversal> {
  const validation = await loadValidation(db, caller.programId, validationId);
  if (caller.role !== 'admin' && validation.key_id !== caller.keyId) {
    throw new AppError('FORBIDDEN', 'Only the API key that made a validation, or an admin key, may reverse it');
  }
  if (validation.burned !== 1 || validation.voucher_id === null) {
    throw new AppError('INVALID_STATE', 'This validation burned nothing, so there is nothing to reverse');
  }
  const now = clock.now().toISOString();
  // Claiming the validation decides between concurrent reversals: only one finds it unreversed.
  const claimed = await db
    .updateTable('validations')
    .set({ reversed_at: now, reversal_reason: input.reason ?? null, reversed_by_key_id: caller.keyId })
    .where('program_id', '=', caller.programId)
    .where('id', '=', validationId)
    .where('reversed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!claimed) {
    return {
      validation: toValidationView(await loadValidation(db, caller.programId, validationId)),
      voucher: toVoucherView(await loadVoucher(db, caller.programId, validation.voucher_id), now),
    };
  }
  const voucher = await db
    .updateTable('vouchers')
    .set({ status: 'ACTIVE', burned_at: null, burn_validation_id: null })
    .where('program_id', '=', caller.programId)
    .where('id', '=', validation.voucher_id)
    .where('burn_validation_id', '=', validationId)
    .returningAll()
    .executeTakeFirst();
  // An unreversed burn is always the voucher's current one: BURNED is left only by its reversal.
  if (!voucher) throw new AppError('INTERNAL', `voucher ${validation.voucher_id} is not held by burn ${validationId}`);
  // The burn was counted at its validation's time and venue.
  await addTallies(db, caller.programId, reversalTallies({ ...voucher, burned_at: validation.created_at }, validation.venue));
  await recordEvent(db, caller.programId, {
    type: 'VOUCHER_BURN_REVERSED',
    occurredAt: now,
    userId: voucher.user_id,
    data: { voucherId: voucher.id, rewardId: voucher.reward_id, validationId, reason: input.reason ?? null },
  });
  return { validation: toValidationView(claimed), voucher: toVoucherView(voucher, now) };
}
