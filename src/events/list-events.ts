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

/**
 * The program's events, oldest first, after `after`.
 *
 * The order never changes under a reader, even with several instances writing: on PostgreSQL a
 * transaction that is still open may commit events behind ones already visible, so only events of
 * transactions older than every open one are returned (the snapshot's xmin). They appear a moment
 * later, in their place. SQLite has one writer at a time, so insertion order is commit order.
 */
export async function listEvents(
  db: Db,
  programId: string,
  query: { limit: number; after: EventPosition | null; type?: EventType | undefined; userId?: string | undefined },
): Promise<EventPage> {
  const horizon = await visibleHorizon(db);
  let select = db
    .selectFrom('events')
    .selectAll()
    .where('program_id', '=', programId)
    .where('tx_order', '<', horizon)
    .orderBy('tx_order')
    .orderBy('seq')
    .limit(query.limit + 1);
  if (query.after !== null) {
    const [txOrder, seq] = query.after;
    select = select.where((eb) => eb(eb.refTuple('tx_order', 'seq'), '>', eb.tuple(txOrder, seq)));
  }
  if (query.type !== undefined) select = select.where('type', '=', query.type);
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  const rows = await select.execute();
  const data = rows.slice(0, query.limit);
  const last = data[data.length - 1];
  // A follower keeps its place even when caught up: the cursor always points after the last event seen.
  const position = last !== undefined ? [last.tx_order, last.seq] : query.after;
  return {
    data: data.map(toEventView),
    nextCursor: position === null ? null : encodeCursor(position),
    hasMore: rows.length > query.limit,
  };
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
