import { sql } from 'kysely';
import { engineOf } from '../db/engine.js';
import type { Db } from '../db/tables.js';
import { encodeCursor } from '../pagination.js';
import type { EventType, EventView } from './event-types.js';

export interface EventPage {
  data: EventView[];
  /** Where to continue from; null only while the log has nothing to show yet. */
  nextCursor: string | null;
  /** Whether more events can be read right away. */
  hasMore: boolean;
}

/** Where a reader stands in the log: the last event it has seen. */
export type EventPosition = [txOrder: number, seq: number];

export const isEventPosition = (value: unknown): value is EventPosition =>
  Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n) && n >= 0);

/** How long a read waits for older transactions to finish before answering with what is safe. */
const SETTLE_WAIT_MS = 250;
const SETTLE_POLL_MS = 5;

/**
 * The program's events, oldest first, after `after`.
 *
 * The order never changes under a reader, even with several instances writing. On PostgreSQL a
 * transaction still open may commit events that sort before ones already committed, so only events
 * of transactions older than every open one (the snapshot's xmin) are returned. When newer events
 * are held back this way, the read waits briefly for the open transactions to end, so a caller
 * normally sees its own writes at once. SQLite has one writer at a time: insertion order is commit
 * order and nothing is held back.
 */
export async function listEvents(
  db: Db,
  programId: string,
  query: { limit: number; after: EventPosition | null; type?: EventType | undefined; userId?: string | undefined },
): Promise<EventPage> {
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (;;) {
    // The horizon is read before the rows: every transaction below it has ended by then, so the
    // rows read next include all of its events.
    const horizon = await visibleHorizon(db);
    const rows = await readAfter(db, programId, query);
    const visible = rows.filter((row) => row.tx_order < horizon);
    if (visible.length < rows.length && visible.length <= query.limit && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      continue;
    }
    const data = visible.slice(0, query.limit);
    const last = data[data.length - 1];
    // A follower keeps its place even when caught up: the cursor always points after the last event seen.
    const position = last !== undefined ? [last.tx_order, last.seq] : query.after;
    return {
      data: data.map(toEventView),
      nextCursor: position === null ? null : encodeCursor(position),
      hasMore: visible.length > query.limit,
    };
  }
}

function readAfter(
  db: Db,
  programId: string,
  query: { limit: number; after: EventPosition | null; type?: EventType | undefined; userId?: string | undefined },
) {
  let select = db
    .selectFrom('events')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('tx_order')
    .orderBy('seq')
    .limit(query.limit + 1);
  if (query.after !== null) {
    const [txOrder, seq] = query.after;
    select = select.where((eb) => eb(eb.refTuple('tx_order', 'seq'), '>', eb.tuple(txOrder, seq)));
  }
  if (query.type !== undefined) select = select.where('type', '=', query.type);
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  return select.execute();
}

export const toEventView = (row: { id: string; type: string; occurred_at: string; user_id: string | null; data: string }): EventView => ({
  id: row.id,
  type: row.type as EventType,
  occurredAt: row.occurred_at,
  userId: row.user_id,
  data: JSON.parse(row.data) as Record<string, unknown>,
});

async function visibleHorizon(db: Db): Promise<number> {
  if (engineOf(db) === 'sqlite') return Number.MAX_SAFE_INTEGER;
  const { rows } = await sql<{ xmin: number }>`select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin`.execute(db);
  return rows[0]!.xmin;
}
