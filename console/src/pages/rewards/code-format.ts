/** Crockford's base 32, the alphabet of generated codes (no I, L, O, U). */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BITS_PER_SYMBOL = 5;
const PLACEHOLDER = '{code}';

/** An example of a code the reward would generate: `length` random symbols in place of {code}. */
export function exampleCode(format: string, length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  // 256 is a multiple of 32, so taking the low five bits keeps every symbol equally likely.
  const random = Array.from(bytes, (byte) => CROCKFORD[byte % 32]).join('');
  return format.replace(PLACEHOLDER, random);
}

export function placeholderCount(format: string): number {
  return format.split(PLACEHOLDER).length - 1;
}

/** 2^bits as words: "1.1 trillion". */
export function largeNumber(value: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', compactDisplay: 'long', maximumSignificantDigits: 2 }).format(value);
}
