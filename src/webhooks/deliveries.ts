import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, isIdOf, pageOf } from '../pagination.js';
import { loadWebhook } from './manage-webhooks.js';
import { type DeliveryStatus, TEST_EVENT_TYPE } from './webhook.js';

export interface AttemptView {
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: AttemptView[];
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const toDeliveryView = (row: Tables['webhook_deliveries'], attempts: Tables['webhook_attempts'][]): DeliveryView => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status as DeliveryStatus,
  attempts: attempts.map((a) => ({ attempt: a.attempt, statusCode: a.status_code, durationMs: a.duration_ms, error: a.error, at: a.created_at })),
  nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at : null,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

/** A webhook's deliveries, newest first, each with its attempts. */
export async function listDeliveries(db: Db, programId: string, webhookId: string, query: { limit: number; cursor?: string | undefined }) {
  await loadWebhook(db, programId, webhookId);
  const before = decodeCursor(query.cursor, isIdOf('delivery'));
  let select = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('program_id', '=', programId)
    .where('webhook_id', '=', webhookId)
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (before !== null) select = select.where('id', '<', before);
  const rows = await select.execute();
  const attempts =
    rows.length === 0
      ? []
      : await db
          .selectFrom('webhook_attempts')
          .selectAll()
          .where('program_id', '=', programId)
          .where('delivery_id', 'in', rows.map((r) => r.id))
          // The index's own order: each delivery's attempts in turn.
          .orderBy('delivery_id')
          .orderBy('attempt')
          .execute();
  const views = rows.map((row) => toDeliveryView(row, attempts.filter((a) => a.delivery_id === row.id)));
  return pageOf(views, query.limit, (d) => d.id);
}

/** Queues a delivery to be sent now, as a new item of the webhook's deliveries. */
export async function queueDelivery(
  db: Db,
  now: string,
  webhook: Pick<Tables['webhooks'], 'program_id' | 'id'>,
  event: { id: string; type: string; payload: string },
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({
      program_id: webhook.program_id,
      id: newId('delivery'),
      webhook_id: webhook.id,
      event_id: event.id,
      event_type: event.type,
      payload: event.payload,
      status: 'PENDING',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      lease_token: null,
      last_status_code: null,
      last_error: null,
      created_at: now,
      finished_at: null,
    })
    .onConflict((oc) => oc.columns(['program_id', 'webhook_id', 'event_id']).doNothing())
    .execute();
}

/** Sends a test message through the normal delivery path; answers its event id. */
export async function sendTestEvent(db: Db, clock: Clock, programId: string, webhookId: string): Promise<{ eventId: string }> {
  const webhook = await loadWebhook(db, programId, webhookId);
  const now = isoNow(clock);
  const eventId = newId('event');
  const payload = JSON.stringify({ id: eventId, type: TEST_EVENT_TYPE, occurredAt: now, userId: null, data: { webhookId } });
  await queueDelivery(db, now, webhook, { id: eventId, type: TEST_EVENT_TYPE, payload });
  return { eventId };
}

/** Sends a FAILED delivery again: it is PENDING and due now, with a fresh allowance of retries. */
export async function retryDelivery(db: Db, clock: Clock, programId: string, webhookId: string, deliveryId: string): Promise<void> {
  await loadWebhook(db, programId, webhookId);
  const row = await db
    .selectFrom('webhook_deliveries')
    .select('status')
    .where('program_id', '=', programId)
    .where('webhook_id', '=', webhookId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  if (!row) throw notFound('Delivery');
  if (row.status !== 'FAILED') throw new AppError('INVALID_STATE', `Only a FAILED delivery can be retried; this one is ${row.status}`);
  const now = isoNow(clock);
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'PENDING', next_attempt_at: now, created_at: now, finished_at: null })
    .where('program_id', '=', programId)
    .where('id', '=', deliveryId)
    .where('status', '=', 'FAILED')
    .execute();
}
