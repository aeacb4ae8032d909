import { DEFAULT_CODE_LENGTH, CODE_PLACEHOLDER } from '../codes/generate-code.js';
import { instantOf } from '../instant.js';
import type { CodeType, Incentive, RedemptionFlow, RewardSettings } from './reward.js';

/** A reward as a caller writes it: optional settings may be left out (or, when changing, set to null). */
export interface RewardInput {
  name?: string;
  description?: string | null;
  pricePoints?: number;
  codeType?: CodeType;
  codeFormat?: string;
  codeLength?: number;
  staticCode?: string | null;
  redemptionFlow?: RedemptionFlow;
  validityDays?: number | null;
  validUntil?: string | null;
  availableFrom?: string | null;
  availableUntil?: string | null;
  purchasable?: boolean;
  stock?: number | null;
  perUserLimit?: number | null;
  venues?: string[] | null;
  lowStockThreshold?: number | null;
  incentives?: Incentive[];
}

const DEFAULTS: Omit<RewardSettings, 'name' | 'pricePoints' | 'codeType'> = {
  description: null,
  codeFormat: CODE_PLACEHOLDER,
  codeLength: DEFAULT_CODE_LENGTH,
  staticCode: null,
  redemptionFlow: 'ONE_STEP',
  validityDays: null,
  validUntil: null,
  availableFrom: null,
  availableUntil: null,
  purchasable: true,
  stock: null,
  perUserLimit: null,
  venues: null,
  lowStockThreshold: null,
  incentives: [],
};

/** `base` with every setting the input gives laid over it; times are stored in one UTC form. */
export function applyInput(base: RewardSettings | null, input: RewardInput): RewardSettings {
  const start = base ?? ({ ...DEFAULTS, name: '', pricePoints: 0, codeType: 'ONE_TIME' } as RewardSettings);
  const merged: Record<string, unknown> = { ...start };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) merged[key] = value;
  }
  const settings = merged as unknown as RewardSettings;
  return {
    ...settings,
    validUntil: instantOf('validUntil', settings.validUntil),
    availableFrom: instantOf('availableFrom', settings.availableFrom),
    availableUntil: instantOf('availableUntil', settings.availableUntil),
  };
}

/** The names of the settings the caller actually sent. */
export const givenFields = (input: RewardInput): Set<string> =>
  new Set(Object.entries(input).filter(([, value]) => value !== undefined).map(([key]) => key));
