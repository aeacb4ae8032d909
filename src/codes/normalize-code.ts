/**
 * The one normal form of a code, used when storing it, checking uniqueness and looking it up:
 * upper case, no whitespace anywhere, and the letters people confuse with digits read as digits
 * (O → 0, I and L → 1). So "promo-7hd3 xpq2" and "PROMO-7HD3XPQ2" are the same code.
 */
export function normalizeCode(raw: string): string {
  return raw.toUpperCase().replace(/\s+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
