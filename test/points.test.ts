import { describe, expect, it } from 'vitest';
import { MAX_BALANCE } from '../src/ledger/post-entry.js';
import { createMember, describeEachEngine } from './harness.js';

describeEachEngine('points ledger', (t) => {
  describe('POST /v1/users/{id}/points', () => {
    it('credits and debits, answering each entry with the balance after it', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const credit = await t.request('POST', `/v1/users/${userId}/points`, { delta: 250, reason: 'welcome bonus' }, { key: adminKey });
      expect(credit.status).toBe(201);
      expect(credit.body).toMatchObject({ userId, delta: 250, balanceAfter: 250, reason: 'welcome bonus', kind: 'ADJUSTMENT' });
      const debit = await t.request('POST', `/v1/users/${userId}/points`, { delta: -100, reason: 'correction' }, { key: adminKey });
      expect(debit.body.balanceAfter).toBe(150);
      const user = await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey });
      expect(user.body.balance).toBe(150);
    });

    it('refuses a debit beyond the balance with INSUFFICIENT_POINTS and writes nothing', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      await t.request('POST', `/v1/users/${userId}/points`, { delta: 10, reason: 'start' }, { key: adminKey });
      const refused = await t.request('POST', `/v1/users/${userId}/points`, { delta: -11, reason: 'too much' }, { key: adminKey });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('INSUFFICIENT_POINTS');
      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.balance).toBe(10);
      expect(points.body.entries).toHaveLength(1);
      const events = await t.request('GET', `/v1/events?userId=${userId}`, undefined, { key: adminKey });
      expect(events.body.data).toHaveLength(1);
    });

    it('refuses a credit past the most a member may hold with CONFLICT, so balances stay exact JSON numbers', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      await t.request('POST', `/v1/users/${userId}/points`, { delta: 10, reason: 'start' }, { key: adminKey });
      // A member near the limit, as an import from an older system could leave one (1,000 credits of the largest delta would do the same).
      await t.store.db.updateTable('users').set({ balance: MAX_BALANCE - 5 }).where('id', '=', userId).execute();
      await t.store.db.updateTable('ledger_entries').set({ delta: MAX_BALANCE - 5, balance_after: MAX_BALANCE - 5 }).where('user_id', '=', userId).execute();
      const refused = await t.request('POST', `/v1/users/${userId}/points`, { delta: 6, reason: 'one too many' }, { key: adminKey });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'CONFLICT', detail: expect.stringContaining(String(MAX_BALANCE)) });
      const full = await t.request('POST', `/v1/users/${userId}/points`, { delta: 5, reason: 'to the brim' }, { key: adminKey });
      expect(full.body.balanceAfter).toBe(MAX_BALANCE);
      const points = await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: adminKey });
      expect(points.body.balance).toBe(MAX_BALANCE);
      expect(points.body.entries).toHaveLength(2);
    });

    it('emits POINTS_ADJUSTED with the entry, in the same transaction', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const entry = await t.request('POST', `/v1/users/${userId}/points`, { delta: 42, reason: 'survey' }, { key: adminKey });
      const events = await t.request('GET', '/v1/events?type=POINTS_ADJUSTED', undefined, { key: adminKey });
      expect(events.body.data).toEqual([
        expect.objectContaining({
          type: 'POINTS_ADJUSTED',
          userId,
          data: { entryId: entry.body.id, delta: 42, reason: 'survey', balance: 42 },
        }),
      ]);
    });

    it('answers 404 for a member that does not exist', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', '/v1/users/usr_01jz0000000000000000000000/points', { delta: 5, reason: 'x' }, { key: adminKey });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });

    it('lets exactly as many of 200 concurrent debits through as the balance allows', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      await t.request('POST', `/v1/users/${userId}/points`, { delta: 1234, reason: 'start' }, { key: adminKey });
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          t.request('POST', `/v1/users/${userId}/points`, { delta: -10, reason: 'spend' }, { key: adminKey }),
        ),
      );
      const ok = results.filter((r) => r.status === 201).length;
      const refused = results.filter((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_POINTS').length;
      expect(ok).toBe(123);
      expect(refused).toBe(77);

      const balance = (await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey })).body.balance;
      expect(balance).toBe(4);
      const sum = await t.store.db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.sum<number>('delta').as('total'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      expect(Number(sum.total)).toBe(balance);
    });
  });

  describe('GET /v1/users/{id}/points', () => {
    it('lists entries newest first, page by page', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      for (let i = 1; i <= 5; i++) {
        await t.request('POST', `/v1/users/${userId}/points`, { delta: i, reason: `credit ${i}` }, { key: adminKey });
      }
      const first = await t.request('GET', `/v1/users/${userId}/points?limit=2`, undefined, { key: adminKey });
      expect(first.body.balance).toBe(15);
      expect(first.body.entries.map((e: { delta: number }) => e.delta)).toEqual([5, 4]);
      const second = await t.request('GET', `/v1/users/${userId}/points?limit=2&cursor=${first.body.nextCursor}`, undefined, { key: adminKey });
      expect(second.body.entries.map((e: { delta: number }) => e.delta)).toEqual([3, 2]);
      const third = await t.request('GET', `/v1/users/${userId}/points?limit=2&cursor=${second.body.nextCursor}`, undefined, { key: adminKey });
      expect(third.body.entries.map((e: { delta: number }) => e.delta)).toEqual([1]);
      expect(third.body.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not make', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      const response = await t.request('GET', `/v1/users/${userId}/points?cursor=bm9wZQ`, undefined, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/querystring/cursor', message: expect.any(String) }]);
    });
  });
});
