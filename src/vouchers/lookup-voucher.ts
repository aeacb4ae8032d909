import type { Clock } from '../clock.js';
import { normalizeCode } from '../codes/normalize-code.js';
import type { Db } from '../db/tables.js';
import { notFound } from '../errors.js';
import { getVoucher } from './get-voucher.js';
import type { VoucherView } from './voucher.js';

/** The voucher holding a code, whatever the spelling (case, spaces, O/I/L) it is typed in. */
export async function lookupVoucher(db: Db, clock: Clock, programId: string, code: string): Promise<VoucherView> {
  const hit = await db
    .selectFrom('voucher_codes')
    .select('voucher_id')
    .where('program_id', '=', programId)
    .where('code_normal', '=', normalizeCode(code))
    .executeTakeFirst();
  if (!hit) throw notFound('A voucher with this code');
  return getVoucher(db, clock, programId, hit.voucher_id);
}
