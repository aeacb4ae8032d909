import { describe, expect, inject, it } from 'vitest';
import { engines } from './harness.js';
import { call, createMember, readLedger, sum, tallyOf, useProcessDatabase, useSharedServers, voucherAndTill } from './processes.js';

/** A member's balance, an API key's revocation and its guess counter, shared by every server process on one database. */
describe.each(engines)('balances and keys across server processes on one database [%s]', (engine) => {
  describe('through servers the tests share', () => {
    const { servers: shared, store } = useSharedServers(engine);

    it('lets exactly 123 of 200 concurrent debits of 10 through when two processes share a member holding 1,234 points', async () => {
      const servers = shared().slice(0, 2);
      const userId = await createMember(servers[0]!);
      expect((await call(servers[1]!, 'POST', `/v1/users/${userId}/points`, { delta: 1234, reason: 'start' })).status).toBe(201);

      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => call(servers[i % 2]!, 'POST', `/v1/users/${userId}/points`, { delta: -10, reason: `spend ${i}` })),
      );

      expect(tallyOf(results)).toEqual({ '201': 123, '409 INSUFFICIENT_POINTS': 77 });
      // Each accepted debit saw the balance its predecessor left: no two debits read the same balance.
      const balancesAfter = results.filter((r) => r.status === 201).map((r) => r.body.balanceAfter as number);
      expect(balancesAfter.sort((a, b) => b - a)).toEqual(Array.from({ length: 123 }, (_, k) => 1224 - 10 * k));

      for (const server of servers) {
        expect((await call(server, 'GET', `/v1/users/${userId}`)).body.balance).toBe(4);
      }
      const ledger = await readLedger(servers[1]!, userId);
      expect(ledger.balance).toBe(4);
      expect(ledger.entries).toHaveLength(124);
      expect(sum(ledger.entries.map((e) => e.delta))).toBe(4);

      const user = await store().db.selectFrom('users').select('balance').where('id', '=', userId).executeTakeFirstOrThrow();
      const totals = await store().db
        .selectFrom('ledger_entries')
        .select((eb) => [eb.fn.sum<string | number>('delta').as('total'), eb.fn.countAll<string | number>().as('count')])
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      expect(Number(user.balance)).toBe(4);
      expect(Number(totals.total)).toBe(4);
      expect(Number(totals.count)).toBe(124);
    });

    it('refuses a key on one instance as soon as another instance has revoked it', async () => {
      const [one, two] = shared();

      const created = await call(one!, 'POST', '/v1/api-keys', { role: 'app', name: 'member app backend' });
      expect(created.status).toBe(201);
      const appKey: string = created.body.key;
      expect((await call(two!, 'GET', '/v1/users?limit=1', undefined, appKey)).status).toBe(200);

      expect((await call(one!, 'DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);

      const refused = await call(two!, 'GET', '/v1/users?limit=1', undefined, appKey);
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('UNAUTHENTICATED');
      expect((await call(one!, 'GET', '/v1/users?limit=1', undefined, appKey)).status).toBe(401);
    });
  });

  describe('with settings of their own', () => {
    const { instances, prepareDatabase, startTogether } = useProcessDatabase(engine);

    const counterStores = engine === 'postgres' && inject('redisUrl') ? ['the database', 'Redis'] : ['the database'];
    it.each(counterStores)('counts unknown codes of one key across every instance (counters in %s)', async (where) => {
      await prepareDatabase();
      const env = { TESSERA_GUESS_LIMIT: '5', ...(where === 'Redis' ? { REDIS_URL: inject('redisUrl')! } : {}) };
      const servers = await startTogether(instances, { env });
      const { code, posKey } = await voucherAndTill(servers[0]!);
      for (let i = 0; i < 5; i++) {
        const miss = await call(servers[i % instances]!, 'POST', '/v1/voucher-validations', { code: `GUESS-${i}` }, posKey);
        expect(miss.body.reason).toBe('NOT_FOUND');
      }
      // The sixth guess is one too many wherever it arrives.
      const limited = await call(servers[5 % instances]!, 'POST', '/v1/voucher-validations', { code: 'GUESS-5' }, posKey);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      for (const server of servers) {
        expect((await call(server, 'POST', '/v1/voucher-validations', { code: 'GUESS-6', dryRun: true }, posKey)).status).toBe(429);
      }
      // Another key is not affected.
      const otherTill = (await call(servers[0]!, 'POST', '/v1/api-keys', { role: 'pos', name: 'other till' })).body.key;
      expect((await call(servers[1]!, 'POST', '/v1/voucher-validations', { code }, otherTill)).body.burned).toBe(true);
    });
  });
});
