import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayIndexOf, reportRange } from '../src/reports/report-range.js';
import type { Tier } from '../src/reports/tallies.js';
import { piecesOf, tierFitting } from '../src/reports/tally-pieces.js';

const QUARTER = 900_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SIZE: Record<Tier, number> = { quarter: QUARTER, hour: HOUR, day: DAY };
const BASE = Date.parse('2026-03-20T00:00:00Z');

/** A quarter hour within two months of BASE. */
const quarter = fc.integer({ min: 0, max: 60 * 96 }).map((n) => BASE + n * QUARTER);

describe('the pieces of tallies a range is read from', () => {
  it('cover the range exactly, each row on its tier, none spanning a cut, and few', () => {
    fc.assert(
      fc.property(quarter, quarter, fc.array(quarter, { maxLength: 6 }), fc.constantFrom<Tier>('day', 'hour', 'quarter'), (a, b, cuts, coarsest) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const pieces = piecesOf(from, to, cuts, coarsest);
        let at = from;
        let rows = 0;
        for (const piece of pieces) {
          expect(piece.from).toBe(at);
          expect(piece.to).toBeGreaterThan(piece.from);
          const size = SIZE[piece.tier];
          expect(size).toBeLessThanOrEqual(SIZE[coarsest]);
          expect(piece.from % size).toBe(0);
          expect((piece.to - piece.from) % size).toBe(0);
          for (const cut of cuts) {
            // A cut inside a piece falls on one of its rows' edges.
            if (cut > piece.from && cut < piece.to) expect((cut - piece.from) % size).toBe(0);
          }
          rows += (piece.to - piece.from) / size;
          at = piece.to;
        }
        expect(at).toBe(to);
        // At most three quarters and 23 hours at each end of each stretch between cuts, and its days.
        const stretches = new Set(cuts.filter((cut) => cut > from && cut < to)).size + 1;
        expect(rows).toBeLessThanOrEqual(stretches * 2 * (3 + 23) + Math.ceil((to - from) / SIZE[coarsest]));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a month in UTC as days and the hours of today, and a month in Kolkata as quarter hours', () => {
    const utc = reportRange({ from: '2026-11-01', to: '2026-11-30' });
    expect(utc.tier).toBe('day');
    expect(piecesOf(utc.starts[0]!, utc.starts[30]!, [])).toEqual([{ tier: 'day', from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') }]);
    expect(reportRange({ from: '2026-11-01', to: '2026-11-30', timezone: 'America/New_York' }).tier).toBe('hour');
    // London's spring change is on a whole hour: hours still fit its days.
    expect(reportRange({ from: '2026-03-20', to: '2026-04-05', timezone: 'Europe/London' }).tier).toBe('hour');
    expect(reportRange({ from: '2026-11-01', to: '2026-11-30', timezone: 'Asia/Kolkata' }).tier).toBe('quarter');
    expect(tierFitting([0, HOUR, DAY])).toBe('hour');
  });

  it('finds the day of an instant, at the edges of days that have 23 and 25 hours', () => {
    const range = reportRange({ from: '2026-03-28', to: '2026-03-30', timezone: 'Europe/London' });
    expect(range.starts.map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-03-28T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T23:00:00.000Z',
      '2026-03-30T23:00:00.000Z',
    ]);
    expect(dayIndexOf(range, range.starts[0]! - 1)).toBe(-1);
    expect(dayIndexOf(range, range.starts[1]! - 1)).toBe(0);
    expect(dayIndexOf(range, range.starts[1]!)).toBe(1);
    expect(dayIndexOf(range, range.starts[2]!)).toBe(2);
    expect(dayIndexOf(range, range.starts[3]!)).toBe(3);
  });
});
