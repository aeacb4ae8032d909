import type { Db } from '../src/db/tables.js';

/**
 * What GET /v1/reports/activity should answer, counted the slow way: straight from the program's
 * rows (vouchers, the validations that burned them, purchases and adjustments), with local dates
 * from Intl. Nothing here reads the tallies or shares code with the reports.
 */

export type Scope = { kind: 'program' } | { kind: 'reward'; rewardId: string } | { kind: 'venue'; venue: string };

export interface Figures {
  issued: number | null;
  burned: number;
  expired: number | null;
  voided: number | null;
  redemptionRate: number | null;
  pointsCredited: number | null;
  pointsDebited: number | null;
  pointsSpent: number | null;
}

export interface ExpectedReport {
  active: number | null;
  totals: Figures;
  days: ({ date: string } & Figures)[];
}

type Counted = 'issued' | 'burned' | 'expired' | 'voided' | 'pointsCredited' | 'pointsDebited' | 'pointsSpent';

/** One thing that counts: `amount` of `what`, at an instant, for a reward (or none) and a venue (burns only). */
interface Fact {
  at: string;
  what: Counted;
  amount: number;
  rewardId: string | null;
  venue: string | null;
}

export interface Rows {
  vouchers: {
    id: string;
    reward_id: string;
    status: string;
    created_at: string;
    burned_at: string | null;
    voided_at: string | null;
    expires_at: string | null;
    burn_venue: string | null;
  }[];
  purchases: { reward_id: string; price_points: number; status: string; created_at: string; refunded_at: string | null }[];
  adjustments: { delta: number; created_at: string }[];
}

/** The rows of one program that the reports count. */
export async function readRows(db: Db, programId: string): Promise<Rows> {
  const vouchers = await db
    .selectFrom('vouchers as v')
    .leftJoin('validations as b', (join) => join.onRef('b.program_id', '=', 'v.program_id').onRef('b.id', '=', 'v.burn_validation_id'))
    .select(['v.id', 'v.reward_id', 'v.status', 'v.created_at', 'v.burned_at', 'v.voided_at', 'v.expires_at', 'b.venue as burn_venue'])
    .where('v.program_id', '=', programId)
    .execute();
  const purchases = await db
    .selectFrom('purchases')
    .select(['reward_id', 'price_points', 'status', 'created_at', 'refunded_at'])
    .where('program_id', '=', programId)
    .execute();
  const adjustments = await db
    .selectFrom('ledger_entries')
    .select(['delta', 'created_at'])
    .where('program_id', '=', programId)
    .where('kind', '=', 'ADJUSTMENT')
    .execute();
  return {
    vouchers,
    purchases: purchases.map((p) => ({ ...p, price_points: Number(p.price_points) })),
    adjustments: adjustments.map((a) => ({ ...a, delta: Number(a.delta) })),
  };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) of an instant in an IANA timezone. */
export function localDate(instant: string | number | Date, timezone: string): string {
  let format = formats.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** A date moved by whole days. */
export const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Every date from `from` to `to`, both included. */
export function datesFrom(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** The start of the quarter hour of UTC an instant falls in, as the reports print it. */
export const quarterHourOf = (ms: number): string => new Date(ms - (ms % 900_000)).toISOString();

const before = (a: string, b: string) => Date.parse(a) < Date.parse(b);

function factsOf(rows: Rows, expiredBefore: string): Fact[] {
  const facts: Fact[] = [];
  const fact = (at: string, what: Counted, amount: number, rewardId: string | null, venue: string | null = null) =>
    facts.push({ at, what, amount, rewardId, venue });
  for (const v of rows.vouchers) {
    fact(v.created_at, 'issued', 1, v.reward_id);
    if (v.status === 'BURNED') fact(v.burned_at!, 'burned', 1, v.reward_id, v.burn_venue);
    if (v.status === 'VOIDED') fact(v.voided_at!, 'voided', 1, v.reward_id);
    if (v.status === 'ACTIVE' && v.expires_at !== null && before(v.expires_at, expiredBefore)) fact(v.expires_at, 'expired', 1, v.reward_id);
  }
  for (const p of rows.purchases) {
    fact(p.created_at, 'pointsSpent', p.price_points, p.reward_id);
    if (p.status === 'REFUNDED') fact(p.refunded_at!, 'pointsSpent', -p.price_points, p.reward_id);
  }
  for (const a of rows.adjustments) {
    if (a.delta > 0) fact(a.created_at, 'pointsCredited', a.delta, null);
    else fact(a.created_at, 'pointsDebited', -a.delta, null);
  }
  return facts;
}

const inScope = (scope: Scope) => (f: { rewardId: string | null; venue: string | null }) =>
  scope.kind === 'program' || (scope.kind === 'reward' ? f.rewardId === scope.rewardId : f.venue === scope.venue);

type Sums = Record<Counted, number>;
const noSums = (): Sums => ({ issued: 0, burned: 0, expired: 0, voided: 0, pointsCredited: 0, pointsDebited: 0, pointsSpent: 0 });

function figures(sums: Sums, scope: Scope): Figures {
  const voucherFigure = (n: number) => (scope.kind === 'venue' ? null : n);
  const adjustmentFigure = (n: number) => (scope.kind === 'program' ? n : null);
  return {
    issued: voucherFigure(sums.issued),
    burned: sums.burned,
    expired: voucherFigure(sums.expired),
    voided: voucherFigure(sums.voided),
    redemptionRate: scope.kind === 'venue' || sums.issued === 0 ? null : Math.round((sums.burned / sums.issued) * 10_000) / 10_000,
    pointsCredited: adjustmentFigure(sums.pointsCredited),
    pointsDebited: adjustmentFigure(sums.pointsDebited),
    pointsSpent: voucherFigure(sums.pointsSpent),
  };
}

/** Vouchers that can be used now: ACTIVE, and not expiring before `expiredBefore`. */
export function activeCount(rows: Rows, expiredBefore: string, rewardId?: string): number {
  return rows.vouchers.filter(
    (v) =>
      v.status === 'ACTIVE' &&
      (rewardId === undefined || v.reward_id === rewardId) &&
      (v.expires_at === null || !before(v.expires_at, expiredBefore)),
  ).length;
}

/** The report over the local dates [from, to] in `timezone`, with expiries before `expiredBefore` counted as expired. */
export function expectedReport(rows: Rows, query: { from: string; to: string; timezone: string; scope: Scope }, expiredBefore: string): ExpectedReport {
  const { scope, timezone } = query;
  const dates = datesFrom(query.from, query.to);
  const byDate = new Map(dates.map((date) => [date, noSums()]));
  for (const f of factsOf(rows, expiredBefore).filter(inScope(scope))) {
    const sums = byDate.get(localDate(f.at, timezone));
    if (sums !== undefined) sums[f.what] += f.amount;
  }
  const totals = noSums();
  for (const sums of byDate.values()) for (const key of Object.keys(totals) as Counted[]) totals[key] += sums[key];
  return {
    active: scope.kind === 'program' ? activeCount(rows, expiredBefore) : scope.kind === 'reward' ? activeCount(rows, expiredBefore, scope.rewardId) : null,
    totals: figures(totals, scope),
    days: [...byDate].map(([date, sums]) => ({ date, ...figures(sums, scope) })),
  };
}
