import type { Incentive, Reward, RewardChanges, RewardInput } from '../../api/client';
import { moneyText } from '../../format/money';
import { fromLocalInput, toLocalInput } from '../../format/time';
import { typedMoney as money, typedWhole as whole } from '../../format/typed-number';

type CodeType = RewardInput['codeType'];
type IncentiveType = Incentive['type'];

/** An incentive as its form holds it: amounts as typed, in the currency's major unit. */
export interface IncentiveDraft {
  type: IncentiveType;
  value: string;
  currency: string;
  productSku: string;
  posSku: string;
  minSpend: string;
  maxDiscount: string;
}

/** The reward form's fields, as typed. */
export interface RewardDraft {
  name: string;
  description: string;
  pricePoints: string;
  codeType: CodeType;
  codeFormat: string;
  codeLength: string;
  staticCode: string;
  redemptionFlow: NonNullable<RewardInput['redemptionFlow']>;
  validityDays: string;
  validUntil: string;
  availableFrom: string;
  availableUntil: string;
  purchasable: boolean;
  stock: string;
  perUserLimit: string;
  venues: string;
  lowStockThreshold: string;
  incentives: IncentiveDraft[];
}

export const NEW_INCENTIVE: IncentiveDraft = { type: 'PERCENTAGE', value: '', currency: '', productSku: '', posSku: '', minSpend: '', maxDiscount: '' };

export const NEW_REWARD: RewardDraft = {
  name: '',
  description: '',
  pricePoints: '',
  codeType: 'ONE_TIME',
  codeFormat: '{code}',
  codeLength: '8',
  staticCode: '',
  redemptionFlow: 'ONE_STEP',
  validityDays: '',
  validUntil: '',
  availableFrom: '',
  availableUntil: '',
  purchasable: true,
  stock: '',
  perUserLimit: '',
  venues: '',
  lowStockThreshold: '',
  incentives: [],
};

const text = (value: number | null | undefined) => (value === null || value === undefined ? '' : String(value));

/** Whether an incentive's value is money (else a percentage). */
export function isMoney(type: IncentiveType): boolean {
  return type !== 'PERCENTAGE';
}

export function draftOf(reward: Reward): RewardDraft {
  return {
    name: reward.name,
    description: reward.description ?? '',
    pricePoints: String(reward.pricePoints),
    codeType: reward.codeType,
    codeFormat: reward.codeFormat,
    codeLength: String(reward.codeLength),
    staticCode: reward.staticCode ?? '',
    redemptionFlow: reward.redemptionFlow,
    validityDays: text(reward.validityDays),
    validUntil: toLocalInput(reward.validUntil),
    availableFrom: toLocalInput(reward.availableFrom),
    availableUntil: toLocalInput(reward.availableUntil),
    purchasable: reward.purchasable,
    stock: text(reward.stock),
    perUserLimit: text(reward.perUserLimit),
    venues: (reward.venues ?? []).join(', '),
    lowStockThreshold: text(reward.lowStockThreshold),
    incentives: reward.incentives.map((incentive) => {
      const currency = incentive.currency ?? '';
      const money = (minor: number | undefined) => (minor === undefined ? '' : moneyText(minor, currency || 'GBP'));
      return {
        type: incentive.type,
        value: isMoney(incentive.type) ? money(incentive.value) : String(incentive.value),
        currency,
        productSku: incentive.productSku ?? '',
        posSku: incentive.posSku ?? '',
        minSpend: money(incentive.minSpend),
        maxDiscount: money(incentive.maxDiscount),
      };
    }),
  };
}

function optionalText(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function incentiveBody(draft: IncentiveDraft): Record<string, unknown> {
  const currency = optionalText(draft.currency)?.toUpperCase();
  return {
    type: draft.type,
    value: isMoney(draft.type) ? money(draft.value, currency ?? '') : whole(draft.value),
    currency,
    productSku: optionalText(draft.productSku),
    posSku: optionalText(draft.posSku),
    minSpend: money(draft.minSpend, currency ?? ''),
    maxDiscount: money(draft.maxDiscount, currency ?? ''),
  };
}

/** Every setting the draft gives, shaped as the API takes it; settings left empty are undefined. */
function settings(draft: RewardDraft): Record<string, unknown> {
  const oneTime = draft.codeType === 'ONE_TIME';
  const venues = draft.venues
    .split(/[,\n]/)
    .map((venue) => venue.trim())
    .filter(Boolean);
  return {
    name: draft.name.trim(),
    description: optionalText(draft.description),
    pricePoints: whole(draft.pricePoints),
    codeFormat: oneTime ? draft.codeFormat : undefined,
    codeLength: oneTime ? whole(draft.codeLength) : undefined,
    staticCode: draft.codeType === 'STATIC' ? optionalText(draft.staticCode) : undefined,
    redemptionFlow: draft.redemptionFlow,
    validityDays: whole(draft.validityDays),
    validUntil: fromLocalInput(draft.validUntil),
    availableFrom: fromLocalInput(draft.availableFrom),
    availableUntil: fromLocalInput(draft.availableUntil),
    purchasable: draft.purchasable,
    stock: draft.codeType === 'POOL' ? undefined : whole(draft.stock),
    perUserLimit: whole(draft.perUserLimit),
    venues: venues.length > 0 ? venues : undefined,
    lowStockThreshold: draft.codeType === 'POOL' ? whole(draft.lowStockThreshold) : undefined,
    incentives: draft.incentives.map(incentiveBody),
  };
}

/** JSON drops undefined members, as the API should never see them. */
function clean<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function createBody(draft: RewardDraft): RewardInput {
  return clean<RewardInput>({ ...settings(draft), codeType: draft.codeType });
}

/** Only what changed since `original` (PATCH writes only what it is sent); a cleared setting is null. */
export function changesBody(original: RewardDraft, draft: RewardDraft): RewardChanges {
  const before = settings(original);
  const after = settings(draft);
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(after)) {
    if (JSON.stringify(clean(value ?? null)) === JSON.stringify(clean(before[field] ?? null))) continue;
    changes[field] = value === undefined ? null : value;
  }
  return clean<RewardChanges>(changes);
}
