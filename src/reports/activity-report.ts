import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { loadReward } from '../rewards/get-reward.js';
import { liveVouchersOf } from './live-vouchers.js';
import { type ActivityQuery, type ActivityReport, type Figures, MAX_REPORT_DAYS } from './schemas.js';
import { PROGRAM_SCOPE, bucketOf, scopeOfReward, scopeOfVenue } from './tallies.js';
import { checkTimezone, datesBetween, localDates } from './timezone.js';

type Sums = { issued: number; burned: number; expired: number; voided: number; pointsCredited: number; pointsDebited: number; pointsSpent: number };
const noSums = (): Sums => ({ issued: 0, burned: 0, expired: 0, voided: 0, pointsCredited: 0, pointsDebited: 0, pointsSpent: 0 });

// No timezone is more than 14 hours from UTC: the buckets read reach that far past the range's ends.
const WIDEST_OFFSET_MS = 14 * 3_600_000;

/**
 * What happened in a program (or one reward, or one venue) day by day over a range of days in a
 * timezone, read from the tallies the writes keep: the cost is one row per quarter hour of the
 * range, whatever the program's size.
 */
export async function activityReport(db: Db, clock: Clock, programId: string, query: ActivityQuery): Promise<ActivityReport> {
  const timezone = checkTimezone(query.timezone ?? 'UTC', '/querystring/timezone');
  if (query.rewardId !== undefined && query.venue !== undefined) {
    throw invalidField('/querystring/venue', 'a report covers the program, one reward or one venue: give rewardId or venue, not both');
  }
  if (query.to < query.from) throw invalidField('/querystring/to', 'must not be before from');
  const dates = datesBetween(query.from, query.to);
  if (dates.length > MAX_REPORT_DAYS) throw invalidField('/querystring/to', `must be at most ${MAX_REPORT_DAYS} days after from`);
  if (query.rewardId !== undefined) await loadReward(db, programId, query.rewardId);
  const scope =
    query.rewardId !== undefined ? scopeOfReward(query.rewardId) : query.venue !== undefined ? scopeOfVenue(query.venue) : PROGRAM_SCOPE;

  const now = isoNow(clock);
  const currentBucket = bucketOf(now);
  const rows = await db
    .selectFrom('report_tallies')
    .select((eb) => [
      'bucket',
      eb.fn.sum<number>('issued').as('issued'),
      eb.fn.sum<number>('burned').as('burned'),
      eb.fn.sum<number>('voided').as('voided'),
      eb.fn.sum<number>('expiring').as('expiring'),
      eb.fn.sum<number>('points_credited').as('points_credited'),
      eb.fn.sum<number>('points_debited').as('points_debited'),
      eb.fn.sum<number>('points_spent').as('points_spent'),
    ])
    .where('program_id', '=', programId)
    .where('scope', '=', scope)
    .where('bucket', '>=', bucketOf(new Date(Date.parse(`${query.from}T00:00:00Z`) - WIDEST_OFFSET_MS).toISOString()))
    .where('bucket', '<', bucketOf(new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000 + WIDEST_OFFSET_MS).toISOString()))
    .groupBy('bucket')
    .orderBy('bucket')
    .execute();

  const byDate = new Map(dates.map((date) => [date, noSums()]));
  const dateOf = localDates(timezone);
  for (const row of rows) {
    const sums = byDate.get(dateOf(Date.parse(`${row.bucket}:00Z`)));
    if (sums === undefined) continue;
    sums.issued += Number(row.issued);
    sums.burned += Number(row.burned);
    sums.voided += Number(row.voided);
    // Vouchers still ACTIVE whose expiry has passed are the expired ones (see live-vouchers.ts for the quarter hour).
    if (row.bucket < currentBucket) sums.expired += Number(row.expiring);
    sums.pointsCredited += Number(row.points_credited);
    sums.pointsDebited += Number(row.points_debited);
    sums.pointsSpent += Number(row.points_spent);
  }
  const totals = noSums();
  for (const sums of byDate.values()) for (const key of Object.keys(totals) as (keyof Sums)[]) totals[key] += sums[key];

  const kind = query.venue !== undefined ? 'venue' : query.rewardId !== undefined ? 'reward' : 'program';
  const live = kind === 'venue' ? null : ((await liveVouchersOf(db, programId, [scope], now)).get(scope) ?? 0);
  return {
    from: query.from,
    to: query.to,
    timezone,
    rewardId: query.rewardId ?? null,
    venue: query.venue ?? null,
    asOf: now,
    expiredBefore: `${currentBucket}:00.000Z`,
    active: live,
    totals: figuresOf(totals, kind),
    days: [...byDate].map(([date, sums]) => ({ date, ...figuresOf(sums, kind) })),
  };
}

/** The figures a scope has: a venue sees only burns; points adjustments belong to no reward. */
function figuresOf(sums: Sums, kind: 'program' | 'reward' | 'venue'): Figures {
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
