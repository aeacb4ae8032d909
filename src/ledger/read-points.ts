import type { Db } from '../db/tables.js';
import { getUser } from '../users/get-user.js';
import { type LedgerEntryView, toLedgerEntryView } from './ledger-entry-view.js';
import { pageOf } from '../pagination.js';

/** A member's balance and ledger entries, newest first. */
export async function readPoints(
  db: Db,
  programId: string,
  userId: string,
  page: { limit: number; before: string | null },
): Promise<{ balance: number; entries: LedgerEntryView[]; nextCursor: string | null }> {
  const user = await getUser(db, programId, userId);
  let select = db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('program_id', '=', programId)
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.before !== null) select = select.where('id', '<', page.before);
  const rows = await select.execute();
  const { data, nextCursor } = pageOf(rows, page.limit, (row) => row.id);
  return { balance: user.balance, entries: data.map(toLedgerEntryView), nextCursor };
}
