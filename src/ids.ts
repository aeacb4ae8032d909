import { randomBytes, randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

export const ID_PREFIXES = {
  program: 'prg',
  user: 'usr',
  reward: 'rwd',
  voucher: 'vch',
  purchase: 'pur',
  validation: 'val',
  event: 'evt',
  webhook: 'whk',
  delivery: 'whd',
  attempt: 'wha',
  apiKey: 'key',
  ledgerEntry: 'pnt',
  upload: 'upl',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// ULIDs draw their random part from the system CSPRNG, a block at a time: asking for a few bytes
// per id costs more than the rest of a request's id work together.
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function pooledRandom(): number {
  if (randomOffset + 4 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const value = randomPool.readUInt32BE(randomOffset);
  randomOffset += 4;
  return value / 0x1_0000_0000;
}

const ulid = monotonicFactory(pooledRandom);

/** A new opaque id with its type prefix; ids sort by creation time, which keyset pagination relies on. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid().toLowerCase()}`;
}

/** The regular expression an id of this kind matches, for request schemas. */
export function idPattern(kind: IdKind): string {
  return `^${ID_PREFIXES[kind]}_[0-9a-hjkmnp-tv-z]{26}$`;
}

/** A fresh secret for API keys and signing secrets: 192 random bits. */
export function newSecret(prefix: string, encoding: 'base64url' | 'base64' = 'base64url'): string {
  return `${prefix}_${randomBytes(24).toString(encoding)}`;
}
