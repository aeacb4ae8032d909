import { describe, expect, it } from 'vitest';
import { type TestApp, createKey, createMember, describeEachEngine } from './harness.js';
import { balanceOf, boughtBy, countRows, memberWith, newReward } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PROMO_CODE = /^PROMO-[0-9A-HJKMNP-TV-Z]{8}$/;
const UNKNOWN_VOUCHER = 'vch_01jz0000000000000000000000';
const UNKNOWN_PURCHASE = 'pur_01jz0000000000000000000000';

const getVoucher = async (t: TestApp, key: string, voucherId: string) => (await t.request('GET', `/v1/vouchers/${voucherId}`, undefined, { key })).body;
const stockOf = async (t: TestApp, key: string, rewardId: string) => (await t.request('GET', `/v1/rewards/${rewardId}`, undefined, { key })).body.stock;

interface Event {
  type: string;
  data: Record<string, unknown>;
}

/** The member's events other than the POINTS_ADJUSTED of their starting credit. */
const eventsOf = async (t: TestApp, key: string, userId: string): Promise<Event[]> =>
  (await t.request('GET', `/v1/events?userId=${userId}&limit=200`, undefined, { key })).body.data.filter((e: Event) => e.type !== 'POINTS_ADJUSTED');

/** Burns a voucher the way a till does. */
async function burn(t: TestApp, key: string, voucher: { code: string }): Promise<void> {
  const response = await t.request('POST', '/v1/voucher-validations', { code: voucher.code }, { key });
  if (response.body?.burned !== true) throw new Error(`could not burn: ${JSON.stringify(response.body)}`);
}

/** Everything a voucher action could change in a program, read straight from the database. */
async function footprint(t: TestApp, programId: string) {
  const db = t.store.db;
  return {
    balances: await db.selectFrom('users').select(['id', 'balance']).where('program_id', '=', programId).orderBy('id').execute(),
    stock: await db.selectFrom('rewards').select(['id', 'stock']).where('program_id', '=', programId).orderBy('id').execute(),
    holdings: await db.selectFrom('reward_holdings').selectAll().where('program_id', '=', programId).orderBy('reward_id').orderBy('user_id').execute(),
    vouchers: await db.selectFrom('vouchers').selectAll().where('program_id', '=', programId).orderBy('id').execute(),
    purchases: await db.selectFrom('purchases').selectAll().where('program_id', '=', programId).orderBy('id').execute(),
    ledgerEntries: await countRows(t, 'ledger_entries', programId),
    codes: await countRows(t, 'voucher_codes', programId),
    events: await countRows(t, 'events', programId),
  };
}

async function expectNothingBehind(t: TestApp, programId: string, action: () => Promise<void>): Promise<void> {
  const before = await footprint(t, programId);
  await action();
  expect(await footprint(t, programId)).toEqual(before);
}

const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();

describeEachEngine('vouchers', (t) => {
  describe('TWO_STEP and POST /v1/vouchers/{id}/reveal', () => {
    it('gives a TWO_STEP purchase a PURCHASED voucher with no code and no REDEEMED_VOUCHER', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP', validityDays: 7 });
      const { userId, voucher, purchase } = await boughtBy(t, adminKey, reward);
      expect(voucher).toMatchObject({ status: 'PURCHASED', code: null, activatedAt: null, expiresAt: null, purchaseId: purchase.id });
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'PURCHASED', code: null, validations: [] });
      expect((await eventsOf(t, adminKey, userId)).map((e) => e.type)).toEqual(['PURCHASED_REWARD']);
      expect(await countRows(t, 'voucher_codes', programId)).toBe(0);
      expect(await balanceOf(t, adminKey, userId)).toBe(0);
    });

    it('reveals it: ACTIVE with a code, and REDEEMED_VOUCHER carrying the code', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { userId, voucher, purchase } = await boughtBy(t, adminKey, reward);

      const revealed = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
      expect(revealed.status).toBe(200);
      expect(revealed.body).toMatchObject({ id: voucher.id, status: 'ACTIVE', code: expect.stringMatching(PROMO_CODE), activatedAt: expect.any(String) });
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'ACTIVE', code: revealed.body.code });

      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['PURCHASED_REWARD', 'REDEEMED_VOUCHER']);
      expect(JSON.stringify(events[0]!.data)).not.toContain(revealed.body.code);
      expect(events[1]!.data).toMatchObject({ voucherId: voucher.id, purchaseId: purchase.id, rewardId: reward.id, code: revealed.body.code });
    });

    it('lets an app key reveal, with an empty JSON object as body', async () => {
      const { adminKey } = await t.newProgram();
      const app = await createKey(t, adminKey, 'app');
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { voucher } = await boughtBy(t, adminKey, reward);
      const revealed = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, {}, { key: app.key });
      expect(revealed.status).toBe(200);
      expect(revealed.body.status).toBe('ACTIVE');
    });

    it('refuses a second reveal with INVALID_STATE, keeping the first code', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { voucher } = await boughtBy(t, adminKey, reward);
      const first = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
      await expectNothingBehind(t, programId, async () => {
        const again = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('INVALID_STATE');
      });
      expect((await getVoucher(t, adminKey, voucher.id)).code).toBe(first.body.code);
    });

    it('reveals exactly once when ten reveals arrive together', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      const results = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'INVALID_STATE')).toHaveLength(9);
      const winner = results.find((r) => r.status === 200)!;
      expect((await getVoucher(t, adminKey, voucher.id)).code).toBe(winner.body.code);
      expect(await countRows(t, 'voucher_codes', programId)).toBe(1);
      expect((await eventsOf(t, adminKey, userId)).filter((e) => e.type === 'REDEEMED_VOUCHER')).toHaveLength(1);
    });

    it('refuses to reveal a ONE_STEP voucher with INVALID_STATE', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
    });

    it('refuses to reveal a VOIDED voucher, which never gets a code', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { voucher } = await boughtBy(t, adminKey, reward);
      await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'VOIDED', code: null });
    });

    it('refuses to reveal a BURNED voucher', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      await burn(t, adminKey, voucher);
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
    });

    it('refuses to reveal an EXPIRED voucher', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { validityDays: 1 });
      const { voucher } = await boughtBy(t, adminKey, reward);
      t.clock.advance(2 * DAY);
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('EXPIRED');
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
    });

    it('answers 404 when revealing an unknown voucher', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', `/v1/vouchers/${UNKNOWN_VOUCHER}/reveal`, undefined, { key: adminKey });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });
  });

  describe('POST /v1/vouchers/{id}/void', () => {
    it('voids a PURCHASED voucher and emits VOUCHER_VOIDED, giving no points back', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' });
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      const response = await t.request('POST', `/v1/vouchers/${voucher.id}/void`, { reason: 'duplicate order' }, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: voucher.id, status: 'VOIDED', code: null, voidedAt: expect.any(String) });
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'VOIDED' });
      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['PURCHASED_REWARD', 'VOUCHER_VOIDED']);
      expect(events[1]!.data).toMatchObject({ voucherId: voucher.id, rewardId: reward.id, reason: 'duplicate order' });
      expect(await balanceOf(t, adminKey, userId)).toBe(0);
    });

    it('voids an ACTIVE voucher with an empty body', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      const response = await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: voucher.id, status: 'VOIDED', code: voucher.code });
      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['PURCHASED_REWARD', 'REDEEMED_VOUCHER', 'VOUCHER_VOIDED']);
      expect(events[2]!.data).toMatchObject({ voucherId: voucher.id, reason: null });
    });

    it('voids an EXPIRED voucher, which was never used', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { validityDays: 1 });
      const { voucher } = await boughtBy(t, adminKey, reward);
      t.clock.advance(2 * DAY);
      const response = await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('VOIDED');
    });

    it('refuses to void a VOIDED voucher with INVALID_STATE, changing nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/void`, { reason: 'again' }, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
    });

    it('refuses to void a BURNED voucher with INVALID_STATE, changing nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      await burn(t, adminKey, voucher);
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
    });

    it('voids exactly once when ten voids arrive together', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      const results = await Promise.all(Array.from({ length: 10 }, () => t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'INVALID_STATE')).toHaveLength(9);
      expect((await eventsOf(t, adminKey, userId)).filter((e) => e.type === 'VOUCHER_VOIDED')).toHaveLength(1);
    });

    it('answers 404 for an unknown voucher and for another program’s voucher', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const reward = await newReward(t, b.adminKey);
      const { voucher } = await boughtBy(t, b.adminKey, reward);
      for (const id of [UNKNOWN_VOUCHER, voucher.id]) {
        const response = await t.request('POST', `/v1/vouchers/${id}/void`, undefined, { key: a.adminKey });
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      }
      expect((await getVoucher(t, b.adminKey, voucher.id)).status).toBe('ACTIVE');
    });
  });

  describe('POST /v1/purchases/{id}/refund', () => {
    it('refunds an ACTIVE voucher’s purchase: points back, voucher VOIDED, stock returned, PURCHASE_REFUNDED', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 40, stock: 3 });
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward, 5);
      expect(await stockOf(t, adminKey, reward.id)).toBe(2);

      const response = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, { reason: 'customer complaint' }, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        purchase: { id: purchase.id, status: 'REFUNDED', refundedAt: expect.any(String) },
        voucher: { id: voucher.id, status: 'VOIDED', voidedAt: expect.any(String) },
        balance: 45,
      });
      expect(await balanceOf(t, adminKey, userId)).toBe(45);
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'VOIDED' });
      expect(await stockOf(t, adminKey, reward.id)).toBe(3);

      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.entries.map((e: { kind: string; delta: number }) => [e.kind, e.delta])).toEqual([
        ['REFUND', 40],
        ['PURCHASE', -40],
        ['ADJUSTMENT', 45],
      ]);
      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['PURCHASED_REWARD', 'REDEEMED_VOUCHER', 'PURCHASE_REFUNDED', 'VOUCHER_VOIDED']);
      expect(events[2]!.data).toMatchObject({ purchaseId: purchase.id, voucherId: voucher.id, pricePoints: 40, balance: 45, reason: 'customer complaint' });
    });

    it('refunds a PURCHASED (unrevealed) voucher’s purchase, with an empty body', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 40, redemptionFlow: 'TWO_STEP' });
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward);
      const response = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ voucher: { status: 'VOIDED', code: null }, balance: 40 });
      expect(await balanceOf(t, adminKey, userId)).toBe(40);
      expect((await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey })).body.code).toBe('INVALID_STATE');
    });

    it('gives back the member’s per-user allowance', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, perUserLimit: 1 });
      const { userId, purchase } = await boughtBy(t, adminKey, reward);
      const buy = () => t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.id }, { key: adminKey });
      expect((await buy()).body.code).toBe('PER_USER_LIMIT_REACHED');
      await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
      expect((await buy()).status).toBe(201);
    });

    it('refuses a second refund with INVALID_STATE, changing nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5, perUserLimit: 2 });
      const { userId, purchase } = await boughtBy(t, adminKey, reward);
      expect((await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey })).status).toBe(200);
      await expectNothingBehind(t, programId, async () => {
        const again = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('INVALID_STATE');
      });
      expect(await balanceOf(t, adminKey, userId)).toBe(10);
      expect(await stockOf(t, adminKey, reward.id)).toBe(5);
    });

    it('refunds exactly once when ten refunds arrive together', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5 });
      const { userId, purchase } = await boughtBy(t, adminKey, reward);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'INVALID_STATE')).toHaveLength(9);
      expect(await balanceOf(t, adminKey, userId)).toBe(10);
      expect(await stockOf(t, adminKey, reward.id)).toBe(5);
    });

    it('answers a retry with the same Idempotency-Key with the first refund, crediting once', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10 });
      const { userId, purchase } = await boughtBy(t, adminKey, reward);
      const send = () => t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey, headers: { 'idempotency-key': 'refund-1' } });
      const first = await send();
      const retry = await send();
      expect(first.status).toBe(200);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      expect(await balanceOf(t, adminKey, userId)).toBe(10);
    });

    it('still returns the points for a purchase whose voucher was voided', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 25, stock: 2 });
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward);
      await t.request('POST', `/v1/vouchers/${voucher.id}/void`, undefined, { key: adminKey });
      expect(await balanceOf(t, adminKey, userId)).toBe(0);

      const response = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ purchase: { status: 'REFUNDED' }, voucher: { status: 'VOIDED' }, balance: 25 });
      expect(await balanceOf(t, adminKey, userId)).toBe(25);
      expect(await stockOf(t, adminKey, reward.id)).toBe(2);
      const events = await eventsOf(t, adminKey, userId);
      expect(events.map((e) => e.type)).toEqual(['PURCHASED_REWARD', 'REDEEMED_VOUCHER', 'VOUCHER_VOIDED', 'PURCHASE_REFUNDED']);
    });

    it('refunds the purchase of an EXPIRED voucher', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 25, validityDays: 1 });
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward);
      t.clock.advance(2 * DAY);
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('EXPIRED');
      const response = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(await balanceOf(t, adminKey, userId)).toBe(25);
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('VOIDED');
    });

    it('refuses to refund once the voucher is burned, with INVALID_STATE, changing nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 10, stock: 5, perUserLimit: 2 });
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward);
      await burn(t, adminKey, voucher);
      await expectNothingBehind(t, programId, async () => {
        const response = await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      });
      expect(await balanceOf(t, adminKey, userId)).toBe(0);
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'BURNED' });
    });

    it('answers 404 for an unknown purchase and for another program’s purchase', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const reward = await newReward(t, b.adminKey);
      const { userId, purchase } = await boughtBy(t, b.adminKey, reward);
      for (const id of [UNKNOWN_PURCHASE, purchase.id]) {
        const response = await t.request('POST', `/v1/purchases/${id}/refund`, undefined, { key: a.adminKey });
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      }
      expect(await balanceOf(t, b.adminKey, userId)).toBe(0);
    });
  });

  describe('expiry', () => {
    it('expires validityDays after activation when only validityDays is set', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { validityDays: 30 });
      const { voucher } = await boughtBy(t, adminKey, reward);
      expect(voucher.expiresAt).toBe(plusDays(voucher.activatedAt, 30));
    });

    it('expires at validUntil when only validUntil is set', async () => {
      const { adminKey } = await t.newProgram();
      const validUntil = new Date(t.clock.now().getTime() + 10 * DAY).toISOString();
      const reward = await newReward(t, adminKey, { validUntil });
      const { voucher } = await boughtBy(t, adminKey, reward);
      expect(voucher.expiresAt).toBe(validUntil);
    });

    it('takes the earlier of validityDays and validUntil', async () => {
      const { adminKey } = await t.newProgram();
      const now = t.clock.now().getTime();
      const untilFirst = await newReward(t, adminKey, { validityDays: 10, validUntil: new Date(now + 5 * DAY).toISOString() });
      const daysFirst = await newReward(t, adminKey, { validityDays: 3, validUntil: new Date(now + 5 * DAY).toISOString() });
      const a = (await boughtBy(t, adminKey, untilFirst)).voucher;
      const b = (await boughtBy(t, adminKey, daysFirst)).voucher;
      expect(a.expiresAt).toBe(new Date(now + 5 * DAY).toISOString());
      expect(b.expiresAt).toBe(plusDays(b.activatedAt, 3));
    });

    it('never expires with neither set', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      expect(voucher.expiresAt).toBeNull();
      t.clock.advance(400 * DAY);
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('ACTIVE');
    });

    it('counts validityDays from the reveal of a TWO_STEP voucher, not from its purchase', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP', validityDays: 3 });
      const { voucher } = await boughtBy(t, adminKey, reward);
      t.clock.advance(5 * DAY);
      const revealed = await t.request('POST', `/v1/vouchers/${voucher.id}/reveal`, undefined, { key: adminKey });
      expect(revealed.body.status).toBe('ACTIVE');
      expect(revealed.body.expiresAt).toBe(plusDays(revealed.body.activatedAt, 3));
      expect(Date.parse(revealed.body.activatedAt) - Date.parse(voucher.createdAt)).toBeGreaterThanOrEqual(5 * DAY);
    });

    it('shows a voucher past its expiry as EXPIRED, in reads and in the status filters', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { validityDays: 2 });
      const lasting = await newReward(t, adminKey);
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      const other = (await boughtBy(t, adminKey, lasting)).voucher;
      const list = async (status: string) =>
        (await t.request('GET', `/v1/vouchers?status=${status}`, undefined, { key: adminKey })).body.data.map((v: { id: string }) => v.id);

      expect(await list('ACTIVE')).toEqual([voucher.id, other.id]);
      expect(await list('EXPIRED')).toEqual([]);

      t.clock.advance(2 * DAY + HOUR);
      expect(await getVoucher(t, adminKey, voucher.id)).toMatchObject({ status: 'EXPIRED', code: voucher.code, expiresAt: voucher.expiresAt });
      expect(await list('EXPIRED')).toEqual([voucher.id]);
      expect(await list('ACTIVE')).toEqual([other.id]);
      const mine = await t.request('GET', `/v1/vouchers?userId=${userId}`, undefined, { key: adminKey });
      expect(mine.body.data).toEqual([expect.objectContaining({ id: voucher.id, status: 'EXPIRED' })]);
      const found = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(voucher.code)}`, undefined, { key: adminKey });
      expect(found.body).toMatchObject({ id: voucher.id, status: 'EXPIRED' });
    });

    it('is EXPIRED from the very instant of expiresAt', async () => {
      const { adminKey } = await t.newProgram();
      const validUntil = t.clock.now().getTime() + HOUR;
      const reward = await newReward(t, adminKey, { validUntil: new Date(validUntil).toISOString() });
      const { voucher } = await boughtBy(t, adminKey, reward);
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('ACTIVE');
      t.clock.advance(validUntil - t.clock.now().getTime());
      expect((await getVoucher(t, adminKey, voucher.id)).status).toBe('EXPIRED');
    });
  });

  describe('GET /v1/vouchers and GET /v1/vouchers/{id}', () => {
    it('reads one voucher with its (so far empty) validations', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const { voucher } = await boughtBy(t, adminKey, reward);
      const response = await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ ...voucher, validations: [] });
    });

    it('answers 404 for an unknown voucher and for another program’s voucher', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const reward = await newReward(t, b.adminKey);
      const { voucher } = await boughtBy(t, b.adminKey, reward);
      for (const id of [UNKNOWN_VOUCHER, voucher.id]) {
        const response = await t.request('GET', `/v1/vouchers/${id}`, undefined, { key: a.adminKey });
        expect(response.status).toBe(404);
      }
    });

    it('lists the program’s vouchers by member, reward and status, oldest first', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      await boughtBy(t, b.adminKey, await newReward(t, b.adminKey));
      const coffee = await newReward(t, a.adminKey, { pricePoints: 1 });
      const cake = await newReward(t, a.adminKey, { pricePoints: 1, redemptionFlow: 'TWO_STEP' });
      const ada = await memberWith(t, a.adminKey, 10);
      const bob = await memberWith(t, a.adminKey, 10);
      const buy = async (userId: string, rewardId: string) =>
        (await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId }, { key: a.adminKey })).body.voucher.id as string;
      const v1 = await buy(ada, coffee.id);
      const v2 = await buy(ada, cake.id);
      const v3 = await buy(bob, coffee.id);
      const v4 = await buy(bob, coffee.id);
      await t.request('POST', `/v1/vouchers/${v4}/void`, undefined, { key: a.adminKey });

      const ids = async (query: string) =>
        (await t.request('GET', `/v1/vouchers${query}`, undefined, { key: a.adminKey })).body.data.map((v: { id: string }) => v.id);
      expect(await ids('')).toEqual([v1, v2, v3, v4]);
      expect(await ids(`?userId=${ada}`)).toEqual([v1, v2]);
      expect(await ids(`?rewardId=${coffee.id}`)).toEqual([v1, v3, v4]);
      expect(await ids('?status=PURCHASED')).toEqual([v2]);
      expect(await ids('?status=ACTIVE')).toEqual([v1, v3]);
      expect(await ids('?status=VOIDED')).toEqual([v4]);
      expect(await ids('?status=BURNED')).toEqual([]);
      expect(await ids(`?userId=${bob}&rewardId=${coffee.id}&status=ACTIVE`)).toEqual([v3]);

      const first = await t.request('GET', '/v1/vouchers?limit=3', undefined, { key: a.adminKey });
      expect(first.body.data.map((v: { id: string }) => v.id)).toEqual([v1, v2, v3]);
      const second = await t.request('GET', `/v1/vouchers?limit=3&cursor=${first.body.nextCursor}`, undefined, { key: a.adminKey });
      expect(second.body.data.map((v: { id: string }) => v.id)).toEqual([v4]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('lists ACTIVE and EXPIRED vouchers by expiry, soonest first, those that never expire last, page by page', async () => {
      const { adminKey } = await t.newProgram();
      const week = await newReward(t, adminKey, { pricePoints: 1, validityDays: 7 });
      const twoDays = await newReward(t, adminKey, { pricePoints: 1, validityDays: 2 });
      const lasting = await newReward(t, adminKey, { pricePoints: 1 });
      const ada = await memberWith(t, adminKey, 100);
      const bob = await memberWith(t, adminKey, 100);
      const buy = async (userId: string, rewardId: string) =>
        (await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId }, { key: adminKey })).body.voucher as { id: string; expiresAt: string | null };
      const bought: { id: string; expiresAt: string | null }[] = [];
      for (const [userId, reward] of [[ada, week], [bob, lasting], [ada, twoDays], [bob, week], [ada, lasting], [bob, twoDays], [ada, week]] as const) {
        bought.push(await buy(userId, reward.id));
        t.clock.advance(HOUR);
      }
      const byExpiry = (vouchers: typeof bought) =>
        [...vouchers].map((v) => [v.expiresAt ?? '~', v.id] as const).sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1)).map(([, id]) => id);
      /** Every page of a list, two at a time. */
      const walk = async (query: string) => {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await t.request('GET', `/v1/vouchers?limit=2${query}${cursor === null ? '' : `&cursor=${cursor}`}`, undefined, { key: adminKey });
          expect(page.status).toBe(200);
          ids.push(...page.body.data.map((v: { id: string }) => v.id));
          cursor = page.body.nextCursor;
        } while (cursor !== null);
        return ids;
      };
      const expect3 = async (status: 'ACTIVE' | 'EXPIRED', vouchers: typeof bought) => {
        expect(await walk(`&status=${status}`)).toEqual(byExpiry(vouchers));
        expect(await walk(`&status=${status}&rewardId=${week.id}`)).toEqual(byExpiry(vouchers.filter((v) => week.id === rewardOf(v))));
        expect(await walk(`&status=${status}&userId=${ada}`)).toEqual(byExpiry(vouchers.filter((v) => bought.indexOf(v) % 2 === 0)));
        expect(await walk(`&status=${status}&userId=${bob}&rewardId=${lasting.id}`)).toEqual(byExpiry(vouchers.filter((v) => v === bought[1])));
      };
      const rewards = [week, lasting, twoDays, week, lasting, twoDays, week];
      const rewardOf = (v: (typeof bought)[number]) => rewards[bought.indexOf(v)]!.id;

      // The two-day vouchers expire first, though bought after the first week's.
      expect(byExpiry(bought).slice(0, 2)).toEqual([bought[2]!.id, bought[5]!.id]);
      await expect3('ACTIVE', bought);
      await expect3('EXPIRED', []);
      t.clock.advance(3 * DAY);
      const expired = [bought[2]!, bought[5]!];
      await expect3('ACTIVE', bought.filter((v) => !expired.includes(v)));
      await expect3('EXPIRED', expired);

      // A cursor of one kind of list is refused by the other.
      const active = await t.request('GET', '/v1/vouchers?limit=1&status=ACTIVE', undefined, { key: adminKey });
      const all = await t.request('GET', '/v1/vouchers?limit=1', undefined, { key: adminKey });
      for (const url of [`/v1/vouchers?cursor=${active.body.nextCursor}`, `/v1/vouchers?status=EXPIRED&cursor=${all.body.nextCursor}`]) {
        const refused = await t.request('GET', url, undefined, { key: adminKey });
        expect(refused.status).toBe(400);
        expect(refused.body.errors[0].path).toBe('/querystring/cursor');
      }
    });

    it('refuses an unknown status filter', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('GET', '/v1/vouchers?status=USED', undefined, { key: adminKey });
      expect(response.status).toBe(400);
    });
  });

  describe('GET /v1/vouchers/lookup', () => {
    it('finds a voucher by any spelling of its code: case, spaces, O for 0, I or L for 1', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { codeLength: 32, pricePoints: 0 });
      const userId = await memberWith(t, adminKey, 0);
      // Gift vouchers until one's random part holds both a 0 and a 1 (about 40% of 32-symbol codes do).
      let voucher: { id: string; code: string } | undefined;
      for (let i = 0; i < 60 && voucher === undefined; i++) {
        const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
        const random = (gift.body.code as string).slice('PROMO-'.length);
        if (random.includes('0') && random.includes('1')) voucher = gift.body;
      }
      if (voucher === undefined) throw new Error('no code with both a 0 and a 1 in 60 tries');
      const { code } = voucher;
      const random = code.slice('PROMO-'.length);
      const spellings = [
        code,
        code.toLowerCase(),
        ` PROMO - ${random.match(/.{1,4}/g)!.join(' ')}  `,
        code.replaceAll('0', 'O'),
        code.replaceAll('0', 'o').toLowerCase(),
        code.replaceAll('1', 'I'),
        code.replaceAll('1', 'L'),
        code.replaceAll('1', 'l').toLowerCase(),
        code.replaceAll('1', 'i').toLowerCase(),
        `PR0M0-${random}`,
        `pr0m0 - ${random.replaceAll('0', 'o').replaceAll('1', 'l').toLowerCase().match(/.{1,8}/g)!.join(' ')}`,
      ];
      for (const spelling of spellings) {
        const response = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(spelling)}`, undefined, { key: adminKey });
        expect(response.status, spelling).toBe(200);
        expect(response.body).toMatchObject({ id: voucher.id, code, userId, status: 'ACTIVE' });
      }
    });

    it('ignores a tab or line break pasted around or inside the code, as it ignores spaces', async () => {
      const { adminKey } = await t.newProgram();
      const { voucher } = await boughtBy(t, adminKey, await newReward(t, adminKey));
      const random = voucher.code.slice('PROMO-'.length);
      for (const spelling of [`${voucher.code}\n`, `\t${voucher.code}\r\n`, `PROMO-${random.slice(0, 4)}\t${random.slice(4)}`]) {
        const response = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(spelling)}`, undefined, { key: adminKey });
        expect(response.status, JSON.stringify(spelling)).toBe(200);
        expect(response.body.id).toBe(voucher.id);
      }
    });

    it('answers 404 for an unknown code, a near miss and another program’s code', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const mine = (await boughtBy(t, a.adminKey, await newReward(t, a.adminKey))).voucher;
      const theirs = (await boughtBy(t, b.adminKey, await newReward(t, b.adminKey))).voucher;
      const last = mine.code.slice(-1);
      const nearMiss = mine.code.slice(0, -1) + (last === 'Z' ? 'Y' : 'Z');
      for (const code of ['PROMO-NOTACODE', nearMiss, theirs.code]) {
        const response = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(code)}`, undefined, { key: a.adminKey });
        expect(response.status, code).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('GET /v1/vouchers/{id}/barcode.svg', () => {
    it('renders the code as an SVG QR code and as a Code 128 barcode', async () => {
      const { adminKey } = await t.newProgram();
      const { voucher } = await boughtBy(t, adminKey, await newReward(t, adminKey));
      const images: string[] = [];
      for (const query of ['', '?type=qrcode', '?type=code128']) {
        const response = await t.request('GET', `/v1/vouchers/${voucher.id}/barcode.svg${query}`, undefined, { key: adminKey });
        expect(response.status, query).toBe(200);
        expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/);
        expect(typeof response.body).toBe('string');
        expect(response.body).toMatch(/<svg[\s>]/);
        expect(response.body).toMatch(/<\/svg>\s*$/);
        images.push(response.body);
      }
      expect(images[0]).toBe(images[1]);
      expect(images[2]).not.toBe(images[1]);
    });

    it('answers 409 INVALID_STATE for a voucher with no code yet', async () => {
      const { adminKey } = await t.newProgram();
      const { voucher } = await boughtBy(t, adminKey, await newReward(t, adminKey, { redemptionFlow: 'TWO_STEP' }));
      for (const type of ['qrcode', 'code128']) {
        const response = await t.request('GET', `/v1/vouchers/${voucher.id}/barcode.svg?type=${type}`, undefined, { key: adminKey });
        expect(response.status).toBe(409);
        expect(response.body.code).toBe('INVALID_STATE');
      }
    });

    it('refuses an unknown barcode type and answers 404 for an unknown voucher', async () => {
      const { adminKey } = await t.newProgram();
      const { voucher } = await boughtBy(t, adminKey, await newReward(t, adminKey));
      expect((await t.request('GET', `/v1/vouchers/${voucher.id}/barcode.svg?type=ean13`, undefined, { key: adminKey })).status).toBe(400);
      expect((await t.request('GET', `/v1/vouchers/${UNKNOWN_VOUCHER}/barcode.svg`, undefined, { key: adminKey })).status).toBe(404);
    });
  });
});
