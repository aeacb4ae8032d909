import type { Clock } from '../clock.js';
import { normalizeCode } from '../codes/normalize-code.js';
import { engineOf } from '../db/engine.js';
import { prepared, preparedInsert } from '../db/prepared.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError, invalidField } from '../errors.js';
import { recordEvent } from '../events/record-event.js';
import { newId } from '../ids.js';
import type { Caller } from '../keys/roles.js';
import { addTallies, burnTallies } from '../reports/tallies.js';
import type { Incentive } from '../rewards/reward.js';
import { VOUCHER_VIEW_COLUMNS, type VoucherView, toVoucherView } from '../vouchers/voucher.js';
import { type Basket, type Discount, computeDiscount } from './discount.js';
import type { GuessLimiter } from './guess-limiter.js';
import { type Found, type StaticCode, asSharedVoucher, findStaticCode, memberVoucherOf } from './static-code.js';
import type { ValidationReason } from './validation.js';

export interface ValidationRequest {
  code: string;
  dryRun?: boolean;
  venue?: string;
  userId?: string;
  reference?: string;
  basket?: Basket;
}

/** The answer a till gets: always given with 200, valid or not. */
export interface ValidationAnswer {
  valid: boolean;
  reason: ValidationReason | null;
  burned: boolean;
  replayed: boolean;
  /** The recorded validation; null for a dry run, which records nothing. */
  validation: { id: string; createdAt: string } | null;
  voucher?: VoucherView;
  reward?: { id: string; name: string };
  incentives: Incentive[];
  discount?: Discount;
  /** With ALREADY_BURNED: the burn that used the voucher, so the till can say when and where. */
  burn?: { at: string; venue: string | null; reference: string | null };
}


function codeQuery(db: Db, programId: string, codeNormal: string) {
  return db
    .selectFrom('voucher_codes as c')
    .innerJoin('vouchers as v', (join) => join.onRef('v.program_id', '=', 'c.program_id').onRef('v.id', '=', 'c.voucher_id'))
    .innerJoin('rewards as r', (join) => join.onRef('r.program_id', '=', 'v.program_id').onRef('r.id', '=', 'v.reward_id'))
    // Columns named, not v.*: a prepared statement's plan must not change shape when a column is added.
    .select([...VOUCHER_VIEW_COLUMNS.map((column) => `v.${column}` as const), 'v.program_id', 'v.burn_validation_id'])
    .select(['r.name as reward_name', 'r.venues as reward_venues', 'r.incentives as reward_incentives'])
    .where('c.program_id', '=', programId)
    .where('c.code_normal', '=', codeNormal);
}
const voucherByCode = prepared(codeQuery);
// A burn locks the voucher row on PostgreSQL, so concurrent validations of one code decide one after
// the other (SQLite write transactions already do).
const voucherByCodeToBurn = prepared((db: Db, programId: string, codeNormal: string) =>
  engineOf(db) === 'postgres' ? codeQuery(db, programId, codeNormal).forUpdate('v') : codeQuery(db, programId, codeNormal),
);

/** The voucher holding a code and what its reward says about validating it. */
async function findByCode(db: Db, programId: string, codeNormal: string, forBurn: boolean): Promise<Found | undefined> {
  return (await (forBurn ? voucherByCodeToBurn : voucherByCode)(db, programId, codeNormal)).rows[0];
}

/** The venue a validation happens at: a venue-bound key speaks for its venue. */
function venueOf(caller: Caller, requested: string | undefined): string | null {
  if (caller.venue === null) return requested ?? null;
  if (requested !== undefined && requested !== caller.venue) {
    throw invalidField('/body/venue', `must be left out or "${caller.venue}": this API key is bound to that venue`);
  }
  return caller.venue;
}

async function belongsTo(db: Db, voucher: Found, userId: string): Promise<boolean> {
  if (userId === voucher.user_id) return true;
  const owner = await db
    .selectFrom('users')
    .select('id')
    .where('program_id', '=', voucher.program_id)
    .where('id', '=', voucher.user_id)
    .where('external_id', '=', userId)
    .executeTakeFirst();
  return owner !== undefined;
}

/** Why the voucher may not be used here and now, or null when it may (its owner is checked first). */
function refusal(voucher: Pick<Found, 'status' | 'expires_at' | 'reward_venues'>, venue: string | null, now: string): ValidationReason | null {
  if (voucher.status === 'VOIDED') return 'VOIDED';
  if (voucher.status === 'PURCHASED') return 'NOT_REVEALED';
  if (voucher.status === 'BURNED') return 'ALREADY_BURNED';
  if (voucher.expires_at !== null && voucher.expires_at <= now) return 'EXPIRED';
  if (voucher.reward_venues !== null && (venue === null || !(JSON.parse(voucher.reward_venues) as string[]).includes(venue))) {
    return 'WRONG_VENUE';
  }
  return null;
}

/**
 * The burn this retry repeats, or null: the same voucher burned by the same key at the same venue
 * under the same reference (references are the till's own, so another till's may collide).
 */
async function burnRepeated(db: Db, voucher: Found, caller: Caller, venue: string | null, reference: string): Promise<ValidationAnswer | null> {
  if (voucher.status !== 'BURNED') return null;
  const burn = await burnOf(db, voucher);
  if (burn === undefined || burn.response === null) return null;
  if (burn.reference !== reference || burn.key_id !== caller.keyId || burn.venue !== venue) return null;
  return { ...(JSON.parse(burn.response) as ValidationAnswer), replayed: true };
}

/** The validation that burned a voucher, if it is burned. */
async function burnOf(db: Db, voucher: Found) {
  if (voucher.burn_validation_id === null) return undefined;
  return db
    .selectFrom('validations')
    .select(['created_at', 'venue', 'reference', 'key_id', 'response'])
    .where('program_id', '=', voucher.program_id)
    .where('id', '=', voucher.burn_validation_id)
    .executeTakeFirst();
}

/**
 * What a code stands for: the voucher holding it, or a static code, which is no one voucher's and,
 * with a member named, stands for that member's voucher of its reward. `wrongUser` when a member is
 * named who does not hold it.
 */
async function resolveCode(
  db: Db,
  programId: string,
  request: Pick<ValidationRequest, 'code' | 'userId'>,
  forBurn: boolean,
): Promise<{ voucher: Found | undefined; shared: StaticCode | undefined; wrongUser: boolean }> {
  const codeNormal = normalizeCode(request.code);
  const voucher = await findByCode(db, programId, codeNormal, forBurn);
  if (voucher) {
    const wrongUser = request.userId !== undefined && !(await belongsTo(db, voucher, request.userId));
    return { voucher, shared: undefined, wrongUser };
  }
  const shared = await findStaticCode(db, programId, codeNormal);
  if (!shared || request.userId === undefined) return { voucher: undefined, shared, wrongUser: false };
  const held = await memberVoucherOf(db, shared, request.userId);
  return { voucher: held, shared, wrongUser: held === undefined };
}

/**
 * Thrown inside a validation's write transaction when its code is unknown and the miss has yet to be
 * counted: the caller counts it outside the transaction (a slow Redis, or PostgreSQL's counter pool,
 * must never hold SQLite's one writer or a main-pool connection) and validates again.
 */
export class MissToCount extends Error {}

/** Guess counting inside a transaction: never there (see MissToCount). */
export const countOutside: Pick<GuessLimiter, 'countMiss'> = {
  countMiss: async () => {
    throw new MissToCount('an unknown code is counted outside the transaction');
  },
};

/** The miss of this validation has been counted already. */
export const counted: Pick<GuessLimiter, 'countMiss'> = { countMiss: async () => {} };

/**
 * Checks a code and, unless it is a dry run, burns it in the same transaction that found it valid,
 * recording the validation and BURNED_VOUCHER with it. A dry run reads only. `db` is the write
 * transaction for a real validation and the plain handle for a dry run. Any refusal thrown (a bad
 * venue or currency, too many guesses) leaves nothing written.
 */
export async function validateCode(
  db: Db,
  clock: Clock,
  guesses: Pick<GuessLimiter, 'countMiss'>,
  caller: Caller,
  request: ValidationRequest,
): Promise<ValidationAnswer> {
  const dryRun = request.dryRun === true;
  const venue = venueOf(caller, request.venue);
  const now = clock.now().toISOString();
  const { voucher, shared, wrongUser } = await resolveCode(db, caller.programId, request, !dryRun);
  // An unknown code may be a guess: counted per key, and past the limit refused (nothing recorded).
  if (!voucher && !shared) await guesses.countMiss(caller.keyId);

  if (!dryRun && !shared && voucher && !wrongUser && request.reference !== undefined) {
    const replay = await burnRepeated(db, voucher, caller, venue, request.reference);
    if (replay) return replay;
  }

  let reason: ValidationReason | null;
  if (!voucher && !shared) reason = 'NOT_FOUND';
  else if (wrongUser) reason = 'WRONG_USER';
  else reason = refusal(voucher ?? asSharedVoucher(shared!), venue, now);
  const source = voucher ?? shared;
  const incentives = source ? (JSON.parse(source.reward_incentives) as Incentive[]) : [];
  let discount: Discount | undefined;
  if (reason === null && request.basket !== undefined) {
    const outcome = computeDiscount(incentives, request.basket);
    if (outcome.ok) discount = outcome.discount;
    else if (outcome.reason === 'MIN_SPEND_NOT_MET') reason = 'MIN_SPEND_NOT_MET';
    else throw invalidField('/body/basket/currency', `must be ${outcome.expected}, the currency of this voucher's incentives`);
  }

  // A static code is never used up: it is checked and recorded, not burned.
  const burned = !dryRun && reason === null && !shared;
  const validationId = newId('validation');
  const answer: ValidationAnswer = {
    valid: reason === null,
    reason,
    burned,
    replayed: false,
    validation: dryRun ? null : { id: validationId, createdAt: now },
    incentives,
  };
  if (voucher) {
    const after = burned ? { ...voucher, status: 'BURNED', burned_at: now, burn_validation_id: validationId } : voucher;
    answer.voucher = toVoucherView(after, now);
  }
  if (source) answer.reward = { id: source.reward_id, name: source.reward_name };
  if (discount) answer.discount = discount;
  if (reason === 'ALREADY_BURNED') {
    const burn = await burnOf(db, voucher!);
    if (burn) answer.burn = { at: burn.created_at, venue: burn.venue, reference: burn.reference };
  }
  if (dryRun) return answer;

  if (burned) await burn(db, voucher!, validationId, now);
  await insertValidation(db, {
    program_id: caller.programId,
    id: validationId,
    voucher_id: voucher?.id ?? null,
    code: request.code,
    valid: reason === null ? 1 : 0,
    reason,
    burned: burned ? 1 : 0,
    venue,
    reference: request.reference ?? null,
    key_id: caller.keyId,
    discount: discount ? JSON.stringify(discount) : null,
    // Kept only where a retry could ask for it again: a burn with a reference.
    response: burned && request.reference !== undefined ? JSON.stringify(answer) : null,
    created_at: now,
  });
  if (burned) {
    await recordEvent(db, caller.programId, {
      type: 'BURNED_VOUCHER',
      occurredAt: now,
      userId: voucher!.user_id,
      data: { voucherId: voucher!.id, rewardId: voucher!.reward_id, validationId, code: voucher!.code, venue, reference: request.reference ?? null },
    });
    // Last: the tally rows are shared by every burn of the program, so their locks are held briefly.
    await addTallies(db, caller.programId, burnTallies(voucher!, venue, now));
  }
  return answer;
}

type NewValidation = Omit<Tables['validations'], 'reversed_at' | 'reversal_reason' | 'reversed_by_key_id'>;
const VALIDATION_COLUMNS = [
  'program_id', 'id', 'voucher_id', 'code', 'valid', 'reason', 'burned', 'venue', 'reference', 'key_id', 'discount', 'response', 'created_at',
] as const satisfies readonly (keyof NewValidation)[];

const insertValidation = preparedInsert<'validations', NewValidation>('validations', VALIDATION_COLUMNS);

const burnVoucher = prepared((db: Db, programId: string, voucherId: string, now: string, validationId: string) =>
  db
    .updateTable('vouchers')
    .set({ status: 'BURNED', burned_at: now, burn_validation_id: validationId })
    .where('program_id', '=', programId)
    .where('id', '=', voucherId)
    .where('status', '=', 'ACTIVE'),
);

async function burn(db: Db, voucher: Found, validationId: string, now: string): Promise<void> {
  const result = await burnVoucher(db, voucher.program_id, voucher.id, now, validationId);
  // The row was read (and on PostgreSQL locked) as ACTIVE in this transaction: anything else is a bug.
  if (result.numAffectedRows !== 1n) throw new AppError('INTERNAL', `voucher ${voucher.id} changed while it was being burned`);
}
