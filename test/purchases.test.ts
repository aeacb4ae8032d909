import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, generateCode } from '../src/codes/generate-code.js';
import { normalizeCode } from '../src/codes/normalize-code.js';
import { type TestApp, createKey, createMember, describeEachEngine } from './harness.js';
import { balanceOf, buy, countRows, expectUnchanged, inBatches, memberWith, newReward } from './fixtures.js';

const PROMO_CODE = /^PROMO-[0-9A-HJKMNP-TV-Z]{8}$/;
const UNKNOWN_REWARD = 'rwd_01jz0000000000000000000000';
const UNKNOWN_USER = 'usr_01jz0000000000000000000000';


interface Event {
  id: string;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

const eventsOf = async (t: TestApp, key: string, userId: string): Promise<Event[]> =>
  (await t.request('GET', `/v1/events?userId=${userId}&limit=200`, undefined, { key })).body.data;

/** Everything a purchase could change in a program, read straight from the database. */
async function footprint(t: TestApp, programId: string) {
  const db = t.store.db;
  return {
    balances: await db.selectFrom('users').select(['id', 'balance']).where('program_id', '=', programId).orderBy('id').execute(),
    stock: await db.selectFrom('rewards').select(['id', 'stock', 'status']).where('program_id', '=', programId).orderBy('id').execute(),
    holdings: await db
      .selectFrom('reward_holdings')
      .select(['reward_id', 'user_id', 'count'])
      .where('program_id', '=', programId)
      .orderBy('reward_id')
      .orderBy('user_id')
      .execute(),
    ledgerEntries: await countRows(t, 'ledger_entries', programId),
    vouchers: await countRows(t, 'vouchers', programId),
    purchases: await countRows(t, 'purchases', programId),
    codes: await countRows(t, 'voucher_codes', programId),
    events: await countRows(t, 'events', programId),
  };
}

/** Runs `action` and checks that it changed nothing a purchase could change. */
const expectNothingBehind = (t: TestApp, programId: string, action: () => Promise<void>) => expectUnchanged(() => footprint(t, programId), action);


describe('generateCode and normalizeCode', () => {
  it('draws the random part from the 32 Crockford symbols, never I, L, O or U', () => {
    expect(CODE_ALPHABET).toBe('0123456789ABCDEFGHJKMNPQRSTVWXYZ');
    expect(new Set(CODE_ALPHABET).size).toBe(32);
    const counts = new Map<string, number>();
    for (let i = 0; i < 12_500; i++) {
      const code = generateCode('{code}', 8);
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
      for (const symbol of code) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    // 100,000 symbols: 3,125 of each expected, with a standard deviation near 55.
    expect([...counts.keys()].sort().join('')).toBe(CODE_ALPHABET);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(2_800);
      expect(n).toBeLessThan(3_450);
    }
  });

  it('wraps a random part of the given length in the format', () => {
    for (const length of [6, 7, 8, 16, 32]) {
      const code = generateCode('PROMO-{code}-EU', length);
      expect(code).toMatch(new RegExp(`^PROMO-[0-9A-HJKMNP-TV-Z]{${length}}-EU$`));
    }
  });

  it('does not repeat itself', () => {
    const codes = new Set(Array.from({ length: 20_000 }, () => generateCode('{code}', 12)));
    expect(codes.size).toBe(20_000);
  });

  it('normalises case, whitespace and separators anywhere and the confusable letters O, I and L', () => {
    expect(normalizeCode('7HD3XPQ2')).toBe('7HD3XPQ2');
    expect(normalizeCode('7hd3xpq2')).toBe('7HD3XPQ2');
    expect(normalizeCode('  7hd3 xpq2\t\n')).toBe('7HD3XPQ2');
    expect(normalizeCode('7 H D 3 - X P Q 2')).toBe('7HD3XPQ2');
    expect(normalizeCode('7hd3–xpq2')).toBe('7HD3XPQ2');
    expect(normalizeCode('7.HD3_XPQ/2\\')).toBe('7HD3XPQ2');
    expect(normalizeCode('O0o')).toBe('000');
    expect(normalizeCode('I1iLl')).toBe('11111');
    expect(normalizeCode('promo-ab0l')).toBe('PR0M0AB01');
    expect(normalizeCode(' -–—./_ ')).toBe('');
  });

  it('is idempotent and leaves a freshly generated random part unchanged', () => {
    for (let i = 0; i < 1000; i++) {
      const code = generateCode('{code}', 12);
      expect(normalizeCode(code)).toBe(code);
      expect(normalizeCode(normalizeCode(code.toLowerCase()))).toBe(code);
    }
  });
});

describeEachEngine('purchases', (t) => {
  describe('POST /v1/users/{id}/purchases', () => {
    it('debits the price and issues an ACTIVE voucher with its code, answering the balance', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 30 });
      const userId = await memberWith(t, adminKey, 100);

      const response = await buy(t, adminKey, userId, reward.id);
      expect(response.status).toBe(201);
      const { purchase, voucher, balance } = response.body;
      expect(purchase).toEqual({
        id: expect.stringMatching(/^pur_[0-9a-z]{26}$/),
        userId,
        rewardId: reward.id,
        voucherId: voucher.id,
        pricePoints: 30,
        status: 'COMPLETED',
        createdAt: expect.any(String),
        refundedAt: null,
      });
      expect(voucher).toEqual({
        id: expect.stringMatching(/^vch_[0-9a-z]{26}$/),
        userId,
        rewardId: reward.id,
        purchaseId: purchase.id,
        status: 'ACTIVE',
        code: expect.stringMatching(PROMO_CODE),
        activatedAt: expect.any(String),
        expiresAt: null,
        burnedAt: null,
        voidedAt: null,
        createdAt: expect.any(String),
      });
      expect(balance).toBe(70);
      expect(await balanceOf(t, adminKey, userId)).toBe(70);

      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.entries[0]).toMatchObject({ kind: 'PURCHASE', delta: -30, balanceAfter: 70 });

      const events = (await eventsOf(t, adminKey, userId)).filter((e) => e.type !== 'POINTS_ADJUSTED');
      expect(events).toEqual([
        expect.objectContaining({
          type: 'PURCHASED_REWARD',
          userId,
          data: { purchaseId: purchase.id, voucherId: voucher.id, rewardId: reward.id, pricePoints: 30, balance: 70 },
        }),
        expect.objectContaining({
          type: 'REDEEMED_VOUCHER',
          userId,
          data: expect.objectContaining({ voucherId: voucher.id, rewardId: reward.id, purchaseId: purchase.id, code: voucher.code }),
        }),
      ]);
    });

    it('lets an app key buy for a member', async () => {
      const { adminKey } = await t.newProgram();
      const app = await createKey(t, adminKey, 'app');
      const reward = await newReward(t, adminKey);
      const userId = await memberWith(t, adminKey, 10);
      const response = await buy(t, app.key, userId, reward.id);
      expect(response.status).toBe(201);
      expect(response.body.balance).toBe(0);
    });

    it('sells a free reward to a member with no points', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 0 });
      const userId = await memberWith(t, adminKey, 0);
      const response = await buy(t, adminKey, userId, reward.id);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ balance: 0, voucher: { status: 'ACTIVE', code: expect.stringMatching(PROMO_CODE) } });
    });

    it('gives every buyer of a STATIC reward its one code', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { codeType: 'STATIC', staticCode: 'SUMMER24', codeFormat: undefined, pricePoints: 1 });
      const codes = [];
      for (let i = 0; i < 3; i++) {
        const userId = await memberWith(t, adminKey, 1);
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(201);
        codes.push(response.body.voucher.code);
      }
      expect(codes).toEqual(['SUMMER24', 'SUMMER24', 'SUMMER24']);
    });
  });

  describe('under concurrency', () => {
    it('lets exactly 10 of 100 simultaneous purchases through when the member can afford 10', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 7 });
      const userId = await memberWith(t, adminKey, 70);

      const results = await Promise.all(Array.from({ length: 100 }, () => buy(t, adminKey, userId, reward.id)));
      const ok = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_POINTS');
      expect(ok).toHaveLength(10);
      expect(refused).toHaveLength(90);
      expect(await balanceOf(t, adminKey, userId)).toBe(0);
      expect(ok.map((r) => r.body.balance).sort((a, b) => a - b)).toEqual([0, 7, 14, 21, 28, 35, 42, 49, 56, 63]);

      const vouchers = await t.request('GET', `/v1/vouchers?userId=${userId}&limit=200`, undefined, { key: adminKey });
      expect(vouchers.body.data).toHaveLength(10);
      const codes: string[] = vouchers.body.data.map((v: { code: string }) => v.code);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(PROMO_CODE);
      expect(vouchers.body.data.every((v: { status: string }) => v.status === 'ACTIVE')).toBe(true);

      const points = await t.request('GET', `/v1/users/${userId}/points?limit=200`, undefined, { key: adminKey });
      const debits = points.body.entries.filter((e: { kind: string }) => e.kind === 'PURCHASE');
      expect(debits).toHaveLength(10);
      expect(debits.every((e: { delta: number }) => e.delta === -7)).toBe(true);
      expect(points.body.entries).toHaveLength(11);

      const events = (await eventsOf(t, adminKey, userId)).filter((e) => e.type !== 'POINTS_ADJUSTED');
      expect(events).toHaveLength(20);
      const purchased = events.filter((e) => e.type === 'PURCHASED_REWARD');
      const redeemed = events.filter((e) => e.type === 'REDEEMED_VOUCHER');
      expect(purchased).toHaveLength(10);
      expect(redeemed).toHaveLength(10);
      for (const event of purchased) {
        const text = JSON.stringify(event.data);
        for (const code of codes) {
          expect(text).not.toContain(code);
          expect(text).not.toContain(code.slice('PROMO-'.length));
          expect(text).not.toContain(normalizeCode(code));
        }
      }
      expect(redeemed.map((e) => e.data.code).sort()).toEqual([...codes].sort());
      for (const event of redeemed) {
        const before = events.findIndex((e) => e.type === 'PURCHASED_REWARD' && e.data.voucherId === event.data.voucherId);
        expect(before).toBeGreaterThanOrEqual(0);
        expect(before).toBeLessThan(events.indexOf(event));
      }
    });

    it('issues exactly 5 vouchers to 50 simultaneous buyers of a reward with stock 5', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5 });
      const buyers = await Promise.all(Array.from({ length: 50 }, () => memberWith(t, adminKey, 10)));

      const results = await Promise.all(buyers.map((userId) => buy(t, adminKey, userId, reward.id)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'OUT_OF_STOCK')).toHaveLength(45);

      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(0);
      const vouchers = await t.request('GET', `/v1/vouchers?rewardId=${reward.id}&limit=200`, undefined, { key: adminKey });
      expect(vouchers.body.data).toHaveLength(5);
      const winners = new Set(results.filter((r) => r.status === 201).map((r) => r.body.purchase.userId));
      expect(new Set(vouchers.body.data.map((v: { userId: string }) => v.userId))).toEqual(winners);
      for (const userId of buyers) {
        expect(await balanceOf(t, adminKey, userId)).toBe(winners.has(userId) ? 0 : 10);
      }
    });

    it('issues exactly perUserLimit vouchers when one member sends 20 purchases at once', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1, perUserLimit: 2 });
      const userId = await memberWith(t, adminKey, 100);

      const results = await Promise.all(Array.from({ length: 20 }, () => buy(t, adminKey, userId, reward.id)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(2);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'PER_USER_LIMIT_REACHED')).toHaveLength(18);
      expect(await balanceOf(t, adminKey, userId)).toBe(98);
      const vouchers = await t.request('GET', `/v1/vouchers?userId=${userId}`, undefined, { key: adminKey });
      expect(vouchers.body.data).toHaveLength(2);

      // The limit is per member: someone else may still buy two.
      const other = await memberWith(t, adminKey, 100);
      expect((await buy(t, adminKey, other, reward.id)).status).toBe(201);
      expect((await buy(t, adminKey, other, reward.id)).status).toBe(201);
      expect((await buy(t, adminKey, other, reward.id)).body.code).toBe('PER_USER_LIMIT_REACHED');
    });

    it('gives 2,000 purchases 2,000 distinct codes in the reward’s format, and nothing else', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1 });
      // Many members, so the purchases contend for codes rather than for one another's balances.
      const members = await inBatches(200, 100, () => memberWith(t, adminKey, 10));

      const results = await inBatches(2_000, 400, (i) => buy(t, adminKey, members[i % members.length]!, reward.id));
      const failures = results.filter((r) => r.status !== 201);
      expect(failures.slice(0, 3).map((r) => r.body)).toEqual([]);

      const vouchers = await t.store.db
        .selectFrom('vouchers')
        .select(['id', 'code', 'status', 'reward_id'])
        .where('program_id', '=', programId)
        .execute();
      expect(vouchers).toHaveLength(2_000);
      expect(vouchers.every((v) => v.status === 'ACTIVE' && v.reward_id === reward.id)).toBe(true);
      const codes = vouchers.map((v) => v.code ?? '');
      expect(codes.filter((c) => !PROMO_CODE.test(c))).toEqual([]);
      expect(new Set(codes).size).toBe(2_000);

      const registered = await t.store.db
        .selectFrom('voucher_codes')
        .select(['code_normal', 'voucher_id'])
        .where('program_id', '=', programId)
        .execute();
      expect(registered).toHaveLength(2_000);
      const byVoucher = new Map(registered.map((r) => [r.voucher_id, r.code_normal]));
      expect(vouchers.filter((v) => byVoucher.get(v.id) !== normalizeCode(v.code!))).toEqual([]);

      expect(new Set(results.map((r) => r.body.voucher.code))).toEqual(new Set(codes));
      expect(await countRows(t, 'purchases', programId)).toBe(2_000);
      const kinds = await t.store.db
        .selectFrom('ledger_entries')
        .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
        .where('program_id', '=', programId)
        .groupBy('kind')
        .orderBy('kind')
        .execute();
      expect(kinds.map((k) => [k.kind, Number(k.n)])).toEqual([
        ['ADJUSTMENT', 200],
        ['PURCHASE', 2_000],
      ]);
      const events = await t.store.db
        .selectFrom('events')
        .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
        .where('program_id', '=', programId)
        .groupBy('type')
        .orderBy('type')
        .execute();
      expect(events.map((e) => [e.type, Number(e.n)])).toEqual([
        ['POINTS_ADJUSTED', 200],
        ['PURCHASED_REWARD', 2_000],
        ['REDEEMED_VOUCHER', 2_000],
      ]);
      const balances = await t.store.db.selectFrom('users').select('balance').where('program_id', '=', programId).execute();
      expect(balances.every((u) => u.balance === 0)).toBe(true);
    });
  });

  describe('a nearly full code space', () => {
    // codeLength is at least 6 by schema (2^30 codes), far too many to fill. These tests shrink a
    // reward's code length in the database, below what the API accepts, to make the space tiny.
    const shrinkCodeLength = (rewardId: string, length: number) =>
      t.store.db.updateTable('rewards').set({ code_length: length }).where('id', '=', rewardId).execute();

    async function takeCodes(programId: string, codes: string[]): Promise<void> {
      for (let i = 0; i < codes.length; i += 500) {
        await t.store.db
          .insertInto('voucher_codes')
          .values(codes.slice(i, i + 500).map((code) => ({ program_id: programId, code_normal: code, voucher_id: 'vch_taken' })))
          .execute();
      }
    }

    it('refuses with CONFLICT and an explanation, after a bounded number of tries and leaving nothing, once every code is taken', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { codeFormat: '{code}', pricePoints: 5, stock: 10, perUserLimit: 3 });
      await shrinkCodeLength(reward.id, 1);
      await takeCodes(programId, [...CODE_ALPHABET]);
      const userId = await memberWith(t, adminKey, 100);

      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({ code: 'CONFLICT', detail: expect.stringMatching(/in \d+ tries: its code space is nearly full\. Increase codeLength/) });
      });
    });

    it('retries a colliding code: with nearly a fifth of a tiny code space taken, 100 purchases in a row all succeed', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { codeFormat: '{code}', pricePoints: 1 });
      await shrinkCodeLength(reward.id, 3);
      // Every code starting with 0–5: 6 × 32 × 32 = 6,144 of 32,768 (18.75%). Without retries,
      // 100 purchases would all succeed with probability about 0.81^100 ≈ 1e-9; with 12 tries each,
      // one fails with probability under 100 × 0.19^12 ≈ 2e-7.
      const taken: string[] = [];
      for (const a of '012345') for (const b of CODE_ALPHABET) for (const c of CODE_ALPHABET) taken.push(a + b + c);
      await takeCodes(programId, taken);
      const userId = await memberWith(t, adminKey, 100);

      const results = await inBatches(100, 10, () => buy(t, adminKey, userId, reward.id));
      expect(results.filter((r) => r.status !== 201).map((r) => r.body)).toEqual([]);
      const codes = results.map((r) => r.body.voucher.code as string);
      expect(new Set(codes).size).toBe(100);
      for (const code of codes) expect(code).toMatch(/^[6-9A-HJKMNP-TV-Z][0-9A-HJKMNP-TV-Z]{2}$/);
      expect(await countRows(t, 'voucher_codes', programId)).toBe(6_144 + 100);
    });
  });

  describe('atomicity', () => {
    it('leaves no debit, voucher, purchase or event when the purchase fails after the debit', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5, perUserLimit: 3 });
      const userId = await memberWith(t, adminKey, 50);
      expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);

      await expectNothingBehind(t, programId, async () => {
        // Inside the purchase, the points debit comes before the purchase row is written: take the
        // purchases table away so the transaction fails after the debit.
        await t.store.db.schema.alterTable('purchases').renameTo('purchases_away').execute();
        try {
          const response = await buy(t, adminKey, userId, reward.id);
          expect(response.status).toBe(500);
          expect(response.body.code).toBe('INTERNAL');
        } finally {
          await t.store.db.schema.alterTable('purchases_away').renameTo('purchases').execute();
        }
      });

      expect(await balanceOf(t, adminKey, userId)).toBe(40);
      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['PURCHASE', 'ADJUSTMENT']);
      const vouchers = await t.request('GET', `/v1/vouchers?userId=${userId}`, undefined, { key: adminKey });
      expect(vouchers.body.data).toHaveLength(1);
      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['POINTS_ADJUSTED', 'PURCHASED_REWARD', 'REDEEMED_VOUCHER']);

      // And the next purchase works as if nothing had happened.
      const next = await buy(t, adminKey, userId, reward.id);
      expect(next.status).toBe(201);
      expect(next.body.balance).toBe(30);
      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(3);
    });
  });

  describe('refusals, each leaving nothing behind', () => {
    it('answers NOT_FOUND for an unknown reward', async () => {
      const { programId, adminKey } = await t.newProgram();
      const userId = await memberWith(t, adminKey, 100);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, UNKNOWN_REWARD);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      });
    });

    it('answers NOT_FOUND for an unknown member', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 0, stock: 3, perUserLimit: 1 });
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, UNKNOWN_USER, reward.id);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      });
    });

    it('answers NOT_FOUND for another program’s reward, touching neither program', async () => {
      const mine = await t.newProgram();
      const theirs = await t.newProgram();
      const reward = await newReward(t, theirs.adminKey, { pricePoints: 1, stock: 3 });
      const userId = await memberWith(t, mine.adminKey, 100);
      const theirsBefore = await footprint(t, theirs.programId);
      await expectNothingBehind(t, mine.programId, async () => {
        const response = await buy(t, mine.adminKey, userId, reward.id);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      });
      expect(await footprint(t, theirs.programId)).toEqual(theirsBefore);
    });

    it('answers NOT_FOUND for another program’s member', async () => {
      const mine = await t.newProgram();
      const theirs = await t.newProgram();
      const reward = await newReward(t, mine.adminKey, { pricePoints: 1 });
      const userId = await memberWith(t, theirs.adminKey, 100);
      const theirsBefore = await footprint(t, theirs.programId);
      await expectNothingBehind(t, mine.programId, async () => {
        const response = await buy(t, mine.adminKey, userId, reward.id);
        expect(response.status).toBe(404);
      });
      expect(await footprint(t, theirs.programId)).toEqual(theirsBefore);
    });

    it('answers REWARD_NOT_AVAILABLE for an archived reward', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1, stock: 3, perUserLimit: 2 });
      await t.request('POST', `/v1/rewards/${reward.id}/archive`, undefined, { key: adminKey });
      const userId = await memberWith(t, adminKey, 100);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('REWARD_NOT_AVAILABLE');
      });
    });

    it('answers REWARD_NOT_AVAILABLE for a reward that is not purchasable', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1, purchasable: false, stock: 3 });
      const userId = await memberWith(t, adminKey, 100);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('REWARD_NOT_AVAILABLE');
      });
    });

    it('answers INSUFFICIENT_POINTS, giving back the stock and allowance it had taken', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 3, perUserLimit: 2 });
      const userId = await memberWith(t, adminKey, 9);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INSUFFICIENT_POINTS');
      });
      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(3);
    });

    it('answers OUT_OF_STOCK', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 0, perUserLimit: 2 });
      const userId = await memberWith(t, adminKey, 100);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('OUT_OF_STOCK');
      });
    });

    it('answers OUT_OF_STOCK for a POOL reward whose pool is empty', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, codeType: 'POOL', codeFormat: undefined });
      expect(reward.stock).toBe(0);
      const userId = await memberWith(t, adminKey, 100);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('OUT_OF_STOCK');
      });
    });

    it('answers PER_USER_LIMIT_REACHED, giving back the stock it had taken', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5, perUserLimit: 1 });
      const userId = await memberWith(t, adminKey, 100);
      expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('PER_USER_LIMIT_REACHED');
      });
      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(4);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the same purchase and debits once', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5 });
      const userId = await memberWith(t, adminKey, 100);
      const first = await buy(t, adminKey, userId, reward.id, { 'idempotency-key': 'buy-1' });
      expect(first.status).toBe(201);
      const after = await footprint(t, programId);

      const retry = await buy(t, adminKey, userId, reward.id, { 'idempotency-key': 'buy-1' });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(await footprint(t, programId)).toEqual(after);
      expect(await balanceOf(t, adminKey, userId)).toBe(90);
      expect(after).toMatchObject({ vouchers: 1, purchases: 1, ledgerEntries: 2 });
    });

    it('makes one purchase of ten simultaneous requests with the same key', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10 });
      const userId = await memberWith(t, adminKey, 100);
      const results = await Promise.all(Array.from({ length: 10 }, () => buy(t, adminKey, userId, reward.id, { 'idempotency-key': 'same' })));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(results.map((r) => r.body.purchase.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.body.voucher.code)).size).toBe(1);
      expect(await balanceOf(t, adminKey, userId)).toBe(90);
    });

    it('refuses the same key for a different reward with IDEMPOTENCY_KEY_REUSED, buying nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const one = await newReward(t, adminKey, { pricePoints: 10 });
      const other = await newReward(t, adminKey, { pricePoints: 10 });
      const userId = await memberWith(t, adminKey, 100);
      expect((await buy(t, adminKey, userId, one.id, { 'idempotency-key': 'k' })).status).toBe(201);
      await expectNothingBehind(t, programId, async () => {
        const response = await buy(t, adminKey, userId, other.id, { 'idempotency-key': 'k' });
        expect(response.status).toBe(422);
        expect(response.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      });
    });

    it('does not remember a refusal: the same key succeeds once the member can pay', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10 });
      const userId = await memberWith(t, adminKey, 5);
      const refused = await buy(t, adminKey, userId, reward.id, { 'idempotency-key': 'later' });
      expect(refused.body.code).toBe('INSUFFICIENT_POINTS');
      await t.request('POST', `/v1/users/${userId}/points`, { delta: 5, reason: 'top-up' }, { key: adminKey });
      const retry = await buy(t, adminKey, userId, reward.id, { 'idempotency-key': 'later' });
      expect(retry.status).toBe(201);
      expect(retry.body.balance).toBe(0);
    });
  });

  describe('POST /v1/users/{id}/gifts', () => {
    it('gives a voucher without spending points: VOUCHER_GIVEN, then REDEEMED_VOUCHER with the code', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 500 });
      const userId = await memberWith(t, adminKey, 0);

      const response = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id, comment: 'sorry about the wait' }, { key: adminKey });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        id: expect.stringMatching(/^vch_/),
        userId,
        rewardId: reward.id,
        purchaseId: null,
        status: 'ACTIVE',
        code: expect.stringMatching(PROMO_CODE),
      });
      expect(await balanceOf(t, adminKey, userId)).toBe(0);
      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.entries).toEqual([]);

      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['VOUCHER_GIVEN', 'REDEEMED_VOUCHER']);
      expect(events[0]!.data).toMatchObject({ voucherId: response.body.id, rewardId: reward.id, comment: 'sorry about the wait' });
      expect(JSON.stringify(events[0]!.data)).not.toContain(response.body.code);
      expect(events[1]!.data).toMatchObject({ voucherId: response.body.id, code: response.body.code, purchaseId: null });
    });

    it('gives a TWO_STEP voucher as PURCHASED, with no code until it is revealed', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const userId = await memberWith(t, adminKey, 0);
      const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
      expect(gift.status).toBe(201);
      expect(gift.body).toMatchObject({ status: 'PURCHASED', code: null });
      expect((await eventsOf(t, adminKey, userId)).map((e) => e.type)).toEqual(['VOUCHER_GIVEN']);
      const revealed = await t.request('POST', `/v1/vouchers/${gift.body.id}/reveal`, undefined, { key: adminKey });
      expect(revealed.body).toMatchObject({ status: 'ACTIVE', code: expect.stringMatching(PROMO_CODE) });
      expect((await eventsOf(t, adminKey, userId)).map((e) => e.type)).toEqual(['VOUCHER_GIVEN', 'REDEEMED_VOUCHER']);
    });

    it('takes from the stock like a purchase, and refuses with OUT_OF_STOCK when there is none', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { stock: 1 });
      const userId = await memberWith(t, adminKey, 100);
      expect((await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey })).status).toBe(201);
      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(0);
      await expectNothingBehind(t, programId, async () => {
        const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
        expect(gift.status).toBe(409);
        expect(gift.body.code).toBe('OUT_OF_STOCK');
        const purchase = await buy(t, adminKey, userId, reward.id);
        expect(purchase.body.code).toBe('OUT_OF_STOCK');
      });
    });

    it('counts towards the per-user limit', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { perUserLimit: 1 });
      const userId = await memberWith(t, adminKey, 100);
      expect((await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey })).status).toBe(201);
      expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('PER_USER_LIMIT_REACHED');
      expect((await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey })).body.code).toBe(
        'PER_USER_LIMIT_REACHED',
      );
    });

    it('refuses an archived reward, an unknown reward and an unknown member, leaving nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { stock: 4 });
      await t.request('POST', `/v1/rewards/${reward.id}/archive`, undefined, { key: adminKey });
      const userId = await memberWith(t, adminKey, 0);
      await expectNothingBehind(t, programId, async () => {
        const archived = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
        expect(archived.status).toBe(409);
        expect(archived.body.code).toBe('REWARD_NOT_AVAILABLE');
        const unknownReward = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: UNKNOWN_REWARD }, { key: adminKey });
        expect(unknownReward.status).toBe(404);
        const unknownMember = await t.request('POST', `/v1/users/${UNKNOWN_USER}/gifts`, { rewardId: reward.id }, { key: adminKey });
        expect(unknownMember.status).toBe(404);
      });
    });

    it('answers a retry with the same Idempotency-Key with the same voucher', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const userId = await memberWith(t, adminKey, 0);
      const send = () =>
        t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey, headers: { 'idempotency-key': 'gift-1' } });
      const first = await send();
      const second = await send();
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      const vouchers = await t.request('GET', `/v1/vouchers?userId=${userId}`, undefined, { key: adminKey });
      expect(vouchers.body.data).toHaveLength(1);
    });
  });
});
