import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Basket, type BasketItem, type Incentive, computeDiscount } from '../src/validations/discount.js';

const gbp = (total: number, items?: BasketItem[]): Basket => (items === undefined ? { currency: 'GBP', total } : { currency: 'GBP', total, items });
const item = (sku: string, quantity: number, unitPrice: number): BasketItem => ({ sku, quantity, unitPrice });

describe('computeDiscount: worked examples', () => {
  it('takes the whole product price for 100% off that product (the spec example)', () => {
    const outcome = computeDiscount(
      [{ type: 'PERCENTAGE', value: 100, productSku: 'CAKE-1' }],
      gbp(2350, [item('CAKE-1', 1, 450), item('TEA-1', 1, 1900)]),
    );
    expect(outcome).toEqual({ ok: true, discount: { currency: 'GBP', amount: 450, lines: [{ sku: 'CAKE-1', amount: 450 }] } });
  });

  it('rounds percentages down to the minor unit', () => {
    expect(computeDiscount([{ type: 'PERCENTAGE', value: 15 }], gbp(999))).toEqual({
      ok: true,
      discount: { currency: 'GBP', amount: 149, lines: [] },
    });
  });

  it('rounds a targeted percentage down line by line', () => {
    // 15% of each 999 line is 149.85 → 149, so 298 rather than floor(15% of 1998) = 299.
    const outcome = computeDiscount(
      [{ type: 'PERCENTAGE', value: 15, productSku: 'MUG' }],
      gbp(1998, [item('MUG', 1, 999), item('MUG', 1, 999)]),
    );
    expect(outcome).toEqual({ ok: true, discount: { currency: 'GBP', amount: 298, lines: [{ sku: 'MUG', amount: 298 }] } });
  });

  it('reports the first incentive whose currency differs, before looking at min spend', () => {
    const outcome = computeDiscount(
      [
        { type: 'AMOUNT_OFF', value: 100, currency: 'GBP' },
        { type: 'AMOUNT_OFF', value: 100, currency: 'EUR', minSpend: 1_000_000 },
        { type: 'AMOUNT_OFF', value: 100, currency: 'USD' },
      ],
      gbp(500),
    );
    expect(outcome).toEqual({ ok: false, reason: 'CURRENCY_MISMATCH', expected: 'EUR' });
  });

  it('skips an incentive whose min spend is not met while the others still count', () => {
    const outcome = computeDiscount(
      [
        { type: 'AMOUNT_OFF', value: 300, currency: 'GBP', minSpend: 5000 },
        { type: 'AMOUNT_OFF', value: 200, currency: 'GBP', minSpend: 2350 }, // equal to the total: met
      ],
      gbp(2350),
    );
    expect(outcome).toEqual({ ok: true, discount: { currency: 'GBP', amount: 200, lines: [] } });
  });

  it('fails with MIN_SPEND_NOT_MET when no incentive reaches its min spend', () => {
    const outcome = computeDiscount(
      [
        { type: 'AMOUNT_OFF', value: 300, minSpend: 5000 },
        { type: 'PERCENTAGE', value: 10, minSpend: 2351 },
      ],
      gbp(2350),
    );
    expect(outcome).toEqual({ ok: false, reason: 'MIN_SPEND_NOT_MET' });
  });

  it('gives a zero discount for no incentives and for a product the basket lacks', () => {
    const zero = { ok: true, discount: { currency: 'GBP', amount: 0, lines: [] } };
    expect(computeDiscount([], gbp(2350))).toEqual(zero);
    expect(computeDiscount([{ type: 'PERCENTAGE', value: 50, productSku: 'NOPE' }], gbp(2350, [item('CAKE-1', 1, 450)]))).toEqual(zero);
    expect(computeDiscount([{ type: 'PERCENTAGE', value: 50, productSku: 'CAKE-1' }], gbp(2350))).toEqual(zero);
  });

  it('takes AMOUNT_OFF from the whole basket or from matching lines in order', () => {
    expect(computeDiscount([{ type: 'AMOUNT_OFF', value: 500 }], gbp(2350))).toMatchObject({ discount: { amount: 500 } });
    expect(computeDiscount([{ type: 'AMOUNT_OFF', value: 5000 }], gbp(2350))).toMatchObject({ discount: { amount: 2350 } });
    const outcome = computeDiscount(
      [{ type: 'AMOUNT_OFF', value: 700, productSku: 'CAKE-1' }],
      gbp(2350, [item('CAKE-1', 1, 450), item('TEA-1', 1, 1000), item('CAKE-1', 2, 450)]),
    );
    expect(outcome).toEqual({ ok: true, discount: { currency: 'GBP', amount: 700, lines: [{ sku: 'CAKE-1', amount: 700 }] } });
    const capped = computeDiscount([{ type: 'AMOUNT_OFF', value: 5000, productSku: 'CAKE-1' }], gbp(2350, [item('CAKE-1', 3, 450)]));
    expect(capped).toMatchObject({ discount: { amount: 1350, lines: [{ sku: 'CAKE-1', amount: 1350 }] } });
  });

  it('sells one unit of the dearest matching line at the override price', () => {
    const basket = gbp(2350, [item('CAKE-1', 2, 300), item('CAKE-1', 1, 450), item('TEA-1', 1, 1300)]);
    expect(computeDiscount([{ type: 'PRICE_OVERRIDE', value: 100, productSku: 'CAKE-1' }], basket)).toEqual({
      ok: true,
      discount: { currency: 'GBP', amount: 350, lines: [{ sku: 'CAKE-1', amount: 350 }] },
    });
    // An override above the price takes nothing.
    expect(computeDiscount([{ type: 'PRICE_OVERRIDE', value: 500, productSku: 'CAKE-1' }], basket)).toMatchObject({
      discount: { amount: 0, lines: [] },
    });
  });

  it('sets the basket total with a PRICE_OVERRIDE on no product', () => {
    expect(computeDiscount([{ type: 'PRICE_OVERRIDE', value: 2000 }], gbp(2350))).toMatchObject({ discount: { amount: 350 } });
    expect(computeDiscount([{ type: 'PRICE_OVERRIDE', value: 3000 }], gbp(2350))).toMatchObject({ discount: { amount: 0 } });
  });

  it('caps each incentive at its maxDiscount', () => {
    expect(computeDiscount([{ type: 'PERCENTAGE', value: 50, maxDiscount: 600 }], gbp(2350))).toMatchObject({
      discount: { amount: 600 },
    });
    const outcome = computeDiscount(
      [
        { type: 'PERCENTAGE', value: 100, productSku: 'CAKE-1', maxDiscount: 500 },
        { type: 'AMOUNT_OFF', value: 100, maxDiscount: 40 },
      ],
      gbp(2350, [item('CAKE-1', 1, 450), item('CAKE-1', 1, 450)]),
    );
    expect(outcome).toEqual({ ok: true, discount: { currency: 'GBP', amount: 540, lines: [{ sku: 'CAKE-1', amount: 500 }] } });
  });

  it('adds incentives up, capping each sku at its price and the total at the basket total', () => {
    const basket = gbp(2350, [item('TEA-1', 1, 1900), item('CAKE-1', 1, 450)]);
    const stacked = computeDiscount(
      [
        { type: 'AMOUNT_OFF', value: 300, productSku: 'CAKE-1' },
        { type: 'AMOUNT_OFF', value: 300, productSku: 'CAKE-1' },
        { type: 'AMOUNT_OFF', value: 100, productSku: 'TEA-1' },
        { type: 'AMOUNT_OFF', value: 50 },
      ],
      basket,
    );
    // Lines follow the basket order, merged by sku; CAKE-1 is capped at its 450.
    expect(stacked).toEqual({
      ok: true,
      discount: { currency: 'GBP', amount: 600, lines: [{ sku: 'TEA-1', amount: 100 }, { sku: 'CAKE-1', amount: 450 }] },
    });
    const everything = computeDiscount(
      [
        { type: 'PERCENTAGE', value: 100 },
        { type: 'PERCENTAGE', value: 100, productSku: 'CAKE-1' },
      ],
      basket,
    );
    expect(everything).toMatchObject({ discount: { amount: 2350, lines: [{ sku: 'CAKE-1', amount: 450 }] } });
  });

  it('keeps lines within the total when the items add up to more than it', () => {
    const outcome = computeDiscount(
      [
        { type: 'PERCENTAGE', value: 100, productSku: 'A' },
        { type: 'PERCENTAGE', value: 100, productSku: 'B' },
      ],
      gbp(1000, [item('A', 1, 800), item('B', 1, 800)]),
    );
    expect(outcome).toEqual({
      ok: true,
      discount: { currency: 'GBP', amount: 1000, lines: [{ sku: 'A', amount: 800 }, { sku: 'B', amount: 200 }] },
    });
  });

  it('stays exact where floating point would not', () => {
    // 99 783 × 999 861 221 × 93 is past 2^53: a float floor(line × 93 / 100) gives 92 785 311 559 990, one too many.
    const outcome = computeDiscount(
      [{ type: 'PERCENTAGE', value: 93, productSku: 'BIG' }],
      gbp(99_769_152_215_043, [item('BIG', 99_783, 999_861_221)]),
    );
    expect(outcome).toMatchObject({ discount: { amount: 92_785_311_559_989, lines: [{ sku: 'BIG', amount: 92_785_311_559_989 }] } });
    // 500 lines at the schema's limits add up to 5e16 for one sku; the result is still capped at the total.
    const huge = computeDiscount(
      [{ type: 'PERCENTAGE', value: 100, productSku: 'BIG' }],
      gbp(1e15, Array.from({ length: 500 }, () => item('BIG', 100_000, 1_000_000_000))),
    );
    expect(huge).toMatchObject({ discount: { amount: 1e15, lines: [{ sku: 'BIG', amount: 1e15 }] } });
  });
});

// ---- Properties ----------------------------------------------------------------------------------

const NUM_RUNS = 500;
const SKUS = ['A', 'B', 'C', 'D'] as const;

/** Mostly small amounts (so caps and totals collide often), sometimes anywhere up to `max`. */
const money = (max: number) => fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max }));

const itemArb: fc.Arbitrary<BasketItem> = fc.record({
  sku: fc.constantFrom(...SKUS),
  quantity: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000 })),
  unitPrice: money(1_000_000_000),
});

/** A GBP basket whose total either matches its items (where within bounds) or is arbitrary. */
const basketArb: fc.Arbitrary<Basket> = fc
  .record({
    items: fc.option(fc.array(itemArb, { maxLength: 25 }), { nil: undefined }),
    consistent: fc.boolean(),
    arbitraryTotal: money(1e15),
  })
  .map(({ items, consistent, arbitraryTotal }) => {
    let total = arbitraryTotal;
    if (consistent && items !== undefined) {
      const sum = items.reduce((acc, i) => acc + BigInt(i.quantity) * BigInt(i.unitPrice), 0n);
      total = sum <= 1_000_000_000_000_000n ? Number(sum) : 1e15;
    }
    return items === undefined ? { currency: 'GBP', total } : { currency: 'GBP', total, items };
  });

const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const incentiveArb = (currencies: readonly string[], minSpendArb: fc.Arbitrary<number> = money(1e15)): fc.Arbitrary<Incentive> =>
  fc
    .record({
      type: fc.constantFrom('PERCENTAGE', 'AMOUNT_OFF', 'PRICE_OVERRIDE') as fc.Arbitrary<Incentive['type']>,
      percentage: fc.integer({ min: 1, max: 100 }),
      amount: money(1e12),
      currency: fc.option(fc.constantFrom(...currencies), { nil: undefined }),
      productSku: fc.option(fc.constantFrom(...SKUS, 'Z'), { nil: undefined }),
      minSpend: fc.option(minSpendArb, { nil: undefined, freq: 2 }),
      maxDiscount: fc.option(money(1e12), { nil: undefined, freq: 2 }),
    })
    .map(({ type, percentage, amount, ...rest }) =>
      withoutUndefined<Incentive>({ type, value: type === 'PERCENTAGE' ? percentage : amount, ...rest }),
    );

/** Incentives that never mismatch a GBP basket. */
const incentivesArb = fc.array(incentiveArb(['GBP']), { maxLength: 5 });

const skuTotal = (basket: Basket, sku: string): number =>
  Number((basket.items ?? []).filter((i) => i.sku === sku).reduce((acc, i) => acc + BigInt(i.quantity) * BigInt(i.unitPrice), 0n));

const run = { numRuns: NUM_RUNS };

describe('computeDiscount: properties', () => {
  it('never gives a negative amount', () => {
    let nonZero = 0;
    fc.assert(
      fc.property(incentivesArb, basketArb, (incentives, basket) => {
        const outcome = computeDiscount(incentives, basket);
        if (!outcome.ok) return;
        if (outcome.discount.amount > 0) nonZero++;
        expect(Number.isSafeInteger(outcome.discount.amount)).toBe(true);
        expect(outcome.discount.amount).toBeGreaterThanOrEqual(0);
      }),
      run,
    );
    // Guard against a generator that makes the properties vacuous.
    expect(nonZero).toBeGreaterThan(NUM_RUNS / 4);
  });

  it('never gives more than the basket total', () => {
    fc.assert(
      fc.property(incentivesArb, basketArb, (incentives, basket) => {
        const outcome = computeDiscount(incentives, basket);
        if (outcome.ok) expect(outcome.discount.amount).toBeLessThanOrEqual(basket.total);
      }),
      run,
    );
  });

  it('gives each sku one line, above 0 and no more than that sku costs in the basket', () => {
    fc.assert(
      fc.property(incentivesArb, basketArb, (incentives, basket) => {
        const outcome = computeDiscount(incentives, basket);
        if (!outcome.ok) return;
        const skus = outcome.discount.lines.map((l) => l.sku);
        expect(new Set(skus).size).toBe(skus.length);
        for (const line of outcome.discount.lines) {
          expect(line.amount).toBeGreaterThan(0);
          expect(line.amount).toBeLessThanOrEqual(skuTotal(basket, line.sku));
        }
      }),
      run,
    );
  });

  it('never lists more in lines than the amount', () => {
    fc.assert(
      fc.property(incentivesArb, basketArb, (incentives, basket) => {
        const outcome = computeDiscount(incentives, basket);
        if (!outcome.ok) return;
        const linesSum = outcome.discount.lines.reduce((acc, l) => acc + l.amount, 0);
        expect(linesSum).toBeLessThanOrEqual(outcome.discount.amount);
      }),
      run,
    );
  });

  it('takes at most the product price for 100% off a product', () => {
    fc.assert(
      fc.property(
        basketArb,
        fc.constantFrom(...SKUS, 'Z'),
        fc.option(money(1e12), { nil: undefined }),
        (basket, sku, maxDiscount) => {
          const incentive = withoutUndefined<Incentive>({ type: 'PERCENTAGE', value: 100, productSku: sku, maxDiscount });
          const outcome = computeDiscount([incentive], basket);
          if (!outcome.ok) throw new Error('a lone incentive without currency or min spend must apply');
          const price = skuTotal(basket, sku);
          expect(outcome.discount.amount).toBeLessThanOrEqual(price);
          expect(outcome.discount.amount).toBe(Math.min(price, basket.total, maxDiscount ?? Infinity));
          expect(outcome.discount.lines).toEqual(outcome.discount.amount > 0 ? [{ sku, amount: outcome.discount.amount }] : []);
        },
      ),
      run,
    );
  });

  it('takes exactly the total for 100% off the whole basket, or the maxDiscount when lower', () => {
    fc.assert(
      fc.property(basketArb, fc.option(money(1e12), { nil: undefined }), (basket, maxDiscount) => {
        const outcome = computeDiscount([withoutUndefined<Incentive>({ type: 'PERCENTAGE', value: 100, maxDiscount })], basket);
        expect(outcome).toEqual({
          ok: true,
          discount: { currency: 'GBP', amount: Math.min(basket.total, maxDiscount ?? Infinity), lines: [] },
        });
      }),
      run,
    );
  });

  it('is deterministic and leaves its inputs alone', () => {
    fc.assert(
      fc.property(fc.array(incentiveArb(['GBP', 'EUR']), { maxLength: 5 }), basketArb, (incentives, basket) => {
        const before = structuredClone({ incentives, basket });
        const first = computeDiscount(incentives, basket);
        const second = computeDiscount(structuredClone(incentives), structuredClone(basket));
        expect(second).toEqual(first);
        expect({ incentives, basket }).toEqual(before);
      }),
      run,
    );
  });

  it('reports the first foreign currency, and otherwise fails on min spend only when none is met', () => {
    // Min spends are often right at the total, or one either side of it, so the boundary gets exercised.
    const caseArb = basketArb.chain((basket) => {
      const nearTotal = fc.constantFrom(basket.total, basket.total + 1, Math.max(0, basket.total - 1));
      const minSpend = fc.oneof(money(1e15), nearTotal);
      return fc.tuple(fc.array(incentiveArb(['GBP', 'EUR', 'USD'], minSpend), { maxLength: 5 }), fc.constant(basket));
    });
    fc.assert(
      fc.property(caseArb, ([incentives, basket]) => {
        const outcome = computeDiscount(incentives, basket);
        const foreign = incentives.find((i) => i.currency !== undefined && i.currency !== basket.currency);
        if (foreign !== undefined) {
          expect(outcome).toEqual({ ok: false, reason: 'CURRENCY_MISMATCH', expected: foreign.currency });
          return;
        }
        const noneMet = incentives.length > 0 && incentives.every((i) => i.minSpend !== undefined && i.minSpend > basket.total);
        expect(outcome.ok).toBe(!noneMet);
        if (!outcome.ok) expect(outcome).toEqual({ ok: false, reason: 'MIN_SPEND_NOT_MET' });
      }),
      run,
    );
  });
});
