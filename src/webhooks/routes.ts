import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { Empty, IdParams, IdempotencyHeaders, NoBody, Page, PageQuery, responses } from '../http/schemas.js';
import { listDeliveries, retryDelivery, sendTestEvent } from './deliveries.js';
import { createWebhook, deleteWebhook, listWebhooks, loadWebhook } from './manage-webhooks.js';
import { Delivery, DeliveryParams, NewWebhook, TestSent, Webhook, WebhookInput } from './schemas.js';
import { toWebhookView } from './webhook.js';

const tags = ['webhooks'];
const admin = ['admin'] as const;
const ListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export function registerWebhookRoutes(app: Api, { clock, store, write, webhooks }: Deps): void {
  app.post(
    '/v1/webhooks',
    {
      config: { roles: admin },
      schema: {
        tags,
        summary: 'Subscribe a URL to event types; the signing secret is shown once',
        headers: IdempotencyHeaders,
        body: WebhookInput,
        response: responses({ 201: NewWebhook }),
      },
    },
    (request, reply) =>
      write(request, reply, 201, (trx) => createWebhook(trx, clock, request.caller.programId, request.body, webhooks.allowPrivate), {
        replayable: (created) => ({ ...created, secret: null }),
      }),
  );

  app.get(
    '/v1/webhooks',
    { config: { roles: admin }, schema: { tags, summary: 'The live subscriptions', querystring: ListQuery, response: responses({ 200: Page(Webhook) }) } },
    async (request) => listWebhooks(store.db, request.caller.programId, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/v1/webhooks/:id',
    { config: { roles: admin }, schema: { tags, summary: 'One subscription', params: IdParams('webhook'), response: responses({ 200: Webhook }) } },
    async (request) => toWebhookView(await loadWebhook(store.db, request.caller.programId, request.params.id)),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { roles: admin },
      schema: { tags, summary: 'End a subscription; its pending deliveries are dropped', params: IdParams('webhook'), headers: IdempotencyHeaders, body: NoBody, response: responses({ 204: Empty }) },
    },
    (request, reply) => write(request, reply, 204, (trx) => deleteWebhook(trx, clock, request.caller.programId, request.params.id)),
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: { roles: admin },
      schema: { tags, summary: 'Send a WEBHOOK_TEST message through the normal delivery path', params: IdParams('webhook'), headers: IdempotencyHeaders, body: NoBody, response: responses({ 202: TestSent }) },
    },
    (request, reply) => write(request, reply, 202, (trx) => sendTestEvent(trx, clock, request.caller.programId, request.params.id)),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { roles: admin },
      schema: { tags, summary: 'Deliveries, newest first, with every attempt', params: IdParams('webhook'), querystring: ListQuery, response: responses({ 200: Page(Delivery) }) },
    },
    async (request) =>
      listDeliveries(store.db, request.caller.programId, request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/retry',
    {
      config: { roles: admin },
      schema: { tags, summary: 'Send a FAILED delivery again', params: DeliveryParams, headers: IdempotencyHeaders, body: NoBody, response: responses({ 202: Empty }) },
    },
    (request, reply) =>
      write(request, reply, 202, (trx) => retryDelivery(trx, clock, request.caller.programId, request.params.id, request.params.deliveryId)),
  );
}
