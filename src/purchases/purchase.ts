import type { Tables } from '../db/tables.js';

export interface PurchaseView {
  id: string;
  userId: string;
  rewardId: string;
  voucherId: string;
  pricePoints: number;
  status: 'COMPLETED' | 'REFUNDED';
  createdAt: string;
  refundedAt: string | null;
}

export const toPurchaseView = (row: Tables['purchases']): PurchaseView => ({
  id: row.id,
  userId: row.user_id,
  rewardId: row.reward_id,
  voucherId: row.voucher_id,
  pricePoints: row.price_points,
  status: row.status as PurchaseView['status'],
  createdAt: row.created_at,
  refundedAt: row.refunded_at,
});
