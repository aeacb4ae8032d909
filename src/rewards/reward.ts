import type { Tables } from '../db/tables.js';
import { type Guessability } from '../codes/guessability.js';

export const CODE_TYPES = ['ONE_TIME', 'POOL', 'STATIC'] as const;
export type CodeType = (typeof CODE_TYPES)[number];
export const REDEMPTION_FLOWS = ['ONE_STEP', 'TWO_STEP'] as const;
export type RedemptionFlow = (typeof REDEMPTION_FLOWS)[number];
export const INCENTIVE_TYPES = ['PERCENTAGE', 'AMOUNT_OFF', 'PRICE_OVERRIDE'] as const;
export type IncentiveType = (typeof INCENTIVE_TYPES)[number];
export const REWARD_STATUSES = ['ACTIVE', 'ARCHIVED'] as const;
export type RewardStatus = (typeof REWARD_STATUSES)[number];

export interface Incentive {
  type: IncentiveType;
  /** PERCENTAGE: 1–100; AMOUNT_OFF and PRICE_OVERRIDE: minor units of `currency`. */
  value: number;
  currency?: string;
  productSku?: string;
  posSku?: string;
  minSpend?: number;
  maxDiscount?: number;
}

/** Every setting of a reward, as the API speaks of it. Optional settings are null when unset. */
export interface RewardSettings {
  name: string;
  description: string | null;
  pricePoints: number;
  codeType: CodeType;
  codeFormat: string;
  codeLength: number;
  staticCode: string | null;
  redemptionFlow: RedemptionFlow;
  validityDays: number | null;
  validUntil: string | null;
  availableFrom: string | null;
  availableUntil: string | null;
  purchasable: boolean;
  stock: number | null;
  perUserLimit: number | null;
  venues: string[] | null;
  lowStockThreshold: number | null;
  incentives: Incentive[];
}

export interface RewardView extends RewardSettings {
  id: string;
  status: RewardStatus;
  /** ONE_TIME rewards only: how guessable its codes are. */
  guessability: Guessability | null;
  createdAt: string;
  updatedAt: string;
}

export function settingsOf(row: Tables['rewards']): RewardSettings {
  return {
    name: row.name,
    description: row.description,
    pricePoints: row.price_points,
    codeType: row.code_type as CodeType,
    codeFormat: row.code_format,
    codeLength: row.code_length,
    staticCode: row.static_code,
    redemptionFlow: row.redemption_flow as RedemptionFlow,
    validityDays: row.validity_days,
    validUntil: row.valid_until,
    availableFrom: row.available_from,
    availableUntil: row.available_until,
    purchasable: row.purchasable === 1,
    stock: row.stock,
    perUserLimit: row.per_user_limit,
    venues: row.venues === null ? null : (JSON.parse(row.venues) as string[]),
    lowStockThreshold: row.low_stock_threshold,
    incentives: JSON.parse(row.incentives) as Incentive[],
  };
}

/** Which column holds each setting. */
export const SETTING_COLUMNS = {
  name: 'name',
  description: 'description',
  pricePoints: 'price_points',
  codeType: 'code_type',
  codeFormat: 'code_format',
  codeLength: 'code_length',
  staticCode: 'static_code',
  redemptionFlow: 'redemption_flow',
  validityDays: 'validity_days',
  validUntil: 'valid_until',
  availableFrom: 'available_from',
  availableUntil: 'available_until',
  purchasable: 'purchasable',
  stock: 'stock',
  perUserLimit: 'per_user_limit',
  venues: 'venues',
  lowStockThreshold: 'low_stock_threshold',
  incentives: 'incentives',
} as const satisfies Record<keyof RewardSettings, string>;

/** The columns that hold a reward's settings. */
export function columnsOf(settings: RewardSettings) {
  return {
    name: settings.name,
    description: settings.description,
    price_points: settings.pricePoints,
    code_type: settings.codeType,
    code_format: settings.codeFormat,
    code_length: settings.codeLength,
    static_code: settings.staticCode,
    redemption_flow: settings.redemptionFlow,
    validity_days: settings.validityDays,
    valid_until: settings.validUntil,
    available_from: settings.availableFrom,
    available_until: settings.availableUntil,
    purchasable: settings.purchasable ? 1 : 0,
    stock: settings.stock,
    per_user_limit: settings.perUserLimit,
    venues: settings.venues === null ? null : JSON.stringify(settings.venues),
    low_stock_threshold: settings.lowStockThreshold,
    incentives: JSON.stringify(settings.incentives),
  };
}
