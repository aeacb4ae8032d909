import { sql } from 'kysely';
import { engineOf } from '../db/engine.js';
import { notIndexed } from '../db/not-indexed.js';
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

export interface EventQuery {
  limit: number;
  after: EventPosition | null;
  type?: EventType | undefined;
  userId?: string | undefined;
}

/** How long a read waits for older transactions to finish before answering with what is safe. */
const SETTLE_WAIT_MS = 250;
const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 40;

/**
 * The program's events, oldest first, after `after`.
 *
 * The order never changes under a reader, even with several instances writing. On PostgreSQL a
 * transaction still open may commit events that sort before ones already committed, so only events
 * of transactions older than every transaction still open on this database are returned. When newer events
 * are held back this way, the read waits briefly for the open transactions to end, so a caller
 * normally sees its own writes at once. SQLite has one writer at a time: insertion order is commit
 * order and nothing is held back.
 */
export async function listEvents(
  db: Db,
  programId: string,
  query: EventQuery,
): Promise<EventPage> {
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    // The horizon is read before the rows: every transaction below it has ended by then, so the
    // rows read next include all of its events.
    const horizon = await visibleHorizon(db);
    const rows = await readAfter(db, programId, query);
    const visible = rows.filter((row) => row.tx_order < horizon);
    if (visible.length < rows.length && visible.length <= query.limit && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pause));
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
  query: EventQuery,
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
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  // A member's events are found by member, and their type checked within them.
  if (query.type !== undefined) select = select.where(query.userId !== undefined ? notIndexed('type') : sql.ref('type'), '=', query.type);
  return select.execute();
}

export const toEventView = (row: { id: string; type: string; occurred_at: string; user_id: string | null; data: string }): EventView => ({
  id: row.id,
  type: row.type as EventType,
  occurredAt: row.occurred_at,
  userId: row.user_id,
  data: JSON.parse(row.data) as Record<string, unknown>,
});

/**
 * PostgreSQL: the oldest transaction id that may still be writing to this database (or the next id
 * to be handed out when none is open). Transactions of other databases on the same server are not
 * counted, so a long transaction elsewhere does not hold this log back.
 *
 * Why it is safe: a transaction with an id below the first read's next-id was already running then;
 * if it is still running at the second read, it is in the snapshot's in-progress list and shows in
 * pg_stat_activity for this database, so the horizon stays below it.
 */
export async function visibleHorizon(db: Db): Promise<number> {
  if (engineOf(db) === 'sqlite') return Number.MAX_SAFE_INTEGER;
  const next = await sql<{ next: number }>`select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as next`.execute(db);
  const open = await sql<{ oldest: number | null }>`
    select min(x::text::bigint) as oldest
    from pg_snapshot_xip(pg_current_snapshot()) as x
    where x::text::bigint % 4294967296 in (
      select backend_xid::text::bigint from pg_stat_activity
      where datname = current_database() and backend_xid is not null
    )`.execute(db);
  const oldest = open.rows[0]?.oldest;
  return Math.min(next.rows[0]!.next, oldest ?? Number.MAX_SAFE_INTEGER);
}
