import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { engineOf } from '../db/engine.js';
import type { Db, Tables } from '../db/tables.js';
import { type EventPosition, visibleHorizon } from '../events/list-events.js';
import { invalidField, notFound } from '../errors.js';
import type { EventType } from '../events/event-types.js';
import { newId, newSecret } from '../ids.js';
import { decodeCursor, isIdOf, pageOf } from '../pagination.js';
import { urlProblem } from './url-policy.js';
import { type WebhookView, toWebhookView } from './webhook.js';

export interface WebhookInput {
  url: string;
  eventTypes: EventType[];
  description?: string;
}

/** A Standard Webhooks signing secret: "whsec_" and 192 random bits in (plain) base 64. */
const newSigningSecret = () => newSecret('whsec', 'base64');

/**
 * Subscribes a URL to event types. It receives the events that happen from now on: its place in
 * the log starts at the program's latest event.
 */
export async function createWebhook(
  db: Db,
  clock: Clock,
  programId: string,
  input: WebhookInput,
  allowPrivate: boolean,
): Promise<WebhookView & { secret: string }> {
  const problem = urlProblem(input.url, allowPrivate);
  if (problem) throw invalidField('/body/url', problem);
  const start = await startOfNewEvents(db, programId);
  const row: Tables['webhooks'] = {
    program_id: programId,
    id: newId('webhook'),
    url: input.url,
    event_types: JSON.stringify([...new Set(input.eventTypes)]),
    description: input.description ?? null,
    secret: newSigningSecret(),
    after_tx_order: start[0],
    after_seq: start[1],
    created_at: isoNow(clock),
    deleted_at: null,
  };
  await db.insertInto('webhooks').values(row).execute();
  return { ...toWebhookView(row), secret: row.secret };
}

/**
 * The place in the log from which events count as new. SQLite: the latest event. PostgreSQL: just
 * below the oldest transaction that may still commit events, so none committing after the
 * subscription is passed over (a few committed just before it may be sent too).
 */
async function startOfNewEvents(db: Db, programId: string): Promise<EventPosition> {
  if (engineOf(db) === 'postgres') return [Math.max(0, (await visibleHorizon(db)) - 1), Number.MAX_SAFE_INTEGER];
  const latest = await db
    .selectFrom('events')
    .select(['tx_order', 'seq'])
    .where('program_id', '=', programId)
    .orderBy('tx_order', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest ? [latest.tx_order, latest.seq] : [0, 0];
}

export async function loadWebhook(db: Db, programId: string, id: string): Promise<Tables['webhooks']> {
  const row = await db
    .selectFrom('webhooks')
    .selectAll()
    .where('program_id', '=', programId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound('Webhook');
  return row;
}

export async function listWebhooks(db: Db, programId: string, query: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(query.cursor, isIdOf('webhook'));
  let select = db.selectFrom('webhooks').selectAll().where('program_id', '=', programId).where('deleted_at', 'is', null).orderBy('id').limit(query.limit + 1);
  if (after !== null) select = select.where('id', '>', after);
  return pageOf((await select.execute()).map(toWebhookView), query.limit, (w) => w.id);
}

/** Ends a subscription: nothing more is sent to it, and its pending deliveries are dropped. */
export async function deleteWebhook(db: Db, clock: Clock, programId: string, id: string): Promise<void> {
  await loadWebhook(db, programId, id);
  const now = isoNow(clock);
  await db.updateTable('webhooks').set({ deleted_at: now }).where('program_id', '=', programId).where('id', '=', id).execute();
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'FAILED', last_error: 'the webhook was deleted', finished_at: now, lease_until: null, lease_token: null })
    .where('program_id', '=', programId)
    .where('webhook_id', '=', id)
    .where('status', '=', 'PENDING')
    .execute();
}
