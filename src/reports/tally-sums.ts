import type { ExpressionBuilder } from 'kysely';
import type { Db, Tables } from '../db/tables.js';
import type { ReportRange } from './report-range.js';
import type { Figures } from './schemas.js';

/** What the tallies add up to over some buckets. */
export interface Sums {
  issued: number;
  burned: number;
  expired: number;
  voided: number;
  pointsCredited: number;
  pointsDebited: number;
  pointsSpent: number;
}

export const noSums = (): Sums => ({ issued: 0, burned: 0, expired: 0, voided: 0, pointsCredited: 0, pointsDebited: 0, pointsSpent: 0 });

export function addSums(into: Sums, more: Sums): void {
  for (const key of Object.keys(into) as (keyof Sums)[]) into[key] += more[key];
}

/**
 * The sums of the selected rows. Vouchers still ACTIVE whose expiry bucket has passed are the
 * expired ones (the current quarter hour's expiries count once it ends: see live-vouchers.ts).
 */
const sumsOf = (eb: ExpressionBuilder<{ report_tallies: Tables['report_tallies'] }, 'report_tallies'>, currentBucket: string) => [
  eb.fn.sum<number>('issued').as('issued'),
  eb.fn.sum<number>('burned').as('burned'),
  eb.fn.sum<number>('voided').as('voided'),
  eb.fn.sum<number>(eb.case().when('bucket', '<', currentBucket).then(eb.ref('expiring')).else(0).end()).as('expired'),
  eb.fn.sum<number>('points_credited').as('points_credited'),
  eb.fn.sum<number>('points_debited').as('points_debited'),
  eb.fn.sum<number>('points_spent').as('points_spent'),
];

type SumRow = { issued: number; burned: number; voided: number; expired: number; points_credited: number; points_debited: number; points_spent: number };
const toSums = (row: SumRow): Sums => ({
  issued: Number(row.issued),
  burned: Number(row.burned),
  expired: Number(row.expired),
  voided: Number(row.voided),
  pointsCredited: Number(row.points_credited),
  pointsDebited: Number(row.points_debited),
  pointsSpent: Number(row.points_spent),
});

const inRange = (db: Db, programId: string, range: ReportRange) =>
  db
    .selectFrom('report_tallies')
    .where('program_id', '=', programId)
    .where('bucket', '>=', range.startBucket)
    .where('bucket', '<', range.endBucket);

/** One scope's sums for each day of the range: one seek, one row per quarter hour read. */
export async function sumsByDay(db: Db, programId: string, scope: string, range: ReportRange, currentBucket: string): Promise<Map<string, Sums>> {
  const rows = await inRange(db, programId, range)
    .where('scope', '=', scope)
    .select((eb) => ['bucket', ...sumsOf(eb, currentBucket)])
    .groupBy('bucket')
    .orderBy('bucket')
    .execute();
  const byDate = new Map(range.dates.map((date) => [date, noSums()]));
  for (const row of rows) {
    const sums = byDate.get(range.dateOf(Date.parse(`${row.bucket}:00Z`)));
    if (sums !== undefined) addSums(sums, toSums(row));
  }
  return byDate;
}

/** Each scope's sums over the whole range: one seek a scope. */
export async function sumsByScope(db: Db, programId: string, scopes: string[], range: ReportRange, currentBucket: string): Promise<Map<string, Sums>> {
  const byScope = new Map(scopes.map((scope) => [scope, noSums()]));
  if (scopes.length === 0) return byScope;
  const rows = await inRange(db, programId, range)
    .where('scope', 'in', scopes)
    .select((eb) => ['scope', ...sumsOf(eb, currentBucket)])
    .groupBy('scope')
    .execute();
  for (const row of rows) byScope.set(row.scope, toSums(row));
  return byScope;
}

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
