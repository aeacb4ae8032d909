import { randomFillSync } from 'node:crypto';

/** Crockford's base 32: digits and letters without I, L, O and U. Exactly 32 symbols, 5 bits each. */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BITS_PER_SYMBOL = 5;
export const CODE_PLACEHOLDER = '{code}';
export const MIN_CODE_LENGTH = 6;
export const MAX_CODE_LENGTH = 32;
/** 8 symbols: 40 bits. */
export const DEFAULT_CODE_LENGTH = 8;

// Random bytes are drawn from the system CSPRNG a block at a time; with exactly 32 symbols, the low
// five bits of a byte pick one uniformly, so no byte is ever rejected.
const pool = Buffer.alloc(8192);
let offset = pool.length;

function randomSymbols(length: number): string {
  if (offset + length > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[pool[offset + i]! & 31];
  offset += length;
  return out;
}

/** A fresh random code of `length` symbols wrapped in `format` (which holds `{code}` once). */
export function generateCode(format: string, length: number): string {
  return format.replace(CODE_PLACEHOLDER, randomSymbols(length));
}
