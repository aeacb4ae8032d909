import { parseMoney } from './money';

/*
 * Numbers as typed in a form. What does not read as a number is sent to the API as typed (hence
 * the casts): the API's problem then names the field, and its message appears beside it, so the
 * console never has rules of its own that could disagree with the server's.
 */

/** A whole number, or undefined when the field is blank. */
export function typedWhole(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return (/^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed) as number;
}

/** An amount in the currency's major unit ("4.50") as minor units (450), or undefined when blank. */
export function typedMoney(text: string, currency: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return (parseMoney(trimmed, currency || 'GBP') ?? trimmed) as number;
}
