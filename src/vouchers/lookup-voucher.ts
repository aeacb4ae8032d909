import type { Clock } from '../clock.js';
import { normalizeCode } from '../codes/normalize-code.js';
import type { Db } from '../db/tables.js';
import { AppError, notFound } from '../errors.js';
import { getVoucher } from './get-voucher.js';
import type { VoucherView } from './voucher.js';

/** The voucher holding a code, whatever the spelling (case, separators, O/I/L) it is typed in. */
export async function lookupVoucher(db: Db, clock: Clock, programId: string, code: string): Promise<VoucherView> {
  const hit = await db
    .selectFrom('voucher_codes')
    .select(['voucher_id', 'kind', 'reward_id'])
    .where('program_id', '=', programId)
    .where('code_normal', '=', normalizeCode(code))
    .executeTakeFirst();
  if (!hit) throw notFound('A voucher with this code');
  // The code is known but no one voucher holds it: say whose it is, for the support desk.
  if (hit.voucher_id === null) {
    const whose = hit.kind === 'STATIC' ? 'the static code shared by every voucher of' : 'a pool code not handed out yet, of';
    throw new AppError('NOT_FOUND', `No voucher holds this code: it is ${whose} reward ${hit.reward_id}`);
  }
  return getVoucher(db, clock, programId, hit.voucher_id);
}
