/**
 * What a voucher's incentives take off a point-of-sale basket.
 *
 * Money is integer minor units (pence, cents) in the basket's currency. Arithmetic is done in
 * BigInt so quantity × unitPrice sums stay exact; the results are bounded by `basket.total`, so
 * they come back as ordinary numbers.
 *
 * The product's rules, in the order they are applied:
 *
 * 1. Currency. The first incentive (in the given order) whose `currency` is set and differs from
 *    `basket.currency` fails the whole calculation with CURRENCY_MISMATCH, expecting that currency.
 *    Checked before anything else. Currencies compare as exact strings.
 * 2. Minimum spend. An incentive with `minSpend` counts only when `basket.total >= minSpend`; one
 *    that is not met contributes nothing. When there is at least one incentive and none is met,
 *    the outcome is MIN_SPEND_NOT_MET. No incentives at all is a zero discount.
 * 3. Base. An incentive with `productSku` works on the basket lines whose sku equals it (line
 *    amount = quantity × unitPrice); a sku the basket lacks gives 0. Without `productSku` the base
 *    is `basket.total`. `posSku` plays no part in the amount.
 * 4. Kinds (`value` is a percentage for PERCENTAGE, money otherwise):
 *    - PERCENTAGE: floor(base × value / 100), rounded down so the member never gets more than the
 *      stated share; a targeted one is floored line by line.
 *    - AMOUNT_OFF: min(value, base); a targeted one is taken from matching lines in basket order,
 *      no line giving more than its own amount.
 *    - PRICE_OVERRIDE with productSku: one unit is sold at `value`, i.e. max(0, unitPrice − value)
 *      off the matching line (quantity ≥ 1) with the highest unitPrice, the first such on a tie.
 *      Without productSku the basket total becomes `value`: max(0, total − value).
 * 5. maxDiscount caps each incentive's own discount; for a targeted one the excess is removed
 *    from its last matching line backwards.
 * 6. Incentives add up. All targeted discounts on one sku together are capped at that sku's
 *    amount in the basket (the sum of its lines). The overall amount is capped at `basket.total`;
 *    if the targeted part alone exceeds the total (items that disagree with the total), the
 *    per-sku amounts are cut from the last sku backwards until they fit.
 * 7. `lines` has one entry per sku with a targeted discount above 0, merged by sku, in the order
 *    the sku first appears in the basket. Whole-basket discounts show in `amount` only, so the
 *    lines never sum to more than `amount`. `discount.currency` is the basket's currency.
 *
 * Inputs are expected within the HTTP schema (integers, unitPrice ≤ 1e9, quantity ≤ 1e5,
 * total ≤ 1e15, values ≤ 1e12). Out-of-contract numbers are clamped rather than thrown on:
 * fractions are floored, negative or non-finite numbers count as 0, and a percentage above 100
 * counts as 100.
 */

import type { Incentive } from '../rewards/reward.js';

export type { Incentive };

export interface BasketItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface Basket {
  currency: string;
  total: number;
  items?: BasketItem[];
}

export interface Discount {
  currency: string;
  amount: number;
  lines: { sku: string; amount: number }[];
}

export type DiscountOutcome =
  | { ok: true; discount: Discount }
  | { ok: false; reason: 'MIN_SPEND_NOT_MET' }
  | { ok: false; reason: 'CURRENCY_MISMATCH'; expected: string };

interface Line {
  sku: string;
  quantity: bigint;
  unitPrice: bigint;
  amount: bigint;
}

/** A wire number as a non-negative integer: fractions floored, negatives and NaN/±Infinity as 0. */
function whole(x: number | undefined): bigint {
  if (x === undefined || !Number.isFinite(x) || x <= 0) return 0n;
  return BigInt(Math.floor(x));
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const sum = (xs: readonly bigint[]): bigint => xs.reduce((acc, x) => acc + x, 0n);

/** Lowers `amounts` in place, last entry first, until they sum to at most `cap`. */
function trimFromEnd(amounts: bigint[], cap: bigint): void {
  let excess = sum(amounts) - cap;
  for (let i = amounts.length - 1; i >= 0 && excess > 0n; i--) {
    const cut = min(excess, amounts[i]!);
    amounts[i] = amounts[i]! - cut;
    excess -= cut;
  }
}

function percentOf(base: bigint, percentage: number): bigint {
  return (base * min(whole(percentage), 100n)) / 100n; // BigInt division of non-negatives floors
}

/** The discount of an incentive without productSku, before its maxDiscount. */
function wholeBasketDiscount(incentive: Incentive, total: bigint): bigint {
  switch (incentive.type) {
    case 'PERCENTAGE':
      return percentOf(total, incentive.value);
    case 'AMOUNT_OFF':
      return min(whole(incentive.value), total);
    case 'PRICE_OVERRIDE': {
      const price = whole(incentive.value);
      return total > price ? total - price : 0n;
    }
    default:
      return 0n;
  }
}

/** The discount of a targeted incentive on each of its matching lines, before its maxDiscount. */
function targetedDiscount(incentive: Incentive, matches: readonly Line[]): bigint[] {
  switch (incentive.type) {
    case 'PERCENTAGE':
      return matches.map((line) => percentOf(line.amount, incentive.value));
    case 'AMOUNT_OFF': {
      let remaining = whole(incentive.value);
      return matches.map((line) => {
        const take = min(remaining, line.amount);
        remaining -= take;
        return take;
      });
    }
    case 'PRICE_OVERRIDE': {
      let best = -1;
      matches.forEach((line, i) => {
        if (line.quantity >= 1n && (best < 0 || line.unitPrice > matches[best]!.unitPrice)) best = i;
      });
      const price = whole(incentive.value);
      return matches.map((line, i) => (i === best && line.unitPrice > price ? line.unitPrice - price : 0n));
    }
    default:
      return matches.map(() => 0n);
  }
}

export function computeDiscount(incentives: readonly Incentive[], basket: Basket): DiscountOutcome {
  for (const incentive of incentives) {
    if (incentive.currency !== undefined && incentive.currency !== basket.currency) {
      return { ok: false, reason: 'CURRENCY_MISMATCH', expected: incentive.currency };
    }
  }

  const total = whole(basket.total);
  const counted = incentives.filter((i) => i.minSpend === undefined || total >= whole(i.minSpend));
  if (incentives.length > 0 && counted.length === 0) return { ok: false, reason: 'MIN_SPEND_NOT_MET' };

  const lines: Line[] = (basket.items ?? []).map((item) => {
    const quantity = whole(item.quantity);
    const unitPrice = whole(item.unitPrice);
    return { sku: item.sku, quantity, unitPrice, amount: quantity * unitPrice };
  });
  // Both maps are keyed in the order a sku first appears in the basket.
  const skuAmount = new Map<string, bigint>();
  const skuDiscount = new Map<string, bigint>();
  for (const line of lines) {
    skuAmount.set(line.sku, (skuAmount.get(line.sku) ?? 0n) + line.amount);
    skuDiscount.set(line.sku, 0n);
  }

  let wholeBasket = 0n;
  for (const incentive of counted) {
    const cap = incentive.maxDiscount === undefined ? undefined : whole(incentive.maxDiscount);
    const sku = incentive.productSku;
    if (sku === undefined) {
      const amount = wholeBasketDiscount(incentive, total);
      wholeBasket += cap === undefined ? amount : min(amount, cap);
      continue;
    }
    const amounts = targetedDiscount(incentive, lines.filter((line) => line.sku === sku));
    if (cap !== undefined) trimFromEnd(amounts, cap);
    if (skuDiscount.has(sku)) skuDiscount.set(sku, skuDiscount.get(sku)! + sum(amounts));
  }

  const skus = [...skuDiscount.keys()];
  const perSku = skus.map((sku) => min(skuDiscount.get(sku)!, skuAmount.get(sku)!));
  trimFromEnd(perSku, total);
  const amount = min(total, wholeBasket + sum(perSku));

  return {
    ok: true,
    discount: {
      currency: basket.currency,
      amount: Number(amount),
      lines: skus.flatMap((sku, i) => (perSku[i]! > 0n ? [{ sku, amount: Number(perSku[i]!) }] : [])),
    },
  };
}
