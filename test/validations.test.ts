import { RateLimiterMemory } from 'rate-limiter-flexible';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GuessLimiter, openGuessLimiter } from '../src/validations/guess-limiter.js';
import { type TestApp, createKey, createMember, createTestDatabase, describeEachEngine, engines, storageOf, useTestApp } from './harness.js';
import { boughtBy, countRows, newReward } from './fixtures.js';

const DAY = 86_400_000;

const validate = (t: TestApp, key: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  t.request('POST', '/v1/voucher-validations', body, { key, ...(headers ? { headers } : {}) });

const reverse = (t: TestApp, key: string, validationId: string, body: Record<string, unknown> = {}) =>
  t.request('POST', `/v1/voucher-validations/${validationId}/reversal`, body, { key });

const eventTypes = async (t: TestApp, key: string, userId: string): Promise<string[]> =>
  (await t.request('GET', `/v1/events?userId=${userId}&limit=200`, undefined, { key })).body.data.map((e: { type: string }) => e.type);

/** The same code as a careless cashier might type it: lower case, spaced, O for 0 and l for 1. */
const misspelled = (code: string) =>
  ` ${code.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l').split('').join(' ')}\t`;

/** A program with a pos key and an ACTIVE voucher of a reward made with `fields`. */
async function setup(t: TestApp, fields: Record<string, unknown> = {}, posFields: Record<string, unknown> = {}) {
  const { programId, adminKey } = await t.newProgram();
  const pos = await createKey(t, adminKey, 'pos', posFields);
  const reward = await newReward(t, adminKey, fields);
  const bought = await boughtBy(t, adminKey, reward);
  return { programId, adminKey, pos, reward, userId: bought.userId as string, voucher: bought.voucher };
}

async function footprint(t: TestApp, programId: string) {
  return {
    vouchers: await t.store.db.selectFrom('vouchers').selectAll().where('program_id', '=', programId).orderBy('id').execute(),
    validations: await t.store.db.selectFrom('validations').selectAll().where('program_id', '=', programId).orderBy('id').execute(),
    events: await countRows(t, 'events', programId),
  };
}

describeEachEngine('voucher validations', (t) => {
  describe('POST /v1/voucher-validations', () => {
    it('burns a valid code once, answers what it is worth, records the validation and emits BURNED_VOUCHER', async () => {
      const { adminKey, pos, reward, userId, voucher } = await setup(t, { incentives: [{ type: 'AMOUNT_OFF', value: 300, currency: 'GBP' }] });
      const response = await validate(t, pos.key, { code: voucher.code, venue: 'store-1', reference: 'till-1/tx-1' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        valid: true,
        reason: null,
        burned: true,
        replayed: false,
        voucher: { id: voucher.id, code: voucher.code, status: 'BURNED', userId, rewardId: reward.id },
        reward: { id: reward.id, name: reward.name },
        incentives: [{ type: 'AMOUNT_OFF', value: 300, currency: 'GBP' }],
      });
      expect(response.body.validation.id).toMatch(/^val_/);
      expect(response.body.voucher.burnedAt).toBe(response.body.validation.createdAt);
      expect(response.body).not.toHaveProperty('discount');

      const shown = (await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body;
      expect(shown.status).toBe('BURNED');
      expect(shown.validations).toEqual([
        expect.objectContaining({
          id: response.body.validation.id,
          voucherId: voucher.id,
          valid: true,
          burned: true,
          reason: null,
          venue: 'store-1',
          reference: 'till-1/tx-1',
          keyId: pos.id,
          reversedAt: null,
        }),
      ]);
      const events = (await t.request('GET', `/v1/events?userId=${userId}&type=BURNED_VOUCHER`, undefined, { key: adminKey })).body.data;
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({
        voucherId: voucher.id,
        rewardId: reward.id,
        validationId: response.body.validation.id,
        code: voucher.code,
        venue: 'store-1',
        reference: 'till-1/tx-1',
      });
    });

    it('finds the voucher whatever the spelling, and a second burn is ALREADY_BURNED', async () => {
      const { adminKey, pos, voucher } = await setup(t);
      const first = await validate(t, pos.key, { code: misspelled(voucher.code) });
      expect(first.body).toMatchObject({ valid: true, burned: true, voucher: { id: voucher.id } });
      const again = await validate(t, adminKey, { code: voucher.code });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ valid: false, reason: 'ALREADY_BURNED', burned: false, voucher: { id: voucher.id, status: 'BURNED' } });
      expect(again.body.validation.id).not.toBe(first.body.validation.id);
      const shown = (await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body;
      expect(shown.validations.map((v: { reason: string | null }) => v.reason)).toEqual([null, 'ALREADY_BURNED']);
    });

    it('with dryRun checks only: nothing changes, nothing is recorded, no event', async () => {
      const { programId, pos, voucher } = await setup(t);
      const before = await footprint(t, programId);
      const response = await validate(t, pos.key, { code: voucher.code, dryRun: true, reference: 'r-1' });
      expect(response.body).toMatchObject({ valid: true, reason: null, burned: false, replayed: false, validation: null, voucher: { status: 'ACTIVE' } });
      expect(await footprint(t, programId)).toEqual(before);
      // The code still burns afterwards.
      expect((await validate(t, pos.key, { code: voucher.code })).body.burned).toBe(true);
      const dryAfterBurn = await validate(t, pos.key, { code: voucher.code, dryRun: true });
      expect(dryAfterBurn.body).toMatchObject({ valid: false, reason: 'ALREADY_BURNED', validation: null });
    });

    it('answers NOT_FOUND without a voucher or reward for an unknown code, and records it', async () => {
      const { programId, pos } = await setup(t);
      const response = await validate(t, pos.key, { code: 'PROMO-ZZZZZZZZ', reference: 'x' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ valid: false, reason: 'NOT_FOUND', burned: false, replayed: false, incentives: [] });
      expect(response.body).not.toHaveProperty('voucher');
      expect(response.body).not.toHaveProperty('reward');
      const rows = await t.store.db.selectFrom('validations').selectAll().where('program_id', '=', programId).execute();
      expect(rows).toEqual([expect.objectContaining({ voucher_id: null, code: 'PROMO-ZZZZZZZZ', reason: 'NOT_FOUND', burned: 0 })]);
    });

    it('never finds another program’s voucher', async () => {
      const { voucher } = await setup(t);
      const other = await setup(t);
      const response = await validate(t, other.pos.key, { code: voucher.code });
      expect(response.body).toMatchObject({ valid: false, reason: 'NOT_FOUND' });
    });

    it('refuses an expired voucher (EXPIRED) and burns nothing', async () => {
      const { pos, voucher } = await setup(t, { validityDays: 1 });
      t.clock.advance(2 * DAY);
      try {
        const response = await validate(t, pos.key, { code: voucher.code });
        expect(response.body).toMatchObject({ valid: false, reason: 'EXPIRED', burned: false, voucher: { status: 'EXPIRED' } });
      } finally {
        t.clock.advance(-2 * DAY);
      }
      expect((await validate(t, pos.key, { code: voucher.code })).body.burned).toBe(true);
    });

    it('refuses a voided voucher (VOIDED)', async () => {
      const { adminKey, pos, voucher } = await setup(t);
      expect((await t.request('POST', `/v1/vouchers/${voucher.id}/void`, {}, { key: adminKey })).status).toBe(200);
      expect((await validate(t, pos.key, { code: voucher.code })).body).toMatchObject({ valid: false, reason: 'VOIDED', voucher: { status: 'VOIDED' } });
    });

    it('refuses a code whose voucher is not revealed (NOT_REVEALED)', async () => {
      // Generated codes only exist once a voucher is revealed, so a PURCHASED voucher holding one is
      // made in the database (codes given at purchase, like pool codes, can reach this state).
      const { pos, voucher } = await setup(t);
      await t.store.db.updateTable('vouchers').set({ status: 'PURCHASED' }).where('id', '=', voucher.id).execute();
      expect((await validate(t, pos.key, { code: voucher.code })).body).toMatchObject({ valid: false, reason: 'NOT_REVEALED', burned: false });
    });

    it('binds to venues: the reward’s list, the key’s own venue, and a venue the key may not claim', async () => {
      const { adminKey, pos, voucher } = await setup(t, { venues: ['store-1', 'store-2'] });
      expect((await validate(t, pos.key, { code: voucher.code, dryRun: true })).body.reason).toBe('WRONG_VENUE');
      expect((await validate(t, pos.key, { code: voucher.code, venue: 'store-9' })).body).toMatchObject({ reason: 'WRONG_VENUE', burned: false });

      const bound = await createKey(t, adminKey, 'pos', { venue: 'store-9' });
      expect((await validate(t, bound.key, { code: voucher.code })).body.reason).toBe('WRONG_VENUE');
      const claim = await validate(t, bound.key, { code: voucher.code, venue: 'store-1' });
      expect(claim.status).toBe(400);
      expect(claim.body.errors).toEqual([expect.objectContaining({ path: '/body/venue' })]);

      const atStore2 = await createKey(t, adminKey, 'pos', { venue: 'store-2' });
      const burned = await validate(t, atStore2.key, { code: voucher.code, venue: 'store-2' });
      expect(burned.body).toMatchObject({ valid: true, burned: true });
      const shown = (await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body;
      expect(shown.validations.map((v: { venue: string | null; keyId: string }) => [v.venue, v.keyId])).toEqual([
        ['store-9', pos.id],
        ['store-9', bound.id],
        ['store-2', atStore2.id],
      ]);
    });

    it('binds to the member when userId is sent: internal id or externalId (WRONG_USER)', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const externalId = (await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey })).body.externalId;
      const stranger = await createMember(t, adminKey);
      expect((await validate(t, pos.key, { code: voucher.code, userId: stranger })).body).toMatchObject({ valid: false, reason: 'WRONG_USER', burned: false });
      expect((await validate(t, pos.key, { code: voucher.code, userId: 'someone-else' })).body.reason).toBe('WRONG_USER');
      expect((await validate(t, pos.key, { code: voucher.code, userId, dryRun: true })).body.valid).toBe(true);
      expect((await validate(t, pos.key, { code: voucher.code, userId: externalId })).body).toMatchObject({ valid: true, burned: true });
    });

    it('computes the basket discount, and refuses a basket short of the minimum spend (MIN_SPEND_NOT_MET)', async () => {
      const { pos, voucher } = await setup(t, { incentives: [{ type: 'PERCENTAGE', value: 100, currency: 'GBP', productSku: 'CAKE-1', minSpend: 1000 }] });
      const basket = { currency: 'GBP', total: 2350, items: [{ sku: 'CAKE-1', quantity: 1, unitPrice: 450 }] };
      const short = await validate(t, pos.key, { code: voucher.code, basket: { ...basket, total: 999 } });
      expect(short.body).toMatchObject({ valid: false, reason: 'MIN_SPEND_NOT_MET', burned: false });
      expect(short.body).not.toHaveProperty('discount');
      const response = await validate(t, pos.key, { code: voucher.code, basket });
      expect(response.body).toMatchObject({ valid: true, burned: true, discount: { currency: 'GBP', amount: 450, lines: [{ sku: 'CAKE-1', amount: 450 }] } });
    });

    it('refuses a basket in another currency than the incentives, naming the field and changing nothing', async () => {
      const { programId, pos, voucher } = await setup(t, { incentives: [{ type: 'AMOUNT_OFF', value: 500, currency: 'EUR' }] });
      const before = await footprint(t, programId);
      const response = await validate(t, pos.key, { code: voucher.code, basket: { currency: 'GBP', total: 2000 } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/body/basket/currency' }] });
      expect(await footprint(t, programId)).toEqual(before);
    });

    it('replays a retried burn with the same reference; another reference is ALREADY_BURNED', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const first = await validate(t, pos.key, { code: voucher.code, reference: 'till-7/tx-99812' });
      const retry = await validate(t, pos.key, { code: misspelled(voucher.code), reference: 'till-7/tx-99812' });
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ ...first.body, replayed: true });
      const other = await validate(t, pos.key, { code: voucher.code, reference: 'till-7/tx-99813' });
      // A refusal says when, where and in which sale the voucher was burned.
      expect(other.body).toMatchObject({
        valid: false,
        reason: 'ALREADY_BURNED',
        replayed: false,
        burn: { at: first.body.validation.createdAt, venue: null, reference: 'till-7/tx-99812' },
      });
      expect(first.body.burn).toBeUndefined();
      const noReference = await validate(t, pos.key, { code: voucher.code });
      expect(noReference.body.reason).toBe('ALREADY_BURNED');
      expect((await eventTypes(t, adminKey, userId)).filter((type) => type === 'BURNED_VOUCHER')).toHaveLength(1);
      // The retry is not a new validation.
      const shown = (await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body;
      expect(shown.validations).toHaveLength(3);
    });

    it('replays only to the key and venue that burned: another till reusing the reference is ALREADY_BURNED', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const otherTill = await createKey(t, adminKey, 'pos');
      await validate(t, pos.key, { code: voucher.code, reference: 'tx-1', venue: 'store-1' });
      expect((await validate(t, otherTill.key, { code: voucher.code, reference: 'tx-1', venue: 'store-1' })).body).toMatchObject({
        reason: 'ALREADY_BURNED',
        replayed: false,
        burn: { venue: 'store-1', reference: 'tx-1' },
      });
      expect((await validate(t, pos.key, { code: voucher.code, reference: 'tx-1', venue: 'store-2' })).body).toMatchObject({ reason: 'ALREADY_BURNED', replayed: false });
      expect((await validate(t, pos.key, { code: voucher.code, reference: 'tx-1', venue: 'store-1', userId: 'someone-else' })).body).toMatchObject({ reason: 'WRONG_USER', replayed: false });
      expect((await validate(t, pos.key, { code: voucher.code, reference: 'tx-1', venue: 'store-1', userId })).body).toMatchObject({ valid: true, replayed: true });
    });

    it('honours an Idempotency-Key like every other write', async () => {
      const { programId, pos, voucher } = await setup(t);
      const headers = { 'idempotency-key': 'burn-1' };
      const first = await validate(t, pos.key, { code: voucher.code }, headers);
      const after = await footprint(t, programId);
      const again = await validate(t, pos.key, { code: voucher.code }, headers);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await footprint(t, programId)).toEqual(after);
    });

    it('is for pos and admin keys only', async () => {
      const { adminKey, voucher } = await setup(t);
      const app = await createKey(t, adminKey, 'app');
      expect((await validate(t, app.key, { code: voucher.code })).status).toBe(403);
    });
  });

  describe('POST /v1/voucher-validations/{id}/reversal', () => {
    it('undoes a burn once: the voucher is ACTIVE again, VOUCHER_BURN_REVERSED, and the code can burn again', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const burn = await validate(t, pos.key, { code: voucher.code });
      const reversal = await reverse(t, pos.key, burn.body.validation.id, { reason: 'customer changed their mind' });
      expect(reversal.status).toBe(200);
      expect(reversal.body.voucher).toMatchObject({ id: voucher.id, status: 'ACTIVE', burnedAt: null });
      expect(reversal.body.validation).toMatchObject({ id: burn.body.validation.id, burned: true, reversalReason: 'customer changed their mind' });
      expect(reversal.body.validation.reversedAt).not.toBeNull();

      const second = await reverse(t, adminKey, burn.body.validation.id);
      expect(second.status).toBe(200);
      expect(second.body.validation).toEqual(reversal.body.validation);
      const types = await eventTypes(t, adminKey, userId);
      expect(types.filter((type) => type === 'VOUCHER_BURN_REVERSED')).toHaveLength(1);
      const event = (await t.request('GET', `/v1/events?userId=${userId}&type=VOUCHER_BURN_REVERSED`, undefined, { key: adminKey })).body.data[0];
      expect(event.data).toEqual({ voucherId: voucher.id, rewardId: voucher.rewardId, validationId: burn.body.validation.id, reason: 'customer changed their mind' });

      const reburn = await validate(t, pos.key, { code: voucher.code });
      expect(reburn.body).toMatchObject({ valid: true, burned: true });
      // The old reversal still changes nothing.
      expect((await reverse(t, pos.key, burn.body.validation.id)).body.voucher.status).toBe('BURNED');
    });

    it('lets only the key that burned, or an admin, reverse; and only a burn', async () => {
      const { adminKey, pos, voucher } = await setup(t);
      const otherPos = await createKey(t, adminKey, 'pos');
      const burn = await validate(t, pos.key, { code: voucher.code });
      const refused = await reverse(t, otherPos.key, burn.body.validation.id);
      expect(refused.status).toBe(403);
      const notABurn = await validate(t, pos.key, { code: voucher.code });
      expect((await reverse(t, pos.key, notABurn.body.validation.id)).body.code).toBe('INVALID_STATE');
      expect((await reverse(t, pos.key, 'val_01jz0000000000000000000000')).status).toBe(404);
      const other = await setup(t);
      expect((await reverse(t, other.adminKey, burn.body.validation.id)).status).toBe(404);
      expect((await reverse(t, adminKey, burn.body.validation.id)).body.voucher.status).toBe('ACTIVE');
    });
  });

  describe('under concurrency', () => {
    it('burns a code exactly once among 50 simultaneous validations', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const answers = await Promise.all(Array.from({ length: 50 }, () => validate(t, pos.key, { code: voucher.code })));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers.filter((a) => a.body.burned)).toHaveLength(1);
      expect(answers.filter((a) => a.body.reason === 'ALREADY_BURNED')).toHaveLength(49);
      expect((await eventTypes(t, adminKey, userId)).filter((type) => type === 'BURNED_VOUCHER')).toHaveLength(1);
    });

    it('replays, never double-burns, when retries with one reference race the burn', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const answers = await Promise.all(Array.from({ length: 20 }, () => validate(t, pos.key, { code: voucher.code, reference: 'tx-1' })));
      expect(answers.every((a) => a.body.valid && a.body.burned)).toBe(true);
      expect(answers.filter((a) => !a.body.replayed)).toHaveLength(1);
      expect(new Set(answers.map((a) => a.body.validation.id)).size).toBe(1);
      expect((await eventTypes(t, adminKey, userId)).filter((type) => type === 'BURNED_VOUCHER')).toHaveLength(1);
    });

    it('keeps burns and reversals consistent when they race', async () => {
      const { adminKey, pos, userId, voucher } = await setup(t);
      const firstBurn = await validate(t, pos.key, { code: voucher.code });
      const [reversals, burns] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, () => reverse(t, pos.key, firstBurn.body.validation.id))),
        Promise.all(Array.from({ length: 10 }, () => validate(t, pos.key, { code: voucher.code }))),
      ]);
      expect(reversals.every((r) => r.status === 200)).toBe(true);
      const newBurns = burns.filter((b) => b.body.burned).length;
      expect(newBurns).toBeLessThanOrEqual(1);
      const types = await eventTypes(t, adminKey, userId);
      expect(types.filter((type) => type === 'VOUCHER_BURN_REVERSED')).toHaveLength(1);
      expect(types.filter((type) => type === 'BURNED_VOUCHER')).toHaveLength(1 + newBurns);
      const shown = (await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body;
      expect(shown.status).toBe(newBurns === 1 ? 'BURNED' : 'ACTIVE');
    });
  });
});

describe.each(engines)('guessing defence [%s]', (engine) => {
  const t = useTestApp(engine, { guessLimits: { limit: 3, windowSeconds: 60, blockSeconds: 30 } });

  it('refuses a key after too many unknown codes (429, Retry-After), dry runs included; other keys carry on', async () => {
    const { programId, adminKey, pos, voucher } = await setup(t);
    const other = await createKey(t, adminKey, 'pos');
    for (let i = 0; i < 3; i++) {
      const miss = await validate(t, pos.key, { code: `GUESS-${i}`, dryRun: i === 0 });
      expect(miss.body.reason).toBe('NOT_FOUND');
    }
    const before = await footprint(t, programId);
    const limited = await validate(t, pos.key, { code: 'GUESS-4' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(30);
    // While refused, even a real code is not checked for this key, and nothing is recorded.
    expect((await validate(t, pos.key, { code: voucher.code })).status).toBe(429);
    expect(await footprint(t, programId)).toEqual(before);

    expect((await validate(t, other.key, { code: 'GUESS-5' })).body.reason).toBe('NOT_FOUND');
    expect((await validate(t, other.key, { code: voucher.code })).body.burned).toBe(true);
  });

  it('does not count codes that exist, whatever their state', async () => {
    const { pos, voucher } = await setup(t);
    await validate(t, pos.key, { code: voucher.code });
    for (let i = 0; i < 6; i++) {
      expect((await validate(t, pos.key, { code: voucher.code })).body.reason).toBe('ALREADY_BURNED');
    }
  });
});

describe.each(engines)('unknown codes counted outside the write [%s]', (engine) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let waiting = 0;
  // The counters' store (Redis, say) answering slowly: it answers once released.
  class SlowCounters extends RateLimiterMemory {
    // What the store limiters (Redis, PostgreSQL, SQLite) have and the memory one lacks.
    getInMemoryBlockMsBeforeExpire() {
      return 0;
    }

    override async consume(key: string | number, points?: number) {
      waiting++;
      await gate;
      return super.consume(key, points);
    }
  }
  // One connection on PostgreSQL: a validation holding it while it counts would stop every other write.
  const t = useTestApp(engine, {
    pgPoolSize: 1,
    guessLimiter: () => new GuessLimiter(new SlowCounters({ keyPrefix: 'slow', points: 30, duration: 60 }) as never, async () => {}),
  });
  afterAll(() => release());

  it('goes on writing while a slow counter answers an unknown code, then records the NOT_FOUND', async () => {
    const { adminKey } = await t.newProgram();
    const pos = await createKey(t, adminKey, 'pos');
    const member = await createMember(t, adminKey);

    let answered = false;
    const guess = validate(t, pos.key, { code: 'NO-SUCH-CODE' }).finally(() => {
      answered = true;
    });
    while (waiting === 0 && !answered) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answered, 'the validation answered before counting').toBe(false);
    // The counter has not answered: a write of the same program goes through meanwhile.
    const credit = await t.request('POST', `/v1/users/${member}/points`, { delta: 5, reason: 'meanwhile' }, { key: adminKey });
    expect(credit.status).toBe(201);
    release();
    const answer = (await guess).body;
    expect(answer).toMatchObject({ valid: false, reason: 'NOT_FOUND', validation: { id: expect.any(String) } });
    const recorded = await t.store.db.selectFrom('validations').select(['id', 'reason']).where('id', '=', answer.validation.id).execute();
    expect(recorded).toEqual([{ id: answer.validation.id, reason: 'NOT_FOUND' }]);
  });
});

describe.each(engines)('the guess counters’ store [%s]', (engine) => {
  it('leaves no timer behind once closed: a sweep on the closed store would fail later', async () => {
    const database = await createTestDatabase(engine);
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      const limiter = openGuessLimiter({ storage: storageOf(database) });
      await limiter.ready;
      await limiter.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      await database.drop();
    }
  });
});
