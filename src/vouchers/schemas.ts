import { Type } from 'typebox';
import { Id, Nullable, Text, Timestamp } from '../http/schemas.js';
import { VOUCHER_STATUSES } from './voucher.js';

export const Voucher = Type.Object({
  id: Id('voucher'),
  userId: Id('user'),
  rewardId: Id('reward'),
  purchaseId: Nullable(Type.String()),
  status: Type.Enum(VOUCHER_STATUSES),
  code: Nullable(Type.String({ description: 'Present once the voucher is ACTIVE' })),
  activatedAt: Nullable(Timestamp),
  expiresAt: Nullable(Timestamp),
  burnedAt: Nullable(Timestamp),
  voidedAt: Nullable(Timestamp),
  createdAt: Timestamp,
});

export const Reason = Type.Object({ reason: Type.Optional(Text(500)) }, { additionalProperties: false });
