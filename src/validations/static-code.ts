import { notIndexed } from '../db/not-indexed.js';
import type { Db, Tables } from '../db/tables.js';
import { VOUCHER_VIEW_COLUMNS } from '../vouchers/voucher.js';

/** What a reward says about validating its codes. */
interface RewardTerms {
  reward_name: string;
  reward_venues: string | null;
  reward_incentives: string;
}

/** A voucher a code leads to, with its reward's terms. */
export type Found = Pick<Tables['vouchers'], (typeof VOUCHER_VIEW_COLUMNS)[number] | 'program_id' | 'burn_validation_id'> & RewardTerms;

/** A STATIC reward's one code, shared by all its vouchers, with its reward's terms. */
export interface StaticCode extends RewardTerms {
  program_id: string;
  reward_id: string;
  valid_until: string | null;
}

/** The STATIC reward whose code this is, if it is one. */
export async function findStaticCode(db: Db, programId: string, codeNormal: string): Promise<StaticCode | undefined> {
  return db
    .selectFrom('voucher_codes as c')
    .innerJoin('rewards as r', (join) => join.onRef('r.program_id', '=', 'c.program_id').onRef('r.id', '=', 'c.reward_id'))
    .select(['r.program_id', 'r.id as reward_id', 'r.name as reward_name', 'r.venues as reward_venues', 'r.incentives as reward_incentives', 'r.valid_until'])
    .where('c.program_id', '=', programId)
    .where('c.code_normal', '=', codeNormal)
    .where('c.kind', '=', 'STATIC')
    .executeTakeFirst();
}

/** A member's internal id, from it or from their externalId (two seeks, never a scan of the members). */
async function memberIdOf(db: Db, programId: string, userId: string): Promise<string | undefined> {
  const byId = await db.selectFrom('users').select('id').where('program_id', '=', programId).where('id', '=', userId).executeTakeFirst();
  if (byId) return byId.id;
  const byExternalId = await db.selectFrom('users').select('id').where('program_id', '=', programId).where('external_id', '=', userId).executeTakeFirst();
  return byExternalId?.id;
}

/**
 * The member's voucher of a STATIC reward (by internal id or externalId), the most usable one
 * first: the latest ACTIVE one, else the latest. Undefined when the member holds none.
 */
export async function memberVoucherOf(db: Db, code: StaticCode, userId: string): Promise<Found | undefined> {
  const memberId = await memberIdOf(db, code.program_id, userId);
  if (memberId === undefined) return undefined;
  // Read through the member's own vouchers, newest first: a member holds few.
  const latest = (status?: 'ACTIVE') => {
    let select = db
      .selectFrom('vouchers')
      .select([...VOUCHER_VIEW_COLUMNS, 'program_id', 'burn_validation_id'])
      .where('program_id', '=', code.program_id)
      .where('user_id', '=', memberId)
      .where(notIndexed('reward_id'), '=', code.reward_id)
      .orderBy('id', 'desc')
      .limit(1);
    if (status !== undefined) select = select.where(notIndexed('status'), '=', status);
    return select.executeTakeFirst();
  };
  const row = (await latest('ACTIVE')) ?? (await latest());
  return row && { ...row, reward_name: code.reward_name, reward_venues: code.reward_venues, reward_incentives: code.reward_incentives };
}

/** A static code as a voucher that is always active until the reward's validUntil. */
export const asSharedVoucher = (code: StaticCode): Pick<Found, 'status' | 'expires_at' | 'reward_venues'> => ({
  status: 'ACTIVE',
  expires_at: code.valid_until,
  reward_venues: code.reward_venues,
});
