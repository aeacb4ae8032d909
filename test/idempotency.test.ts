import { describe, expect, it } from 'vitest';
import { boughtBy, newReward } from './fixtures.js';
import { createKey, createMember, describeEachEngine } from './harness.js';

describeEachEngine('Idempotency-Key', (t) => {
  const credit = (key: string, userId: string, idempotencyKey: string, body: object = { delta: 100, reason: 'bonus' }) =>
    t.request('POST', `/v1/users/${userId}/points`, body, { key, headers: { 'idempotency-key': idempotencyKey } });

  const ledgerSize = async (userId: string) =>
    (await t.store.db.selectFrom('ledger_entries').select('id').where('user_id', '=', userId).execute()).length;

  describe('a retry with the same key and body', () => {
    it('returns the first response and does nothing again', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const first = await credit(adminKey, userId, 'retry-1');
      const second = await credit(adminKey, userId, 'retry-1');
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(await ledgerSize(userId)).toBe(1);
      const events = await t.request('GET', `/v1/events?userId=${userId}`, undefined, { key: adminKey });
      expect(events.body.data).toHaveLength(1);
    });

    it('treats the same body with its keys in another order as the same request', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      await credit(adminKey, userId, 'order', { delta: 5, reason: 'r' });
      const again = await t.request('POST', `/v1/users/${userId}/points`, undefined, {
        key: adminKey,
        headers: { 'idempotency-key': 'order' },
        payload: '{"reason":"r","delta":5}',
      });
      expect(again.status).toBe(201);
      expect(await ledgerSize(userId)).toBe(1);
    });

    it('does the work once when ten identical requests arrive at the same moment', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const results = await Promise.all(Array.from({ length: 10 }, () => credit(adminKey, userId, 'same-moment')));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await ledgerSize(userId)).toBe(1);
      const user = await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey });
      expect(user.body.balance).toBe(100);
    });

    it('replays a creation: the same member, not a conflict', async () => {
      const { adminKey } = await t.newProgram();
      const headers = { 'idempotency-key': 'new-member' };
      const first = await t.request('POST', '/v1/users', { externalId: 'idem' }, { key: adminKey, headers });
      const second = await t.request('POST', '/v1/users', { externalId: 'idem' }, { key: adminKey, headers });
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
    });
  });

  describe('the same key with a different request', () => {
    it('is refused with IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      await credit(adminKey, userId, 'reused', { delta: 100, reason: 'bonus' });
      const refused = await credit(adminKey, userId, 'reused', { delta: 999, reason: 'bonus' });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const otherRoute = await t.request('POST', '/v1/users', { externalId: 'x' }, { key: adminKey, headers: { 'idempotency-key': 'reused' } });
      expect(otherRoute.status).toBe(422);
      expect(await ledgerSize(userId)).toBe(1);
    });
  });

  describe('a request that failed', () => {
    it('is not remembered, so the retry runs again once it can succeed', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const tooMuch = await credit(adminKey, userId, 'spend', { delta: -50, reason: 'spend' });
      expect(tooMuch.body.code).toBe('INSUFFICIENT_POINTS');
      await credit(adminKey, userId, 'top-up', { delta: 60, reason: 'top up' });
      const retried = await credit(adminKey, userId, 'spend', { delta: -50, reason: 'spend' });
      expect(retried.status).toBe(201);
      expect(retried.body.balanceAfter).toBe(10);
    });
  });

  describe('keys belong to their program', () => {
    it('lets two programs use the same key independently', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      const userA = await createMember(t, a.adminKey);
      const userB = await createMember(t, b.adminKey);
      expect((await credit(a.adminKey, userA, 'shared')).status).toBe(201);
      const other = await credit(b.adminKey, userB, 'shared');
      expect(other.status).toBe(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(other.body.userId).toBe(userB);
    });

    it('keeps each API key’s keys apart: a till never receives the answer another till was given', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await newReward(t, adminKey, { venues: ['store-1'] });
      const { voucher } = await boughtBy(t, adminKey, reward);
      const tillA = await createKey(t, adminKey, 'pos', { venue: 'store-1' });
      const tillB = await createKey(t, adminKey, 'pos', { venue: 'store-2' });
      const burn = (key: string) =>
        t.request('POST', '/v1/voucher-validations', { code: voucher.code }, { key, headers: { 'idempotency-key': 'tx-0001' } });
      const first = await burn(tillA.key);
      expect(first.body).toMatchObject({ valid: true, burned: true });
      const other = await burn(tillB.key);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(other.body).toMatchObject({ valid: false, reason: 'ALREADY_BURNED' });
      expect(other.body.validation.id).not.toBe(first.body.validation.id);
      // Till A's own retry is still its first answer.
      const retry = await burn(tillA.key);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
    });
  });
});
