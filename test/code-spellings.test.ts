import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_SEPARATORS, normalizeCode } from '../src/codes/normalize-code.js';
import { type TestApp, createKey, describeEachEngine } from './harness.js';
import { memberWith, newReward } from './fixtures.js';

/** Every separator a request may carry (the API refuses the control characters VT and FF in a code). */
const TYPABLE_SEPARATORS = CODE_SEPARATORS.filter((char) => char !== '\v' && char !== '\f');

/** What may stand between two symbols, or before the first, or after the last: nothing, or a separator or two. */
const gap = fc.array(fc.constantFrom(...TYPABLE_SEPARATORS), { maxLength: 2 }).map((chars) => chars.join(''));

/** How to spell a code: the gaps around its symbols, and which way each symbol is written. */
const spelling = fc.record({
  gaps: fc.array(gap, { minLength: 65, maxLength: 65 }),
  picks: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
});
type Spelling = typeof spelling extends fc.Arbitrary<infer T> ? T : never;

/** The ways a symbol may be typed: either case, and 0/O or 1/I/L for one another. */
function waysToType(symbol: string): string[] {
  const upper = symbol.toUpperCase();
  if (upper === '0' || upper === 'O') return ['0', 'O', 'o'];
  if (upper === '1' || upper === 'I' || upper === 'L') return ['1', 'I', 'i', 'L', 'l'];
  return [...new Set([upper, symbol.toLowerCase()])];
}

/** `code` as someone might type it: its separators dropped or changed, others put anywhere, any case, look-alikes swapped. */
function spell(code: string, how: Spelling): string {
  const symbols = [...code].filter((char) => normalizeCode(char) !== '');
  if (symbols.length >= how.picks.length) throw new Error(`${code} is too long to spell`);
  return how.gaps[0] + symbols.map((symbol, i) => {
    const ways = waysToType(symbol);
    return ways[how.picks[i]! % ways.length]! + how.gaps[i + 1];
  }).join('');
}

// CI runs on a busy two-core machine: enough runs to meet every kind of separator, no more.
const RUNS = 50;

const validate = (t: TestApp, key: string, body: Record<string, unknown>) => t.request('POST', '/v1/voucher-validations', body, { key });
const lookup = (t: TestApp, key: string, code: string) =>
  t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(code)}`, undefined, { key });
const upload = (t: TestApp, key: string, rewardId: string, lines: string[]) =>
  t.request('POST', `/v1/rewards/${rewardId}/codes`, undefined, { key, payload: `${lines.join('\n')}\n`, contentType: 'text/plain' });
const gift = async (t: TestApp, key: string, userId: string, rewardId: string): Promise<{ id: string; code: string }> => {
  const response = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId }, { key });
  if (response.status !== 201) throw new Error(`could not give: ${JSON.stringify(response.body)}`);
  return response.body;
};

describe('spellings', () => {
  it('are what the property tests type: each one has the normal form of the code it spells', () => {
    fc.assert(
      fc.property(spelling, fc.constantFrom('PROMO-7HD3XPQ2', 'GIFT–0123ABCD', 'ab/12_x.oil'), (how, code) => {
        expect(normalizeCode(spell(code, how))).toBe(normalizeCode(code));
      }),
      { numRuns: 200 },
    );
  });
});

describeEachEngine('a code in any spelling', (t) => {
  let adminKey: string;
  let pos: { key: string };
  let userId: string;
  /** Vouchers whose codes hold separators of several kinds: generated, with ASCII and typographic separators in the format, and from a pool. */
  let vouchers: Array<{ id: string; code: string }>;
  let generated: { id: string };

  beforeAll(async () => {
    ({ adminKey } = await t.newProgram());
    pos = await createKey(t, adminKey, 'pos');
    userId = await memberWith(t, adminKey, 0);
    generated = await newReward(t, adminKey, { pricePoints: 0 });
    const dashed = await newReward(t, adminKey, { pricePoints: 0, codeFormat: 'GIFT–{code}/ÉTÉ' });
    const pool = await newReward(t, adminKey, { pricePoints: 0, codeType: 'POOL', codeFormat: undefined });
    const report = await upload(t, adminKey, pool.id, ['SUMMER_24/OIL-7', 'lolo.1010', 'PROMO-PQNVKBMM']);
    expect(report.body).toMatchObject({ added: 3 });
    vouchers = [];
    for (const reward of [generated, generated, dashed, pool, pool, pool]) vouchers.push(await gift(t, adminKey, userId, reward.id));
    expect(vouchers.map((v) => v.code)).toEqual(expect.arrayContaining(['SUMMER_24/OIL-7', 'lolo.1010', 'PROMO-PQNVKBMM']));
  });

  it('GET /v1/vouchers/lookup finds PROMO-PQNVKBMM as promo pqnvkbmm, PROMO–PQNVKBMM (en dash), promopqnvkbmm and PROMO-PQNVKBMM', async () => {
    const voucher = vouchers.find((v) => v.code === 'PROMO-PQNVKBMM')!;
    for (const typed of ['promo pqnvkbmm', 'PROMO–PQNVKBMM', 'promopqnvkbmm', 'PROMO-PQNVKBMM', 'PROMO—PQNV.KBMM', 'pr0m0_pqnv/kbmm']) {
      const response = await lookup(t, adminKey, typed);
      expect(response.status, typed).toBe(200);
      expect(response.body).toMatchObject({ id: voucher.id, code: 'PROMO-PQNVKBMM' });
    }
  });

  it('GET /v1/vouchers/lookup finds an issued voucher by any spelling of its code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: vouchers.length - 1 }), spelling, async (index, how) => {
        const voucher = vouchers[index]!;
        const typed = spell(voucher.code, how);
        const response = await lookup(t, adminKey, typed);
        expect(response.status, JSON.stringify(typed)).toBe(200);
        expect(response.body).toMatchObject({ id: voucher.id, code: voucher.code });
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/voucher-validations checks an issued voucher by any spelling of its code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: vouchers.length - 1 }), spelling, async (index, how) => {
        const voucher = vouchers[index]!;
        const typed = spell(voucher.code, how);
        const response = await validate(t, pos.key, { code: typed, dryRun: true });
        expect(response.status, JSON.stringify(typed)).toBe(200);
        expect(response.body, JSON.stringify(typed)).toMatchObject({ valid: true, burned: false, voucher: { id: voucher.id, code: voucher.code } });
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/voucher-validations burns a bought voucher typed one way, and another spelling finds it ALREADY_BURNED', async () => {
    await fc.assert(
      fc.asyncProperty(spelling, spelling, async (first, second) => {
        const bought = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: generated.id }, { key: adminKey });
        expect(bought.status).toBe(201);
        const { id, code } = bought.body.voucher as { id: string; code: string };
        const burn = await validate(t, pos.key, { code: spell(code, first) });
        expect(burn.body, JSON.stringify(spell(code, first))).toMatchObject({ valid: true, burned: true, voucher: { id } });
        const again = await validate(t, pos.key, { code: spell(code, second) });
        expect(again.body, JSON.stringify(spell(code, second))).toMatchObject({ valid: false, reason: 'ALREADY_BURNED', voucher: { id } });
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('POST /v1/voucher-validations checks a static code by any spelling of it', async () => {
    const shared = await newReward(t, adminKey, { codeType: 'STATIC', codeFormat: undefined, staticCode: 'Welcome-Back_10.OIL/x' });
    await fc.assert(
      fc.asyncProperty(spelling, async (how) => {
        const typed = spell('Welcome-Back_10.OIL/x', how);
        const response = await validate(t, pos.key, { code: typed });
        expect(response.body, JSON.stringify(typed)).toMatchObject({ valid: true, burned: false, reward: { id: shared.id } });
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps one code per normal form: another spelling is a duplicate in an upload, present already, or a CONFLICT as a static code', async () => {
    const pool = await newReward(t, adminKey, { codeType: 'POOL', codeFormat: undefined });
    const report = await upload(t, adminKey, pool.id, ['AB-12', 'ab.12', 'AB12', 'a b/1 2', 'summer_24 oil 7']);
    expect(report.body).toMatchObject({ added: 1, duplicated: { count: 3, lines: [2, 3, 4] }, alreadyPresent: { count: 1, lines: [5] } });
    const clash = await t.request('POST', '/v1/rewards', { name: 'Clash', pricePoints: 1, codeType: 'STATIC', staticCode: 'AB_12', incentives: [] }, { key: adminKey });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: 'CONFLICT', errors: [{ path: '/body/staticCode' }] });
  });

  it('refuses a code that is nothing but separators: invalid and empty in an upload, VALIDATION_FAILED as a static code', async () => {
    const pool = await newReward(t, adminKey, { codeType: 'POOL', codeFormat: undefined });
    const report = await upload(t, adminKey, pool.id, ['OK-1', '-', ' - . _ / ', '\\', '---']);
    expect(report.status).toBe(201);
    expect(report.body).toMatchObject({ added: 1, invalid: { count: 4, lines: [2, 3, 4, 5], empty: { count: 4, lines: [2, 3, 4, 5] } } });

    for (const staticCode of ['-', ' ./_ ', '\\/']) {
      const created = await t.request('POST', '/v1/rewards', { name: 'Nothing', pricePoints: 1, codeType: 'STATIC', staticCode, incentives: [] }, { key: adminKey });
      expect(created.status, staticCode).toBe(400);
      expect(created.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/body/staticCode', message: expect.stringMatching(/nothing but separators/) }] });
    }
    const shared = await newReward(t, adminKey, { codeType: 'STATIC', codeFormat: undefined, staticCode: 'KEEP-ME' });
    const changed = await t.request('PATCH', `/v1/rewards/${shared.id}`, { staticCode: '-_-' }, { key: adminKey });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/body/staticCode' }] });
    expect((await validate(t, pos.key, { code: 'keep me' })).body).toMatchObject({ valid: true, reward: { id: shared.id } });
  });
});
