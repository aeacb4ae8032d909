import { CODE_PLACEHOLDER } from '../codes/generate-code.js';
import { normalizeCode } from '../codes/normalize-code.js';
import { type FieldError, fieldError, validationFailed } from '../errors.js';
import type { RewardSettings } from './reward.js';

/** Longest code a till may send; a generated code must fit in it. */
export const MAX_CODE_CHARS = 128;

const NO_SYMBOLS = 'is nothing but separators (spaces, dashes, dots, underscores, slashes), which codes are compared without: nothing would be left';

/**
 * The rules that involve more than one field, checked on the whole reward after a create or a
 * change. Throws VALIDATION_FAILED naming every field at fault.
 */
export function checkRewardRules(reward: RewardSettings, given: ReadonlySet<string>): void {
  const errors: FieldError[] = [];
  const fail = (path: string, predicate: string) => errors.push(fieldError(`/body/${path}`, predicate));

  if (reward.codeType === 'ONE_TIME') {
    const placeholders = reward.codeFormat.split(CODE_PLACEHOLDER).length - 1;
    if (placeholders !== 1) fail('codeFormat', `must contain ${CODE_PLACEHOLDER} exactly once`);
    else if (reward.codeFormat.length - CODE_PLACEHOLDER.length + reward.codeLength > MAX_CODE_CHARS) {
      fail('codeFormat', `with codeLength it makes codes longer than ${MAX_CODE_CHARS} characters`);
    }
  } else {
    if (given.has('codeFormat')) fail('codeFormat', 'applies only to ONE_TIME rewards');
    if (given.has('codeLength')) fail('codeLength', 'applies only to ONE_TIME rewards');
  }
  if (reward.codeType === 'STATIC') {
    if (reward.staticCode === null) fail('staticCode', 'is required for a STATIC reward');
    else if (normalizeCode(reward.staticCode) === '') fail('staticCode', NO_SYMBOLS);
  } else if (reward.staticCode !== null) {
    fail('staticCode', 'applies only to STATIC rewards');
  }
  if (reward.codeType === 'POOL') {
    // Judged on what was sent: a stored POOL reward's stock is its count of unsold codes.
    if (given.has('stock') && reward.stock !== null) fail('stock', 'does not apply to a POOL reward: the pool is the stock');
  } else if (reward.lowStockThreshold !== null) {
    fail('lowStockThreshold', 'applies only to POOL rewards');
  }
  if (reward.availableFrom !== null && reward.availableUntil !== null && reward.availableUntil <= reward.availableFrom) {
    fail('availableUntil', 'must be after availableFrom');
  }
  reward.incentives.forEach((incentive, i) => {
    if (incentive.type === 'PERCENTAGE') {
      if (incentive.value < 1 || incentive.value > 100) fail(`incentives/${i}/value`, 'must be a percentage from 1 to 100');
    } else if (incentive.currency === undefined) {
      fail(`incentives/${i}/currency`, `is required for ${incentive.type}`);
    }
    if ((incentive.minSpend !== undefined || incentive.maxDiscount !== undefined) && incentive.currency === undefined) {
      fail(`incentives/${i}/currency`, 'is required with minSpend or maxDiscount');
    }
  });

  if (errors.length > 0) {
    throw validationFailed(errors);
  }
}
