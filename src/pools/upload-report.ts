import type { PoolSummary } from './pool-summary.js';

/** How many line numbers of each kind a report lists. */
export const FIRST_LINES = 20;

/** How many lines of an upload were of one kind, and the first of them. */
export interface Tally {
  count: number;
  lines: number[];
}

export const emptyTally = (): Tally => ({ count: 0, lines: [] });

/** Counts a line; lines may come in any order, and the first FIRST_LINES of them are kept, in order. */
export function count(tally: Tally, line: number): void {
  tally.count++;
  const { lines } = tally;
  if (lines.length === FIRST_LINES && line > lines[FIRST_LINES - 1]!) return;
  let at = lines.length;
  while (at > 0 && lines[at - 1]! > line) at--;
  lines.splice(at, 0, line);
  if (lines.length > FIRST_LINES) lines.pop();
}

export const INVALID_REASONS = ['empty', 'tooLong', 'notPrintable', 'notText'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type InvalidTallies = Tally & Record<InvalidReason, Tally>;

export const emptyInvalidTallies = (): InvalidTallies => ({
  ...emptyTally(),
  empty: emptyTally(),
  tooLong: emptyTally(),
  notPrintable: emptyTally(),
  notText: emptyTally(),
});

/**
 * What an upload did, line by line: every line received is exactly one of added, duplicated (its
 * normal form came earlier in the same upload), already present (some code of the program has that
 * normal form: a pool, generated or static code of any reward) or invalid.
 */
export interface UploadReport {
  uploadId: string;
  rewardId: string;
  received: number;
  added: number;
  duplicated: Tally;
  alreadyPresent: Tally;
  invalid: InvalidTallies;
  /** The pool once the upload is in. */
  pool: PoolSummary;
  createdAt: string;
}
