import { Type } from 'typebox';
import { DEFAULT_CODE_LENGTH, MAX_CODE_LENGTH, MIN_CODE_LENGTH } from '../codes/generate-code.js';
import { Currency, EXPECTS, Id, MinorUnits, Nullable, Text, Timestamp } from '../http/schemas.js';
import { CODE_TYPES, INCENTIVE_TYPES, REDEMPTION_FLOWS, REWARD_STATUSES } from './reward.js';

const Amount = MinorUnits('Minor units of the currency', 1_000_000_000);

export const IncentiveInput = Type.Object(
  {
    type: Type.Enum(INCENTIVE_TYPES),
    value: Type.Integer({
      minimum: 0,
      maximum: 1_000_000_000,
      description: 'PERCENTAGE: 1–100; otherwise minor units',
      [EXPECTS]: 'a whole number: a percentage from 1 to 100 for PERCENTAGE, otherwise minor units (pence, cents)',
    }),
    currency: Type.Optional(Currency),
    productSku: Type.Optional(Text(64)),
    posSku: Type.Optional(Text(64)),
    minSpend: Type.Optional(Amount),
    maxDiscount: Type.Optional(Amount),
  },
  { additionalProperties: false },
);

export const Incentive = Type.Object({
  type: Type.Enum(INCENTIVE_TYPES),
  value: Type.Integer(),
  currency: Type.Optional(Type.String()),
  productSku: Type.Optional(Type.String()),
  posSku: Type.Optional(Type.String()),
  minSpend: Type.Optional(Type.Integer()),
  maxDiscount: Type.Optional(Type.Integer()),
});

const settings = {
  name: Text(200),
  description: Text(2000, 0),
  pricePoints: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  codeType: Type.Enum(CODE_TYPES),
  codeFormat: Text(128, 6),
  codeLength: Type.Integer({ minimum: MIN_CODE_LENGTH, maximum: MAX_CODE_LENGTH, description: `Default ${DEFAULT_CODE_LENGTH} (40 bits)` }),
  staticCode: Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]*[\\x21-\\x7e][\\x20-\\x7e]*$', [EXPECTS]: 'printable ASCII characters, not only spaces' }),
  redemptionFlow: Type.Enum(REDEMPTION_FLOWS),
  validityDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  validUntil: Type.String({ format: 'date-time' }),
  availableFrom: Type.String({ format: 'date-time' }),
  availableUntil: Type.String({ format: 'date-time' }),
  purchasable: Type.Boolean(),
  stock: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  perUserLimit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  venues: Type.Array(Text(100), { minItems: 1, maxItems: 200 }),
  lowStockThreshold: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  incentives: Type.Array(IncentiveInput, { maxItems: 20 }),
};

export const NewReward = Type.Object(
  {
    name: settings.name,
    description: Type.Optional(settings.description),
    pricePoints: settings.pricePoints,
    codeType: settings.codeType,
    codeFormat: Type.Optional(settings.codeFormat),
    codeLength: Type.Optional(settings.codeLength),
    staticCode: Type.Optional(settings.staticCode),
    redemptionFlow: Type.Optional(settings.redemptionFlow),
    validityDays: Type.Optional(settings.validityDays),
    validUntil: Type.Optional(settings.validUntil),
    availableFrom: Type.Optional(settings.availableFrom),
    availableUntil: Type.Optional(settings.availableUntil),
    purchasable: Type.Optional(settings.purchasable),
    stock: Type.Optional(settings.stock),
    perUserLimit: Type.Optional(settings.perUserLimit),
    venues: Type.Optional(settings.venues),
    lowStockThreshold: Type.Optional(settings.lowStockThreshold),
    incentives: settings.incentives,
  },
  { additionalProperties: false },
);

/** Any subset of the settings; optional ones can be cleared with null. The code type cannot change. */
export const RewardChanges = Type.Object(
  {
    name: Type.Optional(settings.name),
    description: Type.Optional(Nullable(settings.description)),
    pricePoints: Type.Optional(settings.pricePoints),
    codeType: Type.Optional(settings.codeType),
    codeFormat: Type.Optional(settings.codeFormat),
    codeLength: Type.Optional(settings.codeLength),
    staticCode: Type.Optional(settings.staticCode),
    redemptionFlow: Type.Optional(settings.redemptionFlow),
    validityDays: Type.Optional(Nullable(settings.validityDays)),
    validUntil: Type.Optional(Nullable(settings.validUntil)),
    availableFrom: Type.Optional(Nullable(settings.availableFrom)),
    availableUntil: Type.Optional(Nullable(settings.availableUntil)),
    purchasable: Type.Optional(settings.purchasable),
    stock: Type.Optional(Nullable(settings.stock)),
    perUserLimit: Type.Optional(Nullable(settings.perUserLimit)),
    venues: Type.Optional(Nullable(settings.venues)),
    lowStockThreshold: Type.Optional(Nullable(settings.lowStockThreshold)),
    incentives: Type.Optional(settings.incentives),
  },
  { additionalProperties: false },
);

export const Reward = Type.Object({
  id: Id('reward'),
  status: Type.Enum(REWARD_STATUSES),
  name: Type.String(),
  description: Nullable(Type.String()),
  pricePoints: Type.Integer(),
  codeType: Type.Enum(CODE_TYPES),
  codeFormat: Type.String(),
  codeLength: Type.Integer(),
  staticCode: Nullable(Type.String()),
  redemptionFlow: Type.Enum(REDEMPTION_FLOWS),
  validityDays: Nullable(Type.Integer()),
  validUntil: Nullable(Timestamp),
  availableFrom: Nullable(Timestamp),
  availableUntil: Nullable(Timestamp),
  purchasable: Type.Boolean(),
  stock: Nullable(Type.Integer({ description: 'Remaining; null is unlimited. For POOL, the unused codes.' })),
  perUserLimit: Nullable(Type.Integer()),
  venues: Nullable(Type.Array(Type.String())),
  lowStockThreshold: Nullable(Type.Integer()),
  incentives: Type.Array(Incentive),
  guessability: Nullable(
    Type.Object({
      bitsPerCode: Type.Integer(),
      liveCodes: Type.Integer(),
      expectedGuessesPerHit: Nullable(Type.Number({ description: 'Random guesses per hit of a live code, on average' })),
    }),
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
