import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { sql } from 'kysely';
import { notIndexed } from '../db/not-indexed.js';
import type { Db } from '../db/tables.js';
import { type Page, pageOf } from '../pagination.js';
import { type VoucherStatus, type VoucherView, toVoucherView } from './voucher.js';

/** Vouchers, oldest first, by member, reward and status (EXPIRED and ACTIVE as the clock sees them). */
export async function listVouchers(
  db: Db,
  clock: Clock,
  programId: string,
  query: { limit: number; after: string | null; userId?: string | undefined; rewardId?: string | undefined; status?: VoucherStatus | undefined },
): Promise<Page<VoucherView>> {
  const now = isoNow(clock);
  let select = db
    .selectFrom('vouchers')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.after !== null) select = select.where('id', '>', query.after);
  // A member's vouchers are found by member, and the other filters applied within them.
  const byMember = query.userId !== undefined;
  if (byMember) select = select.where('user_id', '=', query.userId!);
  const rewardColumn = byMember ? notIndexed('reward_id') : sql.ref('reward_id');
  const statusColumn = byMember ? notIndexed('status') : sql.ref('status');
  if (query.rewardId !== undefined) select = select.where(rewardColumn, '=', query.rewardId);
  if (query.status === 'EXPIRED') {
    select = select.where(statusColumn, '=', 'ACTIVE').where('expires_at', '<=', now);
  } else if (query.status === 'ACTIVE') {
    select = select.where(statusColumn, '=', 'ACTIVE').where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  } else if (query.status !== undefined) {
    select = select.where(statusColumn, '=', query.status);
  }
  const page = pageOf(await select.execute(), query.limit, (row) => row.id);
  return { data: page.data.map((row) => toVoucherView(row, now)), nextCursor: page.nextCursor };
}
