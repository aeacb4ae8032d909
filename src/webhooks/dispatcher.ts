import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { ExpressionBuilder } from 'kysely';
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
import { checkedLookup, urlProblem } from './url-policy.js';
import type { WebhookSettings } from './webhook.js';

const FAN_OUT_PAGE = 200;
const CLAIM_BATCH = 20;
const WEBHOOKS_PER_CLAIM = 20;
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
  const shutdown = new AbortController();
  // Each webhook's deliveries are sent by one chain at a time; a slow receiver holds only its own.
  const busy = new Map<string, Promise<void>>();
  let running: Promise<void> | null = null;
  const run = async () => {
    try {
      await fanOut(store, clock, log);
      await sendDue({ store, clock, settings, log, busy, shutdown: shutdown.signal });
    } catch (error) {
      log.warn({ err: error }, 'webhook dispatch failed; retrying on the next tick');
    }
  };
  const timer = setInterval(() => {
    // A tick still running (a slow fan-out) is not queued behind: the next one simply comes later.
    if (running !== null || shutdown.signal.aborted) return;
    running = run().finally(() => (running = null));
  }, settings.pollMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // Sends in flight finish and are recorded; what each chain has not sent yet is handed back.
      shutdown.abort();
      await running;
      await Promise.all(busy.values());
    },
  };
}

/** Turns each webhook's new events of its types into deliveries. */
async function fanOut(store: Store, clock: Clock, log: Logger): Promise<void> {
  const webhooks = await store.db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null).execute();
  for (const webhook of webhooks) {
    await fanOutTo(store, clock, webhook).catch((error) => log.warn({ err: error, webhookId: webhook.id }, 'webhook fan-out failed'));
  }
}

async function fanOutTo(store: Store, clock: Clock, webhook: Tables['webhooks']): Promise<void> {
  const after: EventPosition = [webhook.after_tx_order, webhook.after_seq];
  const page = await listEvents(store.db, webhook.program_id, { limit: FAN_OUT_PAGE, after });
  if (page.data.length === 0) return;
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
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    // Another instance fanned this page out first, or the webhook was deleted meanwhile.
    if (moved.numUpdatedRows === 0n) return;
    for (const event of page.data) {
      if (!types.has(event.type)) continue;
      await queueDelivery(trx, now, webhook, { id: event.id, type: event.type, payload: JSON.stringify(event) });
    }
  });
}

type Claimed = Tables['webhook_deliveries'] & { url: string; secret: string };

interface Context {
  store: Store;
  clock: Clock;
  settings: WebhookSettings;
  log: Logger;
  busy: Map<string, Promise<void>>;
  shutdown: AbortSignal;
}

/** How long a claim holds: one attempt (bounded by the timeout), its record, and a margin. */
const leaseUntil = ({ clock, settings }: Context) => new Date(clock.now().getTime() + 2 * settings.timeoutMs + 1000).toISOString();

/** The pending deliveries of the webhook `w` of the enclosing query. */
const pendingOf = (eb: ExpressionBuilder<{ w: Tables['webhooks']; webhook_deliveries: Tables['webhook_deliveries'] }, 'w'>) =>
  eb
    .selectFrom('webhook_deliveries as d')
    .select('d.id')
    .whereRef('d.program_id', '=', 'w.program_id')
    .whereRef('d.webhook_id', '=', 'w.id')
    .where('d.status', '=', 'PENDING');

/**
 * Leases due deliveries to this instance, a whole webhook at a time: a webhook is claimed only while
 * no instance holds a lease on any of its deliveries (on PostgreSQL the webhook row is locked for the
 * claim, and rows another instance is claiming are skipped), so one instance at a time sends to a
 * receiver, in the order of the events.
 */
async function claimDue(context: Context, token: string): Promise<Claimed[]> {
  const { store, clock, busy } = context;
  const now = clock.now().toISOString();
  const until = leaseUntil(context);
  return store.write(async (trx) => {
    let hooks = trx
      .selectFrom('webhooks as w')
      .select(['w.program_id', 'w.id'])
      .where('w.deleted_at', 'is', null)
      // It has something due, and nothing of it is leased right now.
      .where((eb) => eb.exists(pendingOf(eb).where('d.next_attempt_at', '<=', now)))
      .where((eb) => eb.not(eb.exists(pendingOf(eb).where('d.lease_until', '>=', now))))
      .orderBy('w.id')
      .limit(WEBHOOKS_PER_CLAIM);
    if (busy.size > 0) hooks = hooks.where('w.id', 'not in', [...busy.keys()]);
    if (engineOf(trx) === 'postgres') hooks = hooks.forUpdate().skipLocked();
    const unleased = (eb: ExpressionBuilder<{ webhook_deliveries: Tables['webhook_deliveries'] }, 'webhook_deliveries'>) =>
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]);
    for (const hook of await hooks.execute()) {
      let due = trx
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('program_id', '=', hook.program_id)
        .where('webhook_id', '=', hook.id)
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', now)
        .where(unleased)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(CLAIM_BATCH);
      if (engineOf(trx) === 'postgres') due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((d) => d.id);
      if (ids.length === 0) continue;
      // Guarded again row by row: a lease another instance took since this statement's snapshot
      // (PostgreSQL re-reads the row before updating it) is not taken over.
      await trx
        .updateTable('webhook_deliveries')
        .set({ lease_until: until, lease_token: token })
        .where('program_id', '=', hook.program_id)
        .where('id', 'in', ids)
        .where(unleased)
        .execute();
    }
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
 * Before each send: extends the lease on everything this claim still holds, and answers which
 * deliveries it still holds. One deleted, settled elsewhere or taken over by another instance is
 * not sent.
 */
async function renew(context: Context, token: string): Promise<Set<string>> {
  const rows = await context.store.write((trx) =>
    trx
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil(context) })
      .where('lease_token', '=', token)
      .where('status', '=', 'PENDING')
      .returning('id')
      .execute(),
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Claims what is due for the webhooks this instance is not already sending to, and starts one chain
 * per webhook: its deliveries go out one after another, in the order of their events.
 */
async function sendDue(context: Context): Promise<void> {
  const { store, clock, settings, log, busy, shutdown } = context;
  // A plain read first: most ticks find nothing due, and need no write transaction to learn it.
  const anythingDue = await store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'PENDING')
    .where('next_attempt_at', '<=', clock.now().toISOString())
    .limit(1)
    .executeTakeFirst();
  if (anythingDue === undefined) return;
  const token = randomUUID();
  const claimed = await claimDue(context, token);
  const byWebhook = new Map<string, Claimed[]>();
  for (const delivery of claimed) {
    const queue = byWebhook.get(delivery.webhook_id);
    if (queue) queue.push(delivery);
    else byWebhook.set(delivery.webhook_id, [delivery]);
  }
  for (const [webhookId, queue] of byWebhook) {
    const chain = (async () => {
      for (const [i, delivery] of queue.entries()) {
        if (shutdown.aborted) {
          // Shutting down: what was claimed but not sent is handed back at once, not when the lease ends.
          await release(store, token, queue.slice(i).map((d) => d.id));
          return;
        }
        if (!(await renew(context, token)).has(delivery.id)) continue;
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
  // The whole attempt, the address lookup included, ends within the timeout; a shutdown lets it finish.
  const signal = AbortSignal.timeout(settings.timeoutMs);
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): Outcome => ({
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
  });
  try {
    const sentAt = clock.now();
    const signature = new Webhook(delivery.secret).sign(delivery.event_id, sentAt, delivery.payload);
    const statusCode = await post(delivery.url, delivery.payload, {
      'content-type': 'application/json',
      'user-agent': 'Tessera-Webhooks',
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signature,
    }, settings.allowPrivate, signal);
    const ok = statusCode >= 200 && statusCode < 300;
    return done(statusCode, ok ? null : `answered ${statusCode}`);
  } catch (error) {
    const message = signal.aborted ? `no answer within ${settings.timeoutMs} ms` : (error as Error).message;
    return done(null, message);
  }
}

/**
 * One POST with Node's own client, which follows no redirects. The address is checked as the
 * connection is made (the lookup it uses is `checkedLookup`), so a name cannot resolve to a public
 * address for the check and a private one for the connection.
 */
function post(url: string, body: string, headers: Record<string, string>, allowPrivate: boolean, signal: AbortSignal): Promise<number> {
  const problem = urlProblem(url, allowPrivate);
  if (problem) return Promise.reject(new Error(`the URL ${problem}`));
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal, lookup: checkedLookup(allowPrivate), agent: false },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
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
