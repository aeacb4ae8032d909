export const EVENT_TYPES = [
  'PURCHASED_REWARD',
  'REDEEMED_VOUCHER',
  'VOUCHER_GIVEN',
  'BURNED_VOUCHER',
  'VOUCHER_BURN_REVERSED',
  'VOUCHER_VOIDED',
  'PURCHASE_REFUNDED',
  'POINTS_ADJUSTED',
  'CODE_POOL_LOW',
  'CODE_POOL_EMPTY',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventView {
  id: string;
  type: EventType;
  occurredAt: string;
  userId: string | null;
  data: Record<string, unknown>;
}
