import type { Tables } from '../db/tables.js';

/** What is stored; EXPIRED is never stored, it is read off the clock. */
export const STORED_STATUSES = ['PURCHASED', 'ACTIVE', 'BURNED', 'VOIDED'] as const;
export const VOUCHER_STATUSES = ['PURCHASED', 'ACTIVE', 'BURNED', 'EXPIRED', 'VOIDED'] as const;
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

export interface VoucherView {
  id: string;
  userId: string;
  rewardId: string;
  purchaseId: string | null;
  status: VoucherStatus;
  /** Present once the voucher is ACTIVE (or later). */
  code: string | null;
  activatedAt: string | null;
  expiresAt: string | null;
  burnedAt: string | null;
  voidedAt: string | null;
  createdAt: string;
}

/** The status as everyone sees it: an ACTIVE voucher past its expiry is EXPIRED. */
export function effectiveStatus(row: Pick<Tables['vouchers'], 'status' | 'expires_at'>, now: string): VoucherStatus {
  if (row.status === 'ACTIVE' && row.expires_at !== null && row.expires_at <= now) return 'EXPIRED';
  return row.status as VoucherStatus;
}

/** The columns a voucher's view is made of. */
export const VOUCHER_VIEW_COLUMNS = [
  'id', 'user_id', 'reward_id', 'purchase_id', 'status', 'code', 'activated_at', 'expires_at', 'burned_at', 'voided_at', 'created_at',
] as const satisfies readonly (keyof Tables['vouchers'])[];

export const toVoucherView = (row: Pick<Tables['vouchers'], (typeof VOUCHER_VIEW_COLUMNS)[number]>, now: string): VoucherView => ({
  id: row.id,
  userId: row.user_id,
  rewardId: row.reward_id,
  purchaseId: row.purchase_id,
  status: effectiveStatus(row, now),
  code: row.code,
  activatedAt: row.activated_at,
  expiresAt: row.expires_at,
  burnedAt: row.burned_at,
  voidedAt: row.voided_at,
  createdAt: row.created_at,
});

/** When a voucher activated at `activatedAt` stops being valid by the reward's validityDays alone. */
export function validityEnd(reward: Pick<Tables['rewards'], 'validity_days'>, activatedAt: Date): string | null {
  return reward.validity_days === null ? null : new Date(activatedAt.getTime() + reward.validity_days * 86_400_000).toISOString();
}

/** Whether the reward's validUntil has passed: its vouchers are expired, and no new one may start. */
export const vouchersExpired = (reward: Pick<Tables['rewards'], 'valid_until'>, now: string): boolean =>
  reward.valid_until !== null && now >= reward.valid_until;

/** The earlier of two optional instants (ISO text compares as time). */
export function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}
