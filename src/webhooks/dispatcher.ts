import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../clock.js';
import { engineOf } from '../db/engine.js';
import type { Store } from '../db/store.js';
import type { Db, Tables } from '../db/tables.js';
import type { EventType } from '../events/event-types.js';
import { type EventPosition, isEventPosition, listEvents } from '../events/list-events.js';
import { newId } from '../ids.js';
import { decodeCursor } from '../pagination.js';
import { queueDelivery } from './deliveries.js';
import { assertDeliverable } from './url-policy.js';
import type { WebhookSettings } from './webhook.js';

const FAN_OUT_PAGE = 200;
const CLAIM_BATCH = 50;
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

interface Logger {
  warn(object: object, message: string): void;
}

export interface Dispatcher {
  /** Stops claiming deliveries and waits for the ones in flight to finish. */
  stop(): Promise<void>;
}

/**
 * Delivers events to webhooks, in the background of every instance. The events table is the
 * outbox: each tick fans new events out into deliveries (each webhook keeps its place in the log,
 * moved forward with a guarded update so two instances never fan out the same page), then claims
 * due deliveries under a lease and sends them. A lease that runs out (its instance died) makes the
 * delivery due again; a delivery is settled only by the instance whose lease it holds.
 */
export function startDispatcher(store: Store, clock: Clock, settings: WebhookSettings, log: Logger): Dispatcher {
  let stopped = false;
  let tick: Promise<void> = Promise.resolve();
  // Each webhook's deliveries are sent by one chain at a time; a slow receiver holds only its own.
  const busy = new Map<string, Promise<void>>();
  const run = async () => {
    try {
      await fanOut(store, clock);
      await sendDue(store, clock, settings, log, busy, () => stopped);
    } catch (error) {
      log.warn({ err: error }, 'webhook dispatch failed; retrying on the next tick');
    }
  };
  const timer = setInterval(() => {
    tick = tick.then(() => (stopped ? undefined : run()));
  }, settings.pollMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await tick;
      await Promise.all(busy.values());
    },
  };
}

/** Turns each webhook's new events of its types into deliveries. */
async function fanOut(store: Store, clock: Clock): Promise<void> {
  const webhooks = await store.db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null).execute();
  for (const webhook of webhooks) {
    const after: EventPosition = [webhook.after_tx_order, webhook.after_seq];
    const page = await listEvents(store.db, webhook.program_id, { limit: FAN_OUT_PAGE, after });
    if (page.data.length === 0) continue;
    const position = decodeCursor(page.nextCursor ?? undefined, isEventPosition)!;
    const types = new Set(JSON.parse(webhook.event_types) as EventType[]);
    const now = clock.now().toISOString();
    await store.write(async (trx) => {
      const moved = await trx
        .updateTable('webhooks')
        .set({ after_tx_order: position[0], after_seq: position[1] })
        .where('program_id', '=', webhook.program_id)
        .where('id', '=', webhook.id)
        .where('after_tx_order', '=', after[0])
        .where('after_seq', '=', after[1])
        .executeTakeFirst();
      // Another instance fanned this page out first.
      if (moved.numUpdatedRows === 0n) return;
      for (const event of page.data) {
        if (!types.has(event.type)) continue;
        await queueDelivery(trx, now, webhook, { id: event.id, type: event.type, payload: JSON.stringify(event) });
      }
    });
  }
}

type Claimed = Tables['webhook_deliveries'] & { url: string; secret: string };

/** Leases the due deliveries to this instance; on PostgreSQL rows another instance is leasing are skipped. */
async function claimDue(store: Store, clock: Clock, leaseMs: number, token: string, skipWebhooks: string[]): Promise<Claimed[]> {
  const now = clock.now();
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  return store.write(async (trx) => {
    let due = trx
      .selectFrom('webhook_deliveries')
      .select(['program_id', 'id'])
      .where('status', '=', 'PENDING')
      .where('next_attempt_at', '<=', nowIso)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', nowIso)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(CLAIM_BATCH);
    if (skipWebhooks.length > 0) due = due.where('webhook_id', 'not in', skipWebhooks);
    if (engineOf(trx) === 'postgres') due = due.forUpdate().skipLocked();
    const rows = await due.execute();
    if (rows.length === 0) return [];
    await trx
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil, lease_token: token })
      .where('id', 'in', rows.map((r) => r.id))
      .execute();
    return trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', (join) => join.onRef('w.program_id', '=', 'd.program_id').onRef('w.id', '=', 'd.webhook_id'))
      .selectAll('d')
      .select(['w.url', 'w.secret'])
      .where('d.lease_token', '=', token)
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .execute();
  });
}

/**
 * Claims what is due for the webhooks this instance is not already sending to, and starts one chain
 * per webhook: its deliveries go out one after another, in the order of their events.
 */
async function sendDue(
  store: Store,
  clock: Clock,
  settings: WebhookSettings,
  log: Logger,
  busy: Map<string, Promise<void>>,
  stopping: () => boolean,
): Promise<void> {
  const token = randomUUID();
  // Long enough for every attempt of the batch to time out once, one after another.
  const claimed = await claimDue(store, clock, settings.timeoutMs * (CLAIM_BATCH + 1), token, [...busy.keys()]);
  const byWebhook = new Map<string, Claimed[]>();
  for (const delivery of claimed) byWebhook.set(delivery.webhook_id, [...(byWebhook.get(delivery.webhook_id) ?? []), delivery]);
  for (const [webhookId, queue] of byWebhook) {
    const chain = (async () => {
      for (const [i, delivery] of queue.entries()) {
        if (stopping()) {
          // Shutting down: what was claimed but not sent is handed back at once, not when the lease ends.
          await release(store, token, queue.slice(i).map((d) => d.id));
          return;
        }
        const outcome = await attempt(delivery, clock, settings);
        await settle(store, clock, settings, delivery, token, outcome).catch((error) =>
          log.warn({ err: error, deliveryId: delivery.id }, 'could not record a webhook attempt'),
        );
      }
    })()
      .catch((error) => log.warn({ err: error, webhookId }, 'webhook delivery chain failed'))
      .finally(() => busy.delete(webhookId));
    busy.set(webhookId, chain);
  }
}

async function release(store: Store, token: string, ids: string[]): Promise<void> {
  await store.write((trx) =>
    trx.updateTable('webhook_deliveries').set({ lease_until: null, lease_token: null }).where('id', 'in', ids).where('lease_token', '=', token).execute(),
  );
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One POST of the payload, signed the Standard Webhooks way, with a timeout and no redirects. */
async function attempt(delivery: Claimed, clock: Clock, settings: WebhookSettings): Promise<Outcome> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): Outcome => ({
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
  });
  try {
    await assertDeliverable(delivery.url, settings.allowPrivate);
    const sentAt = clock.now();
    const signature = new Webhook(delivery.secret).sign(delivery.event_id, sentAt, delivery.payload);
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tessera-Webhooks',
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: delivery.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return done(response.status, ok ? null : `answered ${response.status}`);
  } catch (error) {
    const message = (error as Error).name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : (error as Error).message;
    return done(null, message);
  }
}

/** The delay before retry number `attempts` (1 = the first retry): doubling, capped, ±20% jitter. */
export function retryDelay(attempts: number, baseMs: number): number {
  const plain = Math.min(baseMs * 2 ** Math.min(attempts - 1, 30), MAX_RETRY_DELAY_MS);
  return Math.round(plain * (0.8 + Math.random() * 0.4));
}

async function settle(store: Store, clock: Clock, settings: WebhookSettings, delivery: Claimed, token: string, outcome: Outcome): Promise<void> {
  const now = clock.now();
  const attempts = delivery.attempts + 1;
  const delivered = outcome.error === null;
  const nextAttempt = new Date(now.getTime() + retryDelay(attempts, settings.retryBaseMs));
  const givenUp = !delivered && nextAttempt.getTime() - Date.parse(delivery.created_at) > settings.maxAgeMs;
  await store.write(async (trx: Db) => {
    const settled = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: delivered ? 'DELIVERED' : givenUp ? 'FAILED' : 'PENDING',
        attempts,
        next_attempt_at: delivered || givenUp ? delivery.next_attempt_at : nextAttempt.toISOString(),
        lease_until: null,
        lease_token: null,
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        finished_at: delivered || givenUp ? now.toISOString() : null,
      })
      .where('program_id', '=', delivery.program_id)
      .where('id', '=', delivery.id)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    // The lease ran out and another instance took the delivery over: its attempt is the one on record.
    if (settled.numUpdatedRows === 0n) return;
    await trx
      .insertInto('webhook_attempts')
      .values({
        program_id: delivery.program_id,
        id: newId('attempt'),
        delivery_id: delivery.id,
        attempt: attempts,
        status_code: outcome.statusCode,
        duration_ms: outcome.durationMs,
        error: outcome.error,
        created_at: now.toISOString(),
      })
      .execute();
  });
}
