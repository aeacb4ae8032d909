import type { Tier } from './tallies.js';
import { QUARTER_HOUR_MS } from './timezone.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const SIZES: [Tier, number][] = [
  ['day', DAY_MS],
  ['hour', HOUR_MS],
  ['quarter', QUARTER_HOUR_MS],
];

/** Where the tallies end: the day after the bucket of vouchers that never expire. */
export const END_OF_TALLIES = Date.parse('9999-12-31T23:45:00Z') + QUARTER_HOUR_MS;

/** A run of one tier's rows: the buckets that begin from `from` (included) to `to` (excluded), in epoch ms. */
export interface Piece {
  tier: Tier;
  from: number;
  to: number;
}

/**
 * Covers [from, to) (both on quarter hours) with the fewest tally rows: at each instant, the
 * coarsest tier up to `coarsest` whose rows begin there and end by the next cut, runs of one tier
 * joined. A row never spans a cut, so whatever is decided at a cut (a day's edge, the current
 * quarter hour) can be decided row by row.
 */
export function piecesOf(from: number, to: number, cuts: number[], coarsest: Tier = 'day'): Piece[] {
  const sizes = SIZES.slice(SIZES.findIndex(([tier]) => tier === coarsest));
  const stops = [...cuts.filter((cut) => cut > from && cut < to), to].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  let at = from;
  for (const stop of stops) {
    while (at < stop) {
      const fits = sizes.findIndex(([, size]) => at % size === 0 && at + size <= stop);
      const [tier, size] = sizes[fits] ?? SIZES[2]!;
      let end = at + Math.floor((stop - at) / size) * size;
      // Up to where a coarser row begins that ends by the stop.
      for (const [, coarser] of sizes.slice(0, fits)) {
        const next = Math.ceil(at / coarser) * coarser;
        if (next + coarser <= stop) end = Math.min(end, next);
      }
      const last = pieces[pieces.length - 1];
      if (last !== undefined && last.tier === tier && last.to === at) last.to = end;
      else pieces.push({ tier, from: at, to: end });
      at = end;
    }
  }
  return pieces;
}

/** The coarsest tier whose rows each fall inside one of the days that begin at `starts`. */
export function tierFitting(starts: number[]): Tier {
  if (starts.every((ms) => ms % DAY_MS === 0)) return 'day';
  if (starts.every((ms) => ms % HOUR_MS === 0)) return 'hour';
  return 'quarter';
}

/** A bucket's text for an instant on a quarter hour (the tallies' 'YYYY-MM-DDTHH:MM'). */
export const bucketAt = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

/** The instant a bucket's text begins at. */
export const instantOf = (bucket: string): number => Date.parse(`${bucket}:00Z`);
