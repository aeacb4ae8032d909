import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { recordEvent } from '../events/record-event.js';
import { addTallies, adjustmentTally } from '../reports/tallies.js';
import type { LedgerEntryView } from './ledger-entry-view.js';
import { postEntry } from './post-entry.js';

/** Credits (delta > 0) or debits (delta < 0) a member's points by hand, emitting POINTS_ADJUSTED. */
export async function adjustPoints(
  db: Db,
  clock: Clock,
  programId: string,
  userId: string,
  input: { delta: number; reason: string },
): Promise<LedgerEntryView> {
  const occurredAt = isoNow(clock);
  const entry = await postEntry(db, programId, { userId, kind: 'ADJUSTMENT', ...input, createdAt: occurredAt });
  await addTallies(db, programId, [adjustmentTally(entry.delta, occurredAt)]);
  await recordEvent(db, programId, {
    type: 'POINTS_ADJUSTED',
    occurredAt,
    userId,
    data: { entryId: entry.id, delta: entry.delta, reason: entry.reason, balance: entry.balanceAfter },
  });
  return entry;
}
