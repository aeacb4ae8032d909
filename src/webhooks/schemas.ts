import { Type } from 'typebox';
import { EVENT_TYPES } from '../events/event-types.js';
import { EXPECTS, Id, Nullable, Text, Timestamp } from '../http/schemas.js';
import { DELIVERY_STATUSES } from './webhook.js';

export const WebhookInput = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2000,
      pattern: '^[^\\u0000-\\u0020\\u007f]*$',
      description: 'http or https, without spaces or control characters',
      [EXPECTS]: 'an http or https URL without spaces or control characters',
    }),
    eventTypes: Type.Array(Type.Enum(EVENT_TYPES), { minItems: 1, maxItems: EVENT_TYPES.length, uniqueItems: true }),
    description: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  id: Id('webhook'),
  url: Type.String(),
  eventTypes: Type.Array(Type.Enum(EVENT_TYPES)),
  description: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const NewWebhook = Type.Object({
  ...Webhook.properties,
  secret: Nullable(Type.String({ description: 'The Standard Webhooks signing secret (whsec_…), shown only now; null on an idempotent replay' })),
});

export const Delivery = Type.Object({
  id: Id('delivery'),
  webhookId: Id('webhook'),
  eventId: Type.String(),
  eventType: Type.String(),
  status: Type.Enum(DELIVERY_STATUSES),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      statusCode: Nullable(Type.Integer()),
      durationMs: Type.Integer(),
      error: Nullable(Type.String()),
      at: Timestamp,
    }),
  ),
  nextAttemptAt: Nullable(Timestamp),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});

export const DeliveryParams = Type.Object({ id: Id('webhook'), deliveryId: Id('delivery') }, { additionalProperties: false });

export const TestSent = Type.Object({ eventId: Type.String({ description: 'The webhook-id the test message carries' }) });
