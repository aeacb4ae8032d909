import { invalidField } from './errors.js';

/**
 * One UTC text form for an instant a request gives (`field` of the body), so times compare
 * correctly as text on both engines; null stays null.
 */
export function instantOf(field: string, value: string | null | undefined): string | null {
  if (value == null) return null;
  const time = new Date(value);
  // A leap second (":60") or a time beyond year 9999 in UTC would not survive as sortable text.
  if (Number.isNaN(time.getTime()) || time.getUTCFullYear() < 1 || time.getUTCFullYear() > 9999) {
    throw invalidField(`/body/${field}`, 'must be a real instant between years 0001 and 9999 (UTC)');
  }
  return time.toISOString();
}
