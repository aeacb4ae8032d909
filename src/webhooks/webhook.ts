import type { Tables } from '../db/tables.js';
import type { EventType } from '../events/event-types.js';

/** What a subscription looks like through the API; its secret is shown only when it is created. */
export interface WebhookView {
  id: string;
  url: string;
  eventTypes: EventType[];
  description: string | null;
  createdAt: string;
}

export const toWebhookView = (row: Tables['webhooks']): WebhookView => ({
  id: row.id,
  url: row.url,
  eventTypes: JSON.parse(row.event_types) as EventType[],
  description: row.description,
  createdAt: row.created_at,
});

export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The event type of the message `POST /v1/webhooks/{id}/test` sends. */
export const TEST_EVENT_TYPE = 'WEBHOOK_TEST';

/** Delivery timing and address rules, from configuration. */
export interface WebhookSettings {
  /** Let webhooks point at private and loopback addresses (tests, local development). */
  allowPrivate: boolean;
  /** How long one attempt may take. */
  timeoutMs: number;
  /** The first retry's delay; each further one doubles it (with jitter), up to an hour. */
  retryBaseMs: number;
  /** After this long since the event, a delivery that still fails is given up (FAILED). */
  maxAgeMs: number;
  /** How often an instance looks for events to fan out and deliveries that are due. */
  pollMs: number;
}
