import type { Clock } from '../clock.js';
import { generateCode } from '../codes/generate-code.js';
import { normalizeCode } from '../codes/normalize-code.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { takePoolCode } from '../pools/take-pool-code.js';
import { activeTally, addTallies } from '../reports/tallies.js';
import { earlier, validityEnd } from './voucher.js';

/** Fresh codes tried before concluding the reward's code space is too full. */
const CODE_ATTEMPTS = 12;

/**
 * Claims a code no other voucher of the program holds (in normal form) for `voucherId`. The
 * register's primary key decides, so two instances can never hand out the same code.
 */
async function claimUniqueCode(db: Db, reward: Tables['rewards'], voucherId: string): Promise<string> {
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
    const code = generateCode(reward.code_format, reward.code_length);
    const claimed = await db
      .insertInto('voucher_codes')
      .values({ program_id: reward.program_id, code_normal: normalizeCode(code), voucher_id: voucherId })
      .onConflict((oc) => oc.columns(['program_id', 'code_normal']).doNothing())
      .executeTakeFirst();
    if (claimed.numInsertedOrUpdatedRows !== 0n) return code;
  }
  throw new AppError(
    'CONFLICT',
    `Could not find an unused code for reward ${reward.id} in ${CODE_ATTEMPTS} tries: its code space is nearly full. Increase codeLength.`,
  );
}

/** The code a voucher of this reward shows when it becomes active. */
async function codeFor(db: Db, reward: Tables['rewards'], voucherId: string): Promise<string> {
  if (reward.code_type === 'STATIC') return reward.static_code!;
  if (reward.code_type === 'ONE_TIME') return claimUniqueCode(db, reward, voucherId);
  // The sale reserved a code of the pool (its stock), so one is there unless the data was changed by hand.
  const code = await takePoolCode(db, reward, voucherId);
  if (code === null) throw new AppError('OUT_OF_STOCK', `Reward ${reward.id}'s code pool is empty`);
  return code;
}

/**
 * Makes a PURCHASED voucher ACTIVE: gives it its code and expiry and emits REDEEMED_VOUCHER (the one
 * event that carries the code). Returns null when the voucher was not PURCHASED.
 */
export async function activateVoucher(
  db: Db,
  clock: Clock,
  reward: Tables['rewards'],
  voucher: { id: string; userId: string },
): Promise<Tables['vouchers'] | null> {
  const now = clock.now();
  const activatedAt = now.toISOString();
  const code = await codeFor(db, reward, voucher.id);
  const validityEndsAt = validityEnd(reward, now);
  const changes = {
    status: 'ACTIVE',
    code,
    activated_at: activatedAt,
    validity_ends_at: validityEndsAt,
    expires_at: earlier(validityEndsAt, reward.valid_until),
    // A pool code handed out is spent: a refund from now on gives no stock back.
    ...(reward.code_type === 'POOL' ? { took_stock: 0 } : {}),
  };
  const row = await db
    .updateTable('vouchers')
    .set(changes)
    .where('program_id', '=', reward.program_id)
    .where('id', '=', voucher.id)
    .where('status', '=', 'PURCHASED')
    .returningAll()
    .executeTakeFirst();
  if (!row) return null;
  await recordEvent(db, reward.program_id, {
    type: 'REDEEMED_VOUCHER',
    occurredAt: activatedAt,
    userId: voucher.userId,
    data: { voucherId: row.id, rewardId: reward.id, purchaseId: row.purchase_id, code, expiresAt: row.expires_at },
  });
  // Last: every voucher activated now with the same validity is counted in the same row.
  await addTallies(db, reward.program_id, [activeTally(row, 1)]);
  return row;
}
