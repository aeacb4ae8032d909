/**
 * What people put between the groups of a code, all ignored: whitespace of every kind (with the
 * invisible spaces and joiners that come along when a code is copied from a web page or a PDF),
 * hyphens, dashes and minus signs, dots (also the ellipsis a phone makes of "..."), underscores and
 * slashes, in their ASCII, typographic and full-width forms. Spelled out, not as Unicode classes,
 * so the normal form never moves with Node's Unicode tables; migration 0009 holds the same list to
 * rewrite the stored forms.
 */
export const CODE_SEPARATORS: readonly string[] = [
  // whitespace
  '\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u180e',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
  // invisible: zero-width space, non-joiner and joiner, word joiner, byte-order mark, soft hyphen
  '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad',
  // hyphens, dashes and minus signs
  '-', '\u058a', '\u05be', '\u1400', '\u1806', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015',
  '\u2043', '\u2212', '\u2e17', '\u2e1a', '\u2e3a', '\u2e3b', '\u2e40', '\u2e5d', '\u301c', '\u3030', '\u30a0',
  '\ufe31', '\ufe32', '\ufe58', '\ufe63', '\uff0d', '\u{10d6e}', '\u{10ead}',
  // dots
  '.', '\u00b7', '\u0387', '\u2024', '\u2026', '\u2027', '\u2219', '\u22c5', '\u3002', '\u30fb',
  '\ufe52', '\uff0e', '\uff61', '\uff65',
  // underscores
  '_', '\u2017', '\u203f', '\u2040', '\u2054', '\ufe33', '\ufe34', '\ufe4d', '\ufe4e', '\ufe4f', '\uff3f',
  // slashes
  '/', '\\', '\u2044', '\u2215', '\u29f8', '\u29f9', '\uff0f', '\uff3c',
];

const escape = (char: string) => `\\u{${char.codePointAt(0)!.toString(16)}}`;
const SEPARATOR = new RegExp(`[${CODE_SEPARATORS.map(escape).join('')}]`, 'gu');

/**
 * The one normal form of a code, used when storing it, checking uniqueness and looking it up:
 * upper case, no separators anywhere (CODE_SEPARATORS), and the letters people confuse with
 * digits read as digits (O → 0, I and L → 1). So "promo 7hd3-xpq2", "PROMO–7HD3.XPQ2" and
 * "PROMO7HD3XPQ2" are the same code. Empty when the code is nothing but separators: no such code
 * may be stored.
 */
export function normalizeCode(raw: string): string {
  return raw.toUpperCase().replace(SEPARATOR, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
