import type { Tables } from '../db/tables.js';
import type { Discount } from './discount.js';

export const VALIDATION_REASONS = [
  'NOT_FOUND',
  'ALREADY_BURNED',
  'EXPIRED',
  'VOIDED',
  'NOT_REVEALED',
  'WRONG_VENUE',
  'WRONG_USER',
  'MIN_SPEND_NOT_MET',
] as const;
export type ValidationReason = (typeof VALIDATION_REASONS)[number];

/** One recorded validation, as listed on its voucher. */
export interface ValidationView {
  id: string;
  voucherId: string | null;
  code: string;
  valid: boolean;
  reason: ValidationReason | null;
  burned: boolean;
  venue: string | null;
  reference: string | null;
  keyId: string;
  discount: Discount | null;
  reversedAt: string | null;
  reversalReason: string | null;
  createdAt: string;
}

export const toValidationView = (row: Tables['validations']): ValidationView => ({
  id: row.id,
  voucherId: row.voucher_id,
  code: row.code,
  valid: row.valid === 1,
  reason: row.reason as ValidationReason | null,
  burned: row.burned === 1,
  venue: row.venue,
  reference: row.reference,
  keyId: row.key_id,
  discount: row.discount === null ? null : (JSON.parse(row.discount) as Discount),
  reversedAt: row.reversed_at,
  reversalReason: row.reversal_reason,
  createdAt: row.created_at,
});
