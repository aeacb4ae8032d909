import { prepared } from '../db/prepared.js';
import type { Db } from '../db/tables.js';
import { newId } from '../ids.js';
import type { EventType, EventView } from './event-types.js';

/**
 * Appends an event to the program's log. Call it with the transaction that makes the change it
 * records, so the two commit together or not at all.
 */
export async function recordEvent(
  db: Db,
  programId: string,
  event: { type: EventType; occurredAt: string; userId?: string | null; data: Record<string, unknown> },
): Promise<EventView> {
  const view: EventView = {
    id: newId('event'),
    type: event.type,
    occurredAt: event.occurredAt,
    userId: event.userId ?? null,
    data: event.data,
  };
  await insertEvent(db, programId, view.id, view.type, view.userId, JSON.stringify(view.data), view.occurredAt);
  return view;
}

const insertEvent = prepared((db: Db, programId: string, id: string, type: string, userId: string | null, data: string, occurredAt: string) =>
  db.insertInto('events').values({ program_id: programId, id, type, user_id: userId, data, occurred_at: occurredAt }),
);
