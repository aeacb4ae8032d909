import { describe, expect, it } from 'vitest';
import { type TestApp, createMember, describeEachEngine } from './harness.js';
import { buy, memberWith, newReward } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const UNKNOWN_REWARD = 'rwd_01jz0000000000000000000000';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const getReward = async (t: TestApp, key: string, rewardId: string) => (await t.request('GET', `/v1/rewards/${rewardId}`, undefined, { key })).body;

describeEachEngine('rewards', (t) => {
  describe('POST /v1/rewards', () => {
    it('creates a ONE_TIME reward with every optional setting at its default', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'Free coffee', pricePoints: 150, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100, productSku: 'COFFEE' }] },
        { key: adminKey },
      );
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^rwd_[0-9a-z]{26}$/),
        status: 'ACTIVE',
        name: 'Free coffee',
        description: null,
        pricePoints: 150,
        codeType: 'ONE_TIME',
        codeFormat: '{code}',
        codeLength: 8,
        staticCode: null,
        redemptionFlow: 'ONE_STEP',
        validityDays: null,
        validUntil: null,
        availableFrom: null,
        availableUntil: null,
        purchasable: true,
        stock: null,
        perUserLimit: null,
        venues: null,
        lowStockThreshold: null,
        incentives: [{ type: 'PERCENTAGE', value: 100, productSku: 'COFFEE' }],
        guessability: { bitsPerCode: 40, liveCodes: 0, expectedGuessesPerHit: null },
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
    });

    it('keeps every setting it is given, with times in one UTC form', async () => {
      const { adminKey } = await t.newProgram();
      const body = {
        name: 'Cake',
        description: 'A slice of any cake',
        pricePoints: 0,
        codeType: 'ONE_TIME',
        codeFormat: 'CAKE-{code}-X',
        codeLength: 12,
        redemptionFlow: 'TWO_STEP',
        validityDays: 30,
        validUntil: '2031-01-01T00:00:00+01:00',
        availableFrom: '2030-01-01T00:00:00Z',
        availableUntil: '2030-12-31T23:59:59.000Z',
        purchasable: false,
        stock: 500,
        perUserLimit: 3,
        venues: ['store-042', 'store-043'],
        incentives: [
          { type: 'AMOUNT_OFF', value: 450, currency: 'GBP', productSku: 'CAKE-1', posSku: 'P-CAKE', minSpend: 1000, maxDiscount: 450 },
          { type: 'PRICE_OVERRIDE', value: 99, currency: 'EUR' },
        ],
      };
      const response = await t.request('POST', '/v1/rewards', body, { key: adminKey });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        ...body,
        validUntil: '2030-12-31T23:00:00.000Z',
        availableFrom: '2030-01-01T00:00:00.000Z',
        availableUntil: '2030-12-31T23:59:59.000Z',
        staticCode: null,
        lowStockThreshold: null,
        guessability: { bitsPerCode: 60, liveCodes: 0, expectedGuessesPerHit: null },
      });
    });

    it('creates a STATIC reward with its code and no guessability', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'Summer', pricePoints: 0, codeType: 'STATIC', staticCode: 'SUMMER24', incentives: [{ type: 'PERCENTAGE', value: 10 }] },
        { key: adminKey },
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ codeType: 'STATIC', staticCode: 'SUMMER24', guessability: null });
    });

    it('refuses a codeFormat without {code}, naming the field', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', codeFormat: 'PROMO-CODE', incentives: [] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/body/codeFormat', message: expect.any(String) }] });
    });

    it('refuses a codeFormat with {code} twice, naming the field', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', codeFormat: '{code}-{code}', incentives: [] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/codeFormat', message: expect.any(String) }]);
    });

    it.each([0, 101])('refuses a PERCENTAGE of %i at /body/incentives/0/value', async (value) => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value }] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(response.body.errors).toEqual([{ path: '/body/incentives/0/value', message: expect.any(String) }]);
    });

    it('accepts PERCENTAGE values 1 and 100', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 1 }, { type: 'PERCENTAGE', value: 100 }] },
        { key: adminKey },
      );
      expect(response.status).toBe(201);
    });

    it.each(['AMOUNT_OFF', 'PRICE_OVERRIDE'])('refuses %s without a currency at /body/incentives/0/currency', async (type) => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', incentives: [{ type, value: 500 }] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/incentives/0/currency', message: expect.any(String) }]);
    });

    it('names the incentive at fault by its position in the list', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        {
          name: 'x',
          pricePoints: 1,
          codeType: 'ONE_TIME',
          incentives: [{ type: 'PERCENTAGE', value: 10 }, { type: 'AMOUNT_OFF', value: 5, currency: 'GBP' }, { type: 'AMOUNT_OFF', value: 5 }],
        },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/incentives/2/currency', message: expect.any(String) }]);
    });

    it('refuses an availableUntil before availableFrom at /body/availableUntil', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        {
          name: 'x',
          pricePoints: 1,
          codeType: 'ONE_TIME',
          availableFrom: '2030-06-01T00:00:00Z',
          availableUntil: '2030-05-31T23:59:59Z',
          incentives: [],
        },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/availableUntil', message: expect.any(String) }]);
    });

    it('compares availability times as instants, whatever their offsets', async () => {
      const { adminKey } = await t.newProgram();
      // 02:00+03:00 is 23:00 the day before: before availableFrom, though it reads later.
      const response = await t.request(
        'POST',
        '/v1/rewards',
        {
          name: 'x',
          pricePoints: 1,
          codeType: 'ONE_TIME',
          availableFrom: '2030-06-01T00:00:00Z',
          availableUntil: '2030-06-01T02:00:00+03:00',
          incentives: [],
        },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/availableUntil', message: expect.any(String) }]);
    });

    it('requires staticCode for a STATIC reward', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', '/v1/rewards', { name: 'x', pricePoints: 1, codeType: 'STATIC', incentives: [] }, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/staticCode', message: expect.any(String) }]);
    });

    it('refuses a codeFormat on a STATIC reward', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'STATIC', staticCode: 'SUMMER', codeFormat: 'PROMO-{code}', incentives: [] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/codeFormat', message: expect.any(String) }]);
    });

    it('refuses a staticCode on a ONE_TIME reward', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', staticCode: 'SUMMER', incentives: [] },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/staticCode', message: expect.any(String) }]);
    });

    it('names every field at fault at once, and creates nothing', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request(
        'POST',
        '/v1/rewards',
        {
          name: 'x',
          pricePoints: 1,
          codeType: 'ONE_TIME',
          codeFormat: 'NO-PLACEHOLDER',
          availableFrom: '2030-06-01T00:00:00Z',
          availableUntil: '2030-01-01T00:00:00Z',
          incentives: [{ type: 'PERCENTAGE', value: 150 }],
        },
        { key: adminKey },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
        ['/body/availableUntil', '/body/codeFormat', '/body/incentives/0/value'].sort(),
      );
      const list = await t.request('GET', '/v1/rewards', undefined, { key: adminKey });
      expect(list.body.data).toEqual([]);
    });

    it('refuses a codeLength outside 6–32', async () => {
      const { adminKey } = await t.newProgram();
      for (const codeLength of [5, 33]) {
        const response = await t.request(
          'POST',
          '/v1/rewards',
          { name: 'x', pricePoints: 1, codeType: 'ONE_TIME', codeLength, incentives: [] },
          { key: adminKey },
        );
        expect(response.status).toBe(400);
        expect(response.body.errors).toEqual([expect.objectContaining({ path: '/body/codeLength' })]);
      }
    });
  });

  describe('GET /v1/rewards and GET /v1/rewards/{id}', () => {
    it('reads a reward back as it was created', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey, { stock: 7 });
      const read = await t.request('GET', `/v1/rewards/${created.id}`, undefined, { key: adminKey });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created);
    });

    it('answers 404 for an unknown reward and for another program’s reward', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const theirs = await newReward(t, b.adminKey);
      for (const id of [UNKNOWN_REWARD, theirs.id]) {
        const response = await t.request('GET', `/v1/rewards/${id}`, undefined, { key: a.adminKey });
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('NOT_FOUND');
      }
    });

    it('lists the program’s rewards, filtered by status', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      await newReward(t, b.adminKey, { name: 'not ours' });
      const kept = await newReward(t, a.adminKey, { name: 'kept' });
      const gone = await newReward(t, a.adminKey, { name: 'gone' });
      await t.request('POST', `/v1/rewards/${gone.id}/archive`, undefined, { key: a.adminKey });

      const all = await t.request('GET', '/v1/rewards', undefined, { key: a.adminKey });
      expect(all.status).toBe(200);
      expect(all.body.data.map((r: { name: string }) => r.name)).toEqual(['kept', 'gone']);
      expect(all.body.nextCursor).toBeNull();
      const active = await t.request('GET', '/v1/rewards?status=ACTIVE', undefined, { key: a.adminKey });
      expect(active.body.data.map((r: { id: string }) => r.id)).toEqual([kept.id]);
      const archived = await t.request('GET', '/v1/rewards?status=ARCHIVED', undefined, { key: a.adminKey });
      expect(archived.body.data.map((r: { id: string }) => r.id)).toEqual([gone.id]);
      expect(archived.body.data[0].status).toBe('ARCHIVED');
    });

    it('refuses an unknown status filter', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('GET', '/v1/rewards?status=DELETED', undefined, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('pages through rewards oldest first', async () => {
      const { adminKey } = await t.newProgram();
      for (let i = 0; i < 5; i++) await newReward(t, adminKey, { name: `r${i}` });
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: { name: string }[]; nextCursor: string | null } } = await t.request(
          'GET',
          `/v1/rewards?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          { key: adminKey },
        );
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        names.push(...page.body.data.map((r) => r.name));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(names).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    });
  });

  describe('PATCH /v1/rewards/{id}', () => {
    it('changes presentation, price, availability, stock and incentives, and clears optional settings with null', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey, { description: 'old', stock: 5, perUserLimit: 2 });
      t.clock.advance(1000);
      const response = await t.request(
        'PATCH',
        `/v1/rewards/${created.id}`,
        {
          name: 'Large coffee',
          description: null,
          pricePoints: 250,
          stock: 40,
          perUserLimit: null,
          availableUntil: '2040-01-01T00:00:00Z',
          incentives: [{ type: 'AMOUNT_OFF', value: 300, currency: 'GBP' }],
        },
        { key: adminKey },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: created.id,
        name: 'Large coffee',
        description: null,
        pricePoints: 250,
        stock: 40,
        perUserLimit: null,
        availableUntil: '2040-01-01T00:00:00.000Z',
        incentives: [{ type: 'AMOUNT_OFF', value: 300, currency: 'GBP' }],
        codeType: 'ONE_TIME',
        codeFormat: 'PROMO-{code}',
        createdAt: created.createdAt,
      });
      expect(response.body.updatedAt > created.updatedAt).toBe(true);
      expect(await getReward(t, adminKey, created.id)).toEqual(response.body);
    });

    it('refuses to change the code type, naming /body/codeType, and changes nothing', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey);
      const response = await t.request('PATCH', `/v1/rewards/${created.id}`, { codeType: 'STATIC', staticCode: 'X', name: 'renamed' }, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/codeType', message: expect.any(String) }]);
      expect(await getReward(t, adminKey, created.id)).toEqual(created);
    });

    it('accepts the code type it already has', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey);
      const response = await t.request('PATCH', `/v1/rewards/${created.id}`, { codeType: 'ONE_TIME', name: 'same type' }, { key: adminKey });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ codeType: 'ONE_TIME', name: 'same type' });
    });

    it('checks the cross-field rules against the reward as it would become', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey, { availableFrom: '2030-06-01T00:00:00Z' });
      const cases: [object, string][] = [
        [{ availableUntil: '2030-01-01T00:00:00Z' }, '/body/availableUntil'],
        [{ codeFormat: 'NOPE-NOPE' }, '/body/codeFormat'],
        [{ incentives: [{ type: 'PERCENTAGE', value: 101 }] }, '/body/incentives/0/value'],
        [{ incentives: [{ type: 'AMOUNT_OFF', value: 100 }] }, '/body/incentives/0/currency'],
      ];
      for (const [changes, path] of cases) {
        const response = await t.request('PATCH', `/v1/rewards/${created.id}`, changes, { key: adminKey });
        expect(response.status, JSON.stringify(changes)).toBe(400);
        expect(response.body.errors).toEqual([{ path, message: expect.any(String) }]);
      }
      expect(await getReward(t, adminKey, created.id)).toEqual(created);
    });

    it('refuses a codeFormat on a STATIC reward', async () => {
      const { adminKey } = await t.newProgram();
      const created = await newReward(t, adminKey, { codeType: 'STATIC', staticCode: 'SUMMER', codeFormat: undefined });
      const response = await t.request('PATCH', `/v1/rewards/${created.id}`, { codeFormat: 'X-{code}' }, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/codeFormat', message: expect.any(String) }]);
    });

    it('answers 404 for an unknown reward', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('PATCH', `/v1/rewards/${UNKNOWN_REWARD}`, { name: 'x' }, { key: adminKey });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });
  });

  describe('stock', () => {
    it('shows the remaining stock, taken down one by each purchase until OUT_OF_STOCK', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { stock: 3, pricePoints: 1 });
      expect(reward.stock).toBe(3);
      const userId = await memberWith(t, adminKey, 100);
      for (const left of [2, 1, 0]) {
        expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
        expect((await getReward(t, adminKey, reward.id)).stock).toBe(left);
      }
      const refused = await buy(t, adminKey, userId, reward.id);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('OUT_OF_STOCK');
      expect((await getReward(t, adminKey, reward.id)).stock).toBe(0);
    });

    it('can be restocked with PATCH', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { stock: 0, pricePoints: 1 });
      const userId = await memberWith(t, adminKey, 100);
      expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('OUT_OF_STOCK');
      const patched = await t.request('PATCH', `/v1/rewards/${reward.id}`, { stock: 1 }, { key: adminKey });
      expect(patched.body.stock).toBe(1);
      expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
      expect((await getReward(t, adminKey, reward.id)).stock).toBe(0);
    });

    it('stays unlimited (null) when none is set', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1 });
      const userId = await memberWith(t, adminKey, 10);
      for (let i = 0; i < 3; i++) expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
      expect((await getReward(t, adminKey, reward.id)).stock).toBeNull();
    });
  });

  describe('guessability', () => {
    it('gives 5 bits per symbol of the code length', async () => {
      const { adminKey } = await t.newProgram();
      for (const codeLength of [6, 8, 13, 32]) {
        const reward = await newReward(t, adminKey, { codeLength });
        expect(reward.guessability).toEqual({ bitsPerCode: 5 * codeLength, liveCodes: 0, expectedGuessesPerHit: null });
      }
    });

    it('counts live codes and the expected guesses per hit as purchases are made', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { codeLength: 10, pricePoints: 1 });
      const other = await newReward(t, adminKey, { codeLength: 10, pricePoints: 1 });
      const userId = await memberWith(t, adminKey, 100);
      for (let i = 0; i < 4; i++) await buy(t, adminKey, userId, reward.id);
      await buy(t, adminKey, userId, other.id);

      expect((await getReward(t, adminKey, reward.id)).guessability).toEqual({ bitsPerCode: 50, liveCodes: 4, expectedGuessesPerHit: 2 ** 50 / 4 });
      const listed = await t.request('GET', '/v1/rewards', undefined, { key: adminKey });
      const byId = new Map(listed.body.data.map((r: { id: string; guessability: unknown }) => [r.id, r.guessability]));
      expect(byId.get(reward.id)).toEqual({ bitsPerCode: 50, liveCodes: 4, expectedGuessesPerHit: 2 ** 50 / 4 });
      expect(byId.get(other.id)).toEqual({ bitsPerCode: 50, liveCodes: 1, expectedGuessesPerHit: 2 ** 50 });
    });

    it('counts only ACTIVE, unexpired vouchers as live', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 1, validityDays: 1 });
      const twoStep = await newReward(t, adminKey, { pricePoints: 1, redemptionFlow: 'TWO_STEP' });
      const userId = await memberWith(t, adminKey, 100);
      const bought = [];
      for (let i = 0; i < 3; i++) bought.push((await buy(t, adminKey, userId, reward.id)).body);
      await t.request('POST', `/v1/vouchers/${bought[0].voucher.id}/void`, {}, { key: adminKey });
      expect((await getReward(t, adminKey, reward.id)).guessability).toMatchObject({ liveCodes: 2, expectedGuessesPerHit: 2 ** 40 / 2 });

      // Not yet revealed: no code exists, so nothing to guess.
      await buy(t, adminKey, userId, twoStep.id);
      expect((await getReward(t, adminKey, twoStep.id)).guessability).toEqual({ bitsPerCode: 40, liveCodes: 0, expectedGuessesPerHit: null });

      t.clock.advance(DAY + HOUR);
      expect((await getReward(t, adminKey, reward.id)).guessability).toEqual({ bitsPerCode: 40, liveCodes: 0, expectedGuessesPerHit: null });
    });
  });

  describe('availability', () => {
    it('archives a reward: no further purchases, but issued vouchers stay ACTIVE', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { pricePoints: 5 });
      const userId = await memberWith(t, adminKey, 100);
      const bought = await buy(t, adminKey, userId, reward.id);
      expect(bought.status).toBe(201);

      // An action endpoint: no body at all is accepted.
      const archived = await t.request('POST', `/v1/rewards/${reward.id}/archive`, undefined, { key: adminKey });
      expect(archived.status).toBe(200);
      expect(archived.body).toMatchObject({ id: reward.id, status: 'ARCHIVED' });

      const refused = await buy(t, adminKey, userId, reward.id);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REWARD_NOT_AVAILABLE');
      expect((await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey })).body.balance).toBe(95);

      const voucher = await t.request('GET', `/v1/vouchers/${bought.body.voucher.id}`, undefined, { key: adminKey });
      expect(voucher.body).toMatchObject({ status: 'ACTIVE', code: bought.body.voucher.code });
      expect((await getReward(t, adminKey, reward.id)).guessability.liveCodes).toBe(1);
    });

    it('archives with an empty JSON object too, and archiving twice changes nothing', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey);
      const first = await t.request('POST', `/v1/rewards/${reward.id}/archive`, {}, { key: adminKey });
      expect(first.status).toBe(200);
      t.clock.advance(1000);
      const second = await t.request('POST', `/v1/rewards/${reward.id}/archive`, {}, { key: adminKey });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
    });

    it('answers 404 when archiving an unknown reward', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', `/v1/rewards/${UNKNOWN_REWARD}/archive`, undefined, { key: adminKey });
      expect(response.status).toBe(404);
    });

    it('refuses purchases with REWARD_NOT_AVAILABLE while purchasable is false', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { purchasable: false, pricePoints: 5 });
      const userId = await memberWith(t, adminKey, 100);
      const refused = await buy(t, adminKey, userId, reward.id);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('REWARD_NOT_AVAILABLE');
      await t.request('PATCH', `/v1/rewards/${reward.id}`, { purchasable: true }, { key: adminKey });
      expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
    });

    it('sells only inside the availability window', async () => {
      const { adminKey } = await t.newProgram();
      const now = t.clock.now().getTime();
      const reward = await newReward(t, adminKey, {
        pricePoints: 5,
        availableFrom: new Date(now + HOUR).toISOString(),
        availableUntil: new Date(now + 3 * HOUR).toISOString(),
      });
      const userId = await memberWith(t, adminKey, 100);

      const early = await buy(t, adminKey, userId, reward.id);
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('REWARD_NOT_AVAILABLE');

      t.clock.advance(2 * HOUR);
      expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);

      t.clock.advance(2 * HOUR);
      const late = await buy(t, adminKey, userId, reward.id);
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('REWARD_NOT_AVAILABLE');
      expect((await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey })).body.balance).toBe(95);
    });

    it('treats availableUntil as the first instant the reward is no longer sold', async () => {
      const { adminKey } = await t.newProgram();
      const until = t.clock.now().getTime() + HOUR;
      const reward = await newReward(t, adminKey, { pricePoints: 0, availableUntil: new Date(until).toISOString() });
      const userId = await memberWith(t, adminKey, 0);
      t.clock.advance(until - t.clock.now().getTime());
      const response = await buy(t, adminKey, userId, reward.id);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('REWARD_NOT_AVAILABLE');
    });
  });
});
