import { preparedInsert } from '../db/prepared.js';
import type { Db, Tables } from '../db/tables.js';
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
  await insertEvent(db, {
    program_id: programId,
    id: view.id,
    type: view.type,
    user_id: view.userId,
    data: JSON.stringify(view.data),
    occurred_at: view.occurredAt,
  });
  return view;
}

type NewEvent = Omit<Tables['events'], 'seq' | 'tx_order'>;
const insertEvent = preparedInsert<'events', NewEvent>('events', ['program_id', 'id', 'type', 'user_id', 'data', 'occurred_at']);
