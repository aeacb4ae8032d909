import type { Tables } from '../db/tables.js';

export const LEDGER_KINDS = ['ADJUSTMENT', 'PURCHASE', 'REFUND'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface LedgerEntryView {
  id: string;
  userId: string;
  kind: LedgerKind;
  delta: number;
  balanceAfter: number;
  reason: string;
  createdAt: string;
}

export const toLedgerEntryView = (row: Tables['ledger_entries']): LedgerEntryView => ({
  id: row.id,
  userId: row.user_id,
  kind: row.kind as LedgerKind,
  delta: row.delta,
  balanceAfter: row.balance_after,
  reason: row.reason,
  createdAt: row.created_at,
});
