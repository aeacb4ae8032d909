import type { Clock } from '../clock.js';
import type { Db } from '../db/tables.js';
import { listVouchers } from './list-vouchers.js';
import type { VoucherView } from './voucher.js';

export type ExportedVoucher = VoucherView & { externalId: string };

/** Every voucher of a reward, oldest first, with its member's externalId: a page at a time, never all at once. */
export async function* exportVouchers(db: Db, clock: Clock, programId: string, rewardId: string): AsyncGenerator<ExportedVoucher> {
  let after: string | null = null;
  do {
    const page = await listVouchers(db, clock, programId, { limit: 1000, after, rewardId });
    const userIds = [...new Set(page.data.map((voucher) => voucher.userId))];
    const users =
      userIds.length === 0
        ? []
        : await db.selectFrom('users').select(['id', 'external_id']).where('program_id', '=', programId).where('id', 'in', userIds).execute();
    const externalIds = new Map(users.map((user) => [user.id, user.external_id]));
    for (const voucher of page.data) yield { ...voucher, externalId: externalIds.get(voucher.userId) ?? '' };
    after = page.data.length > 0 && page.nextCursor !== null ? page.data[page.data.length - 1]!.id : null;
  } while (after !== null);
}
