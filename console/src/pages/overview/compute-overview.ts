import type { ListedVoucher, LogEvent } from '../../api/client';
import { dayOf, lastDays } from '../../format/time';

export interface Totals {
  issued: number;
  burned: number;
  expired: number;
  active: number;
  voided: number;
}

export interface DayCount {
  day: string;
  issued: number;
  burned: number;
}

export interface Overview {
  totals: Totals;
  /** burned ÷ issued, or null before anything was issued. */
  redemptionRate: number | null;
  /** Points spent on purchases, less those refunded. */
  pointsSpent: number;
  pointsSpentLast30Days: number;
  days: DayCount[];
  byReward: Map<string, Totals>;
}

const DAYS = 30;

function emptyTotals(): Totals {
  return { issued: 0, burned: 0, expired: 0, active: 0, voided: 0 };
}

function count(totals: Totals, voucher: ListedVoucher): void {
  totals.issued++;
  if (voucher.status === 'BURNED') totals.burned++;
  else if (voucher.status === 'EXPIRED') totals.expired++;
  else if (voucher.status === 'VOIDED') totals.voided++;
  else totals.active++;
}

function pricePoints(event: LogEvent): number {
  const value = event.data.pricePoints;
  return typeof value === 'number' ? value : 0;
}

/**
 * The overview's figures from the vouchers (their status now, issued = every voucher, by day of
 * creation and of burning) and the purchase and refund events (points spent).
 */
export function computeOverview(vouchers: ListedVoucher[], purchaseEvents: LogEvent[], now = new Date()): Overview {
  const totals = emptyTotals();
  const byReward = new Map<string, Totals>();
  const days = lastDays(DAYS, now).map((day) => ({ day, issued: 0, burned: 0 }));
  const byDay = new Map(days.map((entry) => [entry.day, entry]));

  for (const voucher of vouchers) {
    count(totals, voucher);
    let forReward = byReward.get(voucher.rewardId);
    if (!forReward) byReward.set(voucher.rewardId, (forReward = emptyTotals()));
    count(forReward, voucher);
    const issuedOn = byDay.get(dayOf(voucher.createdAt));
    if (issuedOn) issuedOn.issued++;
    const burnedOn = voucher.burnedAt ? byDay.get(dayOf(voucher.burnedAt)) : undefined;
    if (burnedOn) burnedOn.burned++;
  }

  const since = now.getTime() - DAYS * 86_400_000;
  let pointsSpent = 0;
  let pointsSpentLast30Days = 0;
  for (const event of purchaseEvents) {
    const points = event.type === 'PURCHASE_REFUNDED' ? -pricePoints(event) : pricePoints(event);
    pointsSpent += points;
    if (new Date(event.occurredAt).getTime() >= since) pointsSpentLast30Days += points;
  }

  return {
    totals,
    redemptionRate: totals.issued > 0 ? totals.burned / totals.issued : null,
    pointsSpent,
    pointsSpentLast30Days,
    days,
    byReward,
  };
}
