import { describe, expect, it } from 'vitest';
import { KEY_USE_PRECISION_MS } from '../src/keys/note-key-use.js';
import { type TestApp, createKey, describeEachEngine, engines, useTestApp } from './harness.js';
import { until } from './until.js';

describeEachEngine('API keys', (t) => {
  describe('POST /v1/api-keys', () => {
    it('shows the secret once and stores only its hash', async () => {
      const { adminKey } = await t.newProgram();
      const created = await t.request('POST', '/v1/api-keys', { role: 'pos', name: 'Till 7', venue: 'store-042' }, { key: adminKey });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ role: 'pos', name: 'Till 7', venue: 'store-042', key: expect.stringMatching(/^tsk_/) });
      expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

      const listed = await t.request('GET', '/v1/api-keys', undefined, { key: adminKey });
      const shown = listed.body.data.find((k: { id: string }) => k.id === created.body.id);
      expect(shown).toBeDefined();
      expect(shown.key).toBeUndefined();

      const stored = await t.store.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(created.body.key);
    });

    it('binds only pos keys to a venue', async () => {
      const { adminKey } = await t.newProgram();
      const response = await t.request('POST', '/v1/api-keys', { role: 'app', name: 'x', venue: 'store-1' }, { key: adminKey });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ path: '/body/venue', message: expect.any(String) }]);
    });

    it('gives the new key exactly its role', async () => {
      const { adminKey } = await t.newProgram();
      const pos = await createKey(t, adminKey, 'pos');
      const app = await createKey(t, adminKey, 'app');
      expect((await t.request('GET', '/v1/users', undefined, { key: app.key })).status).toBe(200);
      expect((await t.request('GET', '/v1/users', undefined, { key: pos.key })).status).toBe(403);
      expect((await t.request('GET', '/v1/api-keys', undefined, { key: app.key })).status).toBe(403);
    });
  });

  describe('DELETE /v1/api-keys/{id}', () => {
    it('stops a key at once, and a second delete answers 404', async () => {
      const { adminKey } = await t.newProgram();
      const app = await createKey(t, adminKey, 'app');
      expect((await t.request('GET', '/v1/users', undefined, { key: app.key })).status).toBe(200);
      const deleted = await t.request('DELETE', `/v1/api-keys/${app.id}`, undefined, { key: adminKey });
      expect(deleted.status).toBe(204);
      const refused = await t.request('GET', '/v1/users', undefined, { key: app.key });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('UNAUTHENTICATED');
      expect((await t.request('DELETE', `/v1/api-keys/${app.id}`, undefined, { key: adminKey })).status).toBe(404);
      const listed = await t.request('GET', '/v1/api-keys', undefined, { key: adminKey });
      expect(listed.body.data.map((k: { id: string }) => k.id)).not.toContain(app.id);
    });

    it('refuses to revoke the program\'s last admin key', async () => {
      const { adminKey } = await t.newProgram();
      const keys = await t.request('GET', '/v1/api-keys', undefined, { key: adminKey });
      const [only] = keys.body.data;
      const refused = await t.request('DELETE', `/v1/api-keys/${only.id}`, undefined, { key: adminKey });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('CONFLICT');
      const second = await createKey(t, adminKey, 'admin');
      expect((await t.request('DELETE', `/v1/api-keys/${only.id}`, undefined, { key: second.key })).status).toBe(204);
      expect((await t.request('GET', '/v1/api-keys', undefined, { key: adminKey })).status).toBe(401);
    });

    it('leaves one admin standing when two admins revoke each other at the same moment', async () => {
      const { adminKey } = await t.newProgram();
      const first = (await t.request('GET', '/v1/api-keys', undefined, { key: adminKey })).body.data[0];
      const second = await createKey(t, adminKey, 'admin');
      const [a, b] = await Promise.all([
        t.request('DELETE', `/v1/api-keys/${second.id}`, undefined, { key: adminKey }),
        t.request('DELETE', `/v1/api-keys/${first.id}`, undefined, { key: second.key }),
      ]);
      // One wins; the other is refused as the last admin, or finds its own key already revoked.
      expect([a.status, b.status].filter((s) => s === 204)).toHaveLength(1);
      expect([a.status, b.status].filter((s) => s === 409 || s === 401)).toHaveLength(1);
      const live = await t.store.db
        .selectFrom('api_keys')
        .select('id')
        .where('program_id', '=', (await t.store.db.selectFrom('api_keys').select('program_id').where('id', '=', first.id).executeTakeFirstOrThrow()).program_id)
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toHaveLength(1);
    });
  });
});

/** The stored last use of a key. */
const lastUsedOf = async (t: TestApp, keyId: string) =>
  (await t.store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', keyId).executeTakeFirstOrThrow()).last_used_at;

describe.each(engines)('API keys that expire and tell when they were used [%s]', (engine) => {
  /** The keys whose last use was written, one entry a write. */
  const writes: unknown[] = [];
  const t = useTestApp(engine, {
    storeOptions: {
      onQuery: (statement, parameters) => void (/^update "api_keys" set "last_used_at"/.test(statement) && writes.push(...parameters.filter((p) => String(p).startsWith('key_')))),
    },
  });
  const hour = 3_600_000;

  it('refuses an expiry that is not in the future, naming the field, and creates nothing', async () => {
    const { programId, adminKey } = await t.newProgram();
    const keys = () => t.store.db.selectFrom('api_keys').select('id').where('program_id', '=', programId).execute();
    const before = await keys();
    for (const expiresAt of [new Date(t.clock.now().getTime() - 1_000).toISOString(), t.clock.now().toISOString().slice(0, 10), 'tomorrow']) {
      const response = await t.request('POST', '/v1/api-keys', { role: 'pos', name: 'Till', expiresAt }, { key: adminKey });
      expect(response.status, expiresAt).toBe(400);
      expect(response.body.errors.map((e: { path: string }) => e.path), expiresAt).toEqual(['/body/expiresAt']);
    }
    expect(await keys()).toEqual(before);
  });

  it('works until its expiry, then answers 401 saying when it expired', async () => {
    const { adminKey } = await t.newProgram();
    const expiresAt = new Date(t.clock.now().getTime() + hour).toISOString();
    const created = await t.request('POST', '/v1/api-keys', { role: 'app', name: 'Campaign site', expiresAt }, { key: adminKey });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ expiresAt, lastUsedAt: null });
    expect((await t.request('GET', '/v1/users', undefined, { key: created.body.key })).status).toBe(200);

    t.clock.advance(hour);
    const refused = await t.request('GET', '/v1/users', undefined, { key: created.body.key });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHENTICATED', detail: expect.stringContaining(`expired at ${expiresAt}`) });
    // Still listed, with its expiry, for the administrator to see why a till stopped.
    const listed = await t.request('GET', '/v1/api-keys', undefined, { key: adminKey });
    expect(listed.body.data.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ expiresAt });
  });

  it('notes when a key was last used, once a minute however many requests it sends', async () => {
    const { adminKey } = await t.newProgram();
    const app = await createKey(t, adminKey, 'app');
    expect(await lastUsedOf(t, app.id)).toBeNull();

    const first = t.clock.now().toISOString();
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.request('GET', '/v1/users', undefined, { key: app.key })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const noted = await until('the first use to be noted', () => lastUsedOf(t, app.id), (at) => at !== null);
    expect(Date.parse(noted!)).toBeGreaterThanOrEqual(Date.parse(first));
    // Within the minute, more requests write nothing more.
    t.clock.advance(KEY_USE_PRECISION_MS / 2);
    for (let i = 0; i < 5; i++) expect((await t.request('GET', '/v1/users', undefined, { key: app.key })).status).toBe(200);
    expect(await lastUsedOf(t, app.id)).toBe(noted);
    expect(writes.filter((id) => id === app.id)).toHaveLength(1);

    // A minute after the noted use, the next request notes itself.
    t.clock.advance(KEY_USE_PRECISION_MS / 2);
    expect((await t.request('GET', '/v1/users', undefined, { key: app.key })).status).toBe(200);
    const later = await until('the next use to be noted', () => lastUsedOf(t, app.id), (at) => at !== noted);
    expect(Date.parse(later!) - Date.parse(noted!)).toBeGreaterThanOrEqual(KEY_USE_PRECISION_MS);
    const listed = await t.request('GET', '/v1/api-keys', undefined, { key: adminKey });
    expect(listed.body.data.find((k: { id: string }) => k.id === app.id)).toMatchObject({ lastUsedAt: later, expiresAt: null });
  });
});
