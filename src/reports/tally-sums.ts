import type { ExpressionBuilder } from 'kysely';
import type { Db, Tables } from '../db/tables.js';
import { type ReportRange, dayIndexOf } from './report-range.js';
import type { Figures } from './schemas.js';
import { TIERS, tierScope } from './tallies.js';
import { END_OF_TALLIES, type Piece, bucketAt, instantOf, piecesOf } from './tally-pieces.js';
import { QUARTER_HOUR_MS } from './timezone.js';

/** What the tallies add up to over some buckets. */
export interface Sums {
  issued: number;
  burned: number;
  /** ACTIVE vouchers whose expiry bucket has passed (the current quarter hour's count once it ends: see live-vouchers.ts). */
  expired: number;
  /** ACTIVE vouchers whose expiry bucket is the current one or later. */
  live: number;
  voided: number;
  pointsCredited: number;
  pointsDebited: number;
  pointsSpent: number;
}

export const noSums = (): Sums => ({ issued: 0, burned: 0, expired: 0, live: 0, voided: 0, pointsCredited: 0, pointsDebited: 0, pointsSpent: 0 });

export function addSums(into: Sums, more: Sums): void {
  for (const key of Object.keys(into) as (keyof Sums)[]) into[key] += more[key];
}

type Row = Tables['report_tallies'];
const toSums = (row: Omit<Row, 'program_id' | 'scope' | 'bucket' | 'slot' | 'expiring'> & { expired: number; live: number }): Sums => ({
  issued: Number(row.issued),
  burned: Number(row.burned),
  expired: Number(row.expired),
  live: Number(row.live),
  voided: Number(row.voided),
  pointsCredited: Number(row.points_credited),
  pointsDebited: Number(row.points_debited),
  pointsSpent: Number(row.points_spent),
});

/** One piece's rows of the scopes given: one index seek. */
function rowsOf(db: Db, programId: string, scopes: string[], piece: Piece) {
  let select = db
    .selectFrom('report_tallies')
    .where('program_id', '=', programId)
    .where('scope', 'in', scopes.map((scope) => tierScope(piece.tier, scope)))
    .where('bucket', '>=', bucketAt(piece.from));
  if (piece.to < END_OF_TALLIES) select = select.where('bucket', '<', bucketAt(piece.to));
  return select;
}

/** The rows covering a range, split where the current quarter hour begins and ends: no row spans it. */
const piecesAround = (from: number, to: number, currentBucket: string, coarsest: ReportRange['tier'] = 'day') =>
  piecesOf(from, to, [instantOf(currentBucket), instantOf(currentBucket) + QUARTER_HOUR_MS], coarsest);

/** One scope's sums for each day of the range, from the coarsest rows that fit in its days: one statement. */
export async function sumsByDay(db: Db, programId: string, scope: string, range: ReportRange, currentBucket: string): Promise<Map<string, Sums>> {
  const byDay = range.dates.map(noSums);
  const pieces = piecesAround(range.starts[0]!, range.starts[range.starts.length - 1]!, currentBucket, range.tier);
  const rows = await pieces
    .map((piece) => rowsOf(db, programId, [scope], piece).select(['bucket', 'issued', 'burned', 'voided', 'expiring', 'points_credited', 'points_debited', 'points_spent']))
    .reduce((all, more) => all.unionAll(more))
    .execute();
  for (const row of rows) {
    const sums = byDay[dayIndexOf(range, instantOf(row.bucket))];
    const past = row.bucket < currentBucket;
    if (sums !== undefined) addSums(sums, toSums({ ...row, expired: past ? row.expiring : 0, live: past ? 0 : row.expiring }));
  }
  return new Map(range.dates.map((date, i) => [date, byDay[i]!]));
}

/** Each scope's sums over the whole range: a few seeks a range, whatever its length. */
export const sumsByScope = (db: Db, programId: string, scopes: string[], range: ReportRange, currentBucket: string) =>
  sumsOverPieces(db, programId, scopes, piecesAround(range.starts[0]!, range.starts[range.starts.length - 1]!, currentBucket), currentBucket);

/** Each scope's sums from the current quarter hour to the end of the tallies (their `live` is what is live now). */
export const sumsFromNow = (db: Db, programId: string, scopes: string[], currentBucket: string) =>
  sumsOverPieces(db, programId, scopes, piecesOf(instantOf(currentBucket), END_OF_TALLIES, []), currentBucket);

/** Each scope's sums over the pieces: one statement, one seek a scope and piece. */
async function sumsOverPieces(db: Db, programId: string, scopes: string[], pieces: Piece[], currentBucket: string): Promise<Map<string, Sums>> {
  const byScope = new Map(scopes.map((scope) => [scope, noSums()]));
  if (scopes.length === 0 || pieces.length === 0) return byScope;
  const rows = await pieces
    .map((piece) => rowsOf(db, programId, scopes, piece).select((eb) => ['scope', ...summed(eb, currentBucket)]).groupBy('scope'))
    .reduce((all, more) => all.unionAll(more))
    .execute();
  const scopeOf = new Map(TIERS.flatMap((tier) => scopes.map((scope) => [tierScope(tier, scope), scope] as const)));
  for (const row of rows) addSums(byScope.get(scopeOf.get(row.scope)!)!, toSums(row));
  return byScope;
}

/** The sums of the selected rows; a row's `expiring` is expired before the current bucket, live from it on. */
const summed = (eb: ExpressionBuilder<{ report_tallies: Row }, 'report_tallies'>, currentBucket: string) => [
  eb.fn.sum<number>('issued').as('issued'),
  eb.fn.sum<number>('burned').as('burned'),
  eb.fn.sum<number>('voided').as('voided'),
  eb.fn.sum<number>(eb.case().when('bucket', '<', currentBucket).then(eb.ref('expiring')).else(0).end()).as('expired'),
  eb.fn.sum<number>(eb.case().when('bucket', '>=', currentBucket).then(eb.ref('expiring')).else(0).end()).as('live'),
  eb.fn.sum<number>('points_credited').as('points_credited'),
  eb.fn.sum<number>('points_debited').as('points_debited'),
  eb.fn.sum<number>('points_spent').as('points_spent'),
];

export type ScopeKind = 'program' | 'reward' | 'venue';

/** The figures a scope has: a venue sees only burns; points adjustments belong to no reward. */
export function figuresOf(sums: Sums, kind: ScopeKind): Figures {
  const voucherFigure = (n: number) => (kind === 'venue' ? null : n);
  const adjustmentFigure = (n: number) => (kind === 'program' ? n : null);
  return {
    issued: voucherFigure(sums.issued),
    burned: sums.burned,
    expired: voucherFigure(sums.expired),
    voided: voucherFigure(sums.voided),
    redemptionRate: kind === 'venue' || sums.issued === 0 ? null : Math.round((sums.burned / sums.issued) * 10_000) / 10_000,
    pointsCredited: adjustmentFigure(sums.pointsCredited),
    pointsDebited: adjustmentFigure(sums.pointsDebited),
    pointsSpent: voucherFigure(sums.pointsSpent),
  };
}
