import { invalidField } from './errors.js';
import { type IdKind, idPattern } from './ids.js';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to callers: base64url JSON of the last row's position. */
export const encodeCursor = (position: unknown): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

/** Decodes a cursor made by `encodeCursor`, checking its shape; anything else is a 400 on `cursor`. */
export function decodeCursor<T>(cursor: string | undefined, isPosition: (value: unknown) => value is T): T | null {
  if (cursor === undefined) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isPosition(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw invalidField('/querystring/cursor', 'must be a nextCursor this list returned');
}

/** A position that is an id of `kind`. */
export const isIdOf =
  (kind: IdKind) =>
  (value: unknown): value is string =>
    typeof value === 'string' && new RegExp(idPattern(kind)).test(value);

/** Given up to limit+1 rows, the page of `limit` and the cursor to the rest. */
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => unknown): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}
