import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { sql } from 'kysely';
import { executeIndexedBy } from '../db/indexed-by.js';
import { notIndexed } from '../db/not-indexed.js';
import type { Db } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { type Page, isIdOf, pageOf } from '../pagination.js';
import { type VoucherStatus, type VoucherView, toVoucherView } from './voucher.js';

/**
 * Where a page of vouchers ends: the last one's id, or for the lists by expiry (ACTIVE, EXPIRED)
 * its expiry (null for never) and id.
 */
export type VoucherPosition = string | [string | null, string];

const isVoucherId = isIdOf('voucher');
export const isVoucherPosition = (value: unknown): value is VoucherPosition =>
  isVoucherId(value) ||
  (Array.isArray(value) && value.length === 2 && (value[0] === null || (typeof value[0] === 'string' && !Number.isNaN(Date.parse(value[0])))) && isVoucherId(value[1]));

interface Query {
  limit: number;
  after: VoucherPosition | null;
  userId?: string | undefined;
  rewardId?: string | undefined;
  status?: VoucherStatus | undefined;
}

/**
 * Vouchers by member, reward and status: oldest first, except ACTIVE and EXPIRED (as the clock
 * sees them), which are listed by expiry, soonest first (ACTIVE vouchers that never expire last):
 * an index of the ACTIVE vouchers by expiry answers both with one seek at any size.
 */
export async function listVouchers(db: Db, clock: Clock, programId: string, query: Query): Promise<Page<VoucherView>> {
  const now = isoNow(clock);
  const byExpiry = query.status === 'ACTIVE' || query.status === 'EXPIRED';
  if (query.after !== null && typeof query.after === 'string' === byExpiry) {
    throw invalidField('/querystring/cursor', 'must be a nextCursor this list returned');
  }
  const rows = byExpiry ? await listByExpiry(db, programId, query, now) : await listById(db, programId, query);
  const page = pageOf(rows, query.limit, (row): VoucherPosition => (byExpiry ? [row.expires_at, row.id] : row.id));
  return { data: page.data.map((row) => toVoucherView(row, now)), nextCursor: page.nextCursor };
}

function select(db: Db, programId: string, query: Query) {
  let select = db.selectFrom('vouchers').selectAll().where('program_id', '=', programId);
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  if (query.rewardId !== undefined) select = select.where('reward_id', '=', query.rewardId);
  return select;
}

async function listById(db: Db, programId: string, query: Query) {
  let rows = select(db, programId, { ...query, rewardId: undefined }).orderBy('id').limit(query.limit + 1);
  if (query.after !== null) rows = rows.where('id', '>', query.after as string);
  // A member's vouchers are found by member, and the other filters applied within them.
  const byMember = query.userId !== undefined;
  if (query.rewardId !== undefined) rows = rows.where(byMember ? notIndexed('reward_id') : sql.ref('reward_id'), '=', query.rewardId);
  if (query.status !== undefined) rows = rows.where(byMember ? notIndexed('status') : sql.ref('status'), '=', query.status);
  return rows.execute();
}

/** The ACTIVE vouchers past (EXPIRED) or before their expiry, by expiry then id, after the position given. */
async function listByExpiry(db: Db, programId: string, query: Query, now: string) {
  const [afterExpiry, afterId] = (query.after as [string | null, string] | null) ?? [undefined, undefined];
  // The narrowest index of ACTIVE vouchers by expiry: a member's, a reward's or the program's.
  const byMember = query.userId !== undefined;
  const index = byMember ? 'vouchers_active_by_user_expiry' : query.rewardId !== undefined ? 'vouchers_active_by_reward_expiry' : 'vouchers_active_by_expiry';
  let active = select(db, programId, { ...query, rewardId: byMember ? undefined : query.rewardId })
    // Spelled out, so that the partial indexes of ACTIVE vouchers serve it.
    .where(sql<boolean>`status = 'ACTIVE'`)
    .orderBy('expires_at')
    .orderBy('id');
  if (byMember && query.rewardId !== undefined) active = active.where(notIndexed('reward_id'), '=', query.rewardId);
  const run = (rows: typeof active, limit: number) => executeIndexedBy(db, rows.limit(limit), 'vouchers', index);

  // ACTIVE vouchers past their expiry, or (the rest of this function) those before it, then those that never expire.
  const after = (rows: typeof active) => rows.where((eb) => eb(eb.refTuple('expires_at', 'id'), '>', eb.tuple(afterExpiry!, afterId!)));
  if (query.status === 'EXPIRED') {
    const expired = active.where('expires_at', '<=', now);
    return run(afterExpiry != null ? after(expired) : expired, query.limit + 1);
  }
  const dated = afterExpiry === null ? [] : await run(afterExpiry !== undefined && afterExpiry > now ? after(active) : active.where('expires_at', '>', now), query.limit + 1);
  if (dated.length > query.limit) return dated;
  const never = active.where('expires_at', 'is', null);
  return [...dated, ...(await run(afterExpiry === null ? never.where('id', '>', afterId!) : never, query.limit + 1 - dated.length))];
}
