import { Type } from 'typebox';
import { CodeText, Currency, Id, MinorUnits, Nullable, Text, Timestamp } from '../http/schemas.js';
import { Incentive } from '../rewards/schemas.js';
import { Voucher } from '../vouchers/schemas.js';
import { VALIDATION_REASONS } from './validation.js';


export const BasketInput = Type.Object(
  {
    currency: Currency,
    total: MinorUnits('What the basket costs before this voucher, in minor units', 1e15),
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sku: Text(100),
            quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
            unitPrice: MinorUnits('Minor units', 1e9),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ValidationInput = Type.Object(
  {
    code: CodeText(128),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Check only: change nothing, record nothing' })),
    venue: Type.Optional(Text(100)),
    userId: Type.Optional(Text(200, 1)),
    reference: Type.Optional(Text(200)),
    basket: Type.Optional(BasketInput),
  },
  { additionalProperties: false },
);

const Discount = Type.Object({
  currency: Type.String(),
  amount: Type.Integer(),
  lines: Type.Array(Type.Object({ sku: Type.String(), amount: Type.Integer() })),
});

export const ValidationAnswer = Type.Object({
  valid: Type.Boolean(),
  reason: Nullable(Type.Enum(VALIDATION_REASONS)),
  burned: Type.Boolean(),
  replayed: Type.Boolean({ description: 'A retry of an earlier burn with the same reference: its original answer' }),
  validation: Nullable(Type.Object({ id: Id('validation'), createdAt: Timestamp }, { description: 'null for a dry run' })),
  voucher: Type.Optional(Voucher),
  reward: Type.Optional(Type.Object({ id: Id('reward'), name: Type.String() })),
  incentives: Type.Array(Incentive),
  discount: Type.Optional(Discount),
  burn: Type.Optional(
    Type.Object(
      { at: Timestamp, venue: Nullable(Type.String()), reference: Nullable(Type.String()) },
      { description: 'With ALREADY_BURNED: when, where and under which reference the voucher was burned' },
    ),
  ),
});

export const Validation = Type.Object({
  id: Id('validation'),
  voucherId: Nullable(Type.String()),
  code: Type.String({ description: 'As the till sent it' }),
  valid: Type.Boolean(),
  reason: Nullable(Type.Enum(VALIDATION_REASONS)),
  burned: Type.Boolean(),
  venue: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  keyId: Type.String(),
  discount: Nullable(Discount),
  reversedAt: Nullable(Timestamp),
  reversalReason: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const VoucherWithValidations = Type.Object({
  ...Voucher.properties,
  validations: Type.Array(Validation, { description: 'Its most recent validations (up to 100), oldest first' }),
});

export const Reversal = Type.Object({ validation: Validation, voucher: Voucher });
