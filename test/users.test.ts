import { describe, expect, it } from 'vitest';
import { createKey, describeEachEngine } from './harness.js';

describeEachEngine('members', (t) => {
  describe('POST /v1/users', () => {
    it('registers a member with a zero balance', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', '/v1/users', { externalId: 'crm-1', email: 'ada@example.com', name: 'Ada' }, { key: adminKey });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^usr_[0-9a-z]{26}$/),
        externalId: 'crm-1',
        email: 'ada@example.com',
        name: 'Ada',
        balance: 0,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });

    it('refuses a second member with the same externalId in the program, but not in another program', async () => {
      const a = await t.newProgram();
      const b = await t.newProgram();
      expect((await t.request('POST', '/v1/users', { externalId: 'same' }, { key: a.adminKey })).status).toBe(201);
      const again = await t.request('POST', '/v1/users', { externalId: 'same' }, { key: a.adminKey });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'CONFLICT', errors: [{ path: '/body/externalId' }] });
      expect((await t.request('POST', '/v1/users', { externalId: 'same' }, { key: b.adminKey })).status).toBe(201);
    });

    it('creates exactly one member when ten requests race for the same externalId', async () => {
      const { adminKey } = await t.newProgram();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.request('POST', '/v1/users', { externalId: 'racer' }, { key: adminKey })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    });

    it('is open to app keys', async () => {
      const { adminKey } = await t.newProgram();
      const app = await createKey(t, adminKey, 'app');
      const response = await t.request('POST', '/v1/users', { externalId: 'from-app' }, { key: app.key });
      expect(response.status).toBe(201);
    });
  });

  describe('GET /v1/users', () => {
    it('finds a member by externalId', async () => {
      const { adminKey } = await t.newProgram();
      const created = await t.request('POST', '/v1/users', { externalId: 'find-me' }, { key: adminKey });
      await t.request('POST', '/v1/users', { externalId: 'someone-else' }, { key: adminKey });
      const found = await t.request('GET', '/v1/users?externalId=find-me', undefined, { key: adminKey });
      expect(found.body).toEqual({ data: [created.body], nextCursor: null });
      const none = await t.request('GET', '/v1/users?externalId=nobody', undefined, { key: adminKey });
      expect(none.body).toEqual({ data: [], nextCursor: null });
    });

    it('pages through members oldest first', async () => {
      const { adminKey } = await t.newProgram();
      for (let i = 0; i < 5; i++) await t.request('POST', '/v1/users', { externalId: `page-${i}` }, { key: adminKey });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: { externalId: string }[]; nextCursor: string | null } } = await t.request(
          'GET',
          `/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          { key: adminKey },
        );
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((u) => u.externalId));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    });
  });

  describe('GET /v1/users/{id}', () => {
    it('reads a member, and answers 404 for an unknown id', async () => {
      const { adminKey } = await t.newProgram();
      const created = await t.request('POST', '/v1/users', { externalId: 'read-me' }, { key: adminKey });
      const read = await t.request('GET', `/v1/users/${created.body.id}`, undefined, { key: adminKey });
      expect(read.body).toEqual(created.body);
      const missing = await t.request('GET', '/v1/users/usr_01jz0000000000000000000000', undefined, { key: adminKey });
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
});
