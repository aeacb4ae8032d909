import { expect, it } from 'vitest';
import { createKey, describeEachEngine } from './harness.js';
import { boughtBy, buy, memberWith, newReward } from './fixtures.js';

const DAY = 86_400_000;

describeEachEngine('changing a reward while it is in use', (t) => {
  it('never oversells when the reward is edited while fifty members buy it', async () => {
    const { adminKey } = await t.newProgram();
    const reward = await newReward(t, adminKey, { stock: 20 });
    const buyers = await Promise.all(Array.from({ length: 50 }, () => memberWith(t, adminKey, 10)));
    const results = await Promise.all(
      buyers.flatMap((userId, i) => [
        buy(t, adminKey, userId, reward.id),
        t.request('PATCH', `/v1/rewards/${reward.id}`, { name: `Edit ${i}` }, { key: adminKey }),
      ]),
    );
    const purchases = results.filter((r) => r.body?.purchase !== undefined);
    expect(purchases).toHaveLength(20);
    const after = await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey });
    expect(after.body.stock).toBe(0);
  });

  it('gives the vouchers bought while the static code and validUntil change the reward as it is once the change commits', async () => {
    const { adminKey } = await t.newProgram();
    const validUntil = new Date(t.clock.now().getTime() + 400 * DAY).toISOString();
    const rewards = {
      code: await newReward(t, adminKey, { pricePoints: 1, codeType: 'STATIC', codeFormat: undefined, staticCode: 'SPRING-SALE' }),
      expiry: await newReward(t, adminKey, { pricePoints: 1, validUntil }),
    };
    const buyers = await Promise.all(Array.from({ length: 40 }, () => memberWith(t, adminKey, 20)));
    for (const [which, change] of [
      ['code', { staticCode: 'SUMMER-SALE' }],
      ['expiry', { validUntil: new Date(t.clock.now().getTime() + 2 * DAY).toISOString() }],
    ] as const) {
      const reward = rewards[which];
      let done = 0;
      const purchases = buyers.flatMap((userId) => Array.from({ length: 6 }, () => buy(t, adminKey, userId, reward.id).then((r) => (done++, r))));
      // The change lands while purchases are still being made.
      while (done < 20) await new Promise((resolve) => setTimeout(resolve, 1));
      const patched = await t.request('PATCH', `/v1/rewards/${reward.id}`, change, { key: adminKey });
      expect(patched.status).toBe(200);
      const results = await Promise.all(purchases);
      expect(results.every((r) => r.status === 201)).toBe(true);
      const vouchers = await t.store.db.selectFrom('vouchers').select(['code', 'expires_at']).where('reward_id', '=', reward.id).execute();
      expect(vouchers).toHaveLength(240);
      if (which === 'code') expect(vouchers.filter((v) => v.code !== 'SUMMER-SALE')).toEqual([]);
      else expect(vouchers.filter((v) => v.expires_at === null || v.expires_at > change.validUntil)).toEqual([]);
    }
  });

  it('refuses instants that cannot be stored as UTC text, naming the field', async () => {
    const { adminKey } = await t.newProgram();
    for (const [field, value] of [
      ['validUntil', '9999-12-31T23:00:00-05:00'],
      ['availableFrom', '2016-12-31T23:59:60Z'],
    ] as const) {
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', incentives: [], [field]: value },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: `/body/${field}`, message: expect.any(String) }]);
    }
  });

  it('applies a per-user limit set later to the vouchers members already hold', async () => {
    const { adminKey } = await t.newProgram();
    const reward = await newReward(t, adminKey);
    const userId = await memberWith(t, adminKey, 100);
    for (let i = 0; i < 3; i++) expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
    await t.request('PATCH', `/v1/rewards/${reward.id}`, { perUserLimit: 2 }, { key: adminKey });
    const refused = await buy(t, adminKey, userId, reward.id);
    expect(refused.body.code).toBe('PER_USER_LIMIT_REACHED');
  });

  it('returns stock on a refund only when the purchase took some', async () => {
    const { adminKey } = await t.newProgram();
    const reward = await newReward(t, adminKey);
    const { purchase } = await boughtBy(t, adminKey, reward);
    await t.request('PATCH', `/v1/rewards/${reward.id}`, { stock: 0 }, { key: adminKey });
    expect((await t.request('POST', `/v1/purchases/${purchase.id}/refund`, undefined, { key: adminKey })).status).toBe(200);
    expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: adminKey })).body.stock).toBe(0);
  });

  it('moves the expiry of active vouchers when validUntil changes, and stops sales after it', async () => {
    const { adminKey } = await t.newProgram();
    const reward = await newReward(t, adminKey, { validityDays: 30 });
    const { voucher } = await boughtBy(t, adminKey, reward, 100);
    const validUntil = new Date(t.clock.now().getTime() + 2 * DAY).toISOString();
    await t.request('PATCH', `/v1/rewards/${reward.id}`, { validUntil }, { key: adminKey });
    const moved = await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey });
    expect(moved.body.expiresAt).toBe(validUntil);

    await t.request('PATCH', `/v1/rewards/${reward.id}`, { validUntil: null }, { key: adminKey });
    const restored = await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey });
    expect(restored.body.expiresAt).toBe(voucher.expiresAt);

    await t.request('PATCH', `/v1/rewards/${reward.id}`, { validUntil }, { key: adminKey });
    t.clock.advance(3 * DAY);
    try {
      expect((await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body.status).toBe('EXPIRED');
      const late = await buy(t, adminKey, voucher.userId, reward.id);
      expect(late.body.code).toBe('REWARD_NOT_AVAILABLE');
    } finally {
      t.clock.advance(-3 * DAY);
    }
  });

  it('shows a static code to administrators only', async () => {
    const { adminKey } = await t.newProgram();
    const app = await createKey(t, adminKey, 'app');
    const reward = await newReward(t, adminKey, { codeType: 'STATIC', staticCode: 'SUMMER-24', codeFormat: undefined });
    expect(reward.staticCode).toBe('SUMMER-24');
    const seen = await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: app.key });
    expect(seen.body.staticCode).toBeNull();
    const listed = await t.request('GET', '/v1/rewards', undefined, { key: app.key });
    expect(listed.body.data[0].staticCode).toBeNull();
  });
});
