import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as rewardsAndVouchers from './0002-rewards-and-vouchers.js';
import * as validations from './0003-validations.js';
import * as webhooks from './0004-webhooks.js';
import * as codePools from './0005-code-pools.js';
import * as scale from './0006-scale.js';
import * as tallyTiers from './0007-tally-tiers.js';
import * as vouchersByExpiry from './0008-vouchers-by-expiry.js';
import * as codesWithoutSeparators from './0009-codes-without-separators.js';
import * as keyExpiryAndUse from './0010-key-expiry-and-use.js';

/** Every migration, in order. Names are permanent once released. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-rewards-and-vouchers': rewardsAndVouchers,
  '0003-validations': validations,
  '0004-webhooks': webhooks,
  '0005-code-pools': codePools,
  '0006-scale': scale,
  '0007-tally-tiers': tallyTiers,
  '0008-vouchers-by-expiry': vouchersByExpiry,
  '0009-codes-without-separators': codesWithoutSeparators,
  '0010-key-expiry-and-use': keyExpiryAndUse,
};
