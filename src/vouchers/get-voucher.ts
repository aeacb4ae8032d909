import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { notFound } from '../errors.js';
import { type VoucherView, toVoucherView } from './voucher.js';

export async function loadVoucher(db: Db, programId: string, voucherId: string): Promise<Tables['vouchers']> {
  const row = await db
    .selectFrom('vouchers')
    .selectAll()
    .where('program_id', '=', programId)
    .where('id', '=', voucherId)
    .executeTakeFirst();
  if (!row) throw notFound('Voucher');
  return row;
}

export async function getVoucher(db: Db, clock: Clock, programId: string, voucherId: string): Promise<VoucherView> {
  return toVoucherView(await loadVoucher(db, programId, voucherId), isoNow(clock));
}
