import { prepared, preparedInsert } from '../db/prepared.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { type LedgerEntryView, type LedgerKind, toLedgerEntryView } from './ledger-entry-view.js';

/**
 * The most points one member may hold: far beyond any program, and well inside the integers JSON
 * numbers carry exactly (2^53).
 */
export const MAX_BALANCE = 1_000_000_000_000;

/**
 * Moves a member's balance by `delta` and appends the matching ledger entry, in the caller's
 * transaction. The balance changes in one guarded statement, so concurrent debits can never take
 * it below zero or above MAX_BALANCE, and balance = sum of entries holds at every commit.
 */
export async function postEntry(
  db: Db,
  programId: string,
  entry: { userId: string; kind: LedgerKind; delta: number; reason: string; createdAt: string },
): Promise<LedgerEntryView> {
  const [updated] = (await moveBalance(db, programId, entry.userId, entry.delta)).rows;

  if (!updated) {
    const user = await db
      .selectFrom('users')
      .select('balance')
      .where('program_id', '=', programId)
      .where('id', '=', entry.userId)
      .executeTakeFirst();
    if (!user) throw notFound('User');
    if (entry.delta > 0) {
      throw new AppError('CONFLICT', `The balance is ${user.balance}; adding ${entry.delta} would take it past the most a member may hold, ${MAX_BALANCE}`);
    }
    throw new AppError('INSUFFICIENT_POINTS', `The balance is ${user.balance}; ${-entry.delta} points are needed`);
  }

  const row: Tables['ledger_entries'] = {
    program_id: programId,
    id: newId('ledgerEntry'),
    user_id: entry.userId,
    kind: entry.kind,
    delta: entry.delta,
    balance_after: updated.balance,
    reason: entry.reason,
    created_at: entry.createdAt,
  };
  await insertEntry(db, row);
  return toLedgerEntryView(row);
}

// Every credit, debit, purchase and refund runs these two.
const moveBalance = prepared((db: Db, programId: string, userId: string, delta: number) =>
  db
    .updateTable('users')
    .set((eb) => ({ balance: eb('balance', '+', delta) }))
    .where('program_id', '=', programId)
    .where('id', '=', userId)
    .where((eb) => eb.between(eb('balance', '+', delta), 0, MAX_BALANCE))
    .returning('balance'),
);

const insertEntry = preparedInsert<'ledger_entries', Tables['ledger_entries']>('ledger_entries', [
  'program_id', 'id', 'user_id', 'kind', 'delta', 'balance_after', 'reason', 'created_at',
]);
