import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ROOT } from '../src/http/console.js';
import { createMember, describeEachEngine } from './harness.js';

describeEachEngine('operations', (t) => {
  describe('GET /openapi.json and /docs', () => {
    it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
      const response = await t.request('GET', '/openapi.json');
      expect(response.status).toBe(200);
      expect(response.body.openapi).toBe('3.1.0');
      const points = response.body.paths['/v1/users/{id}/points'];
      expect(points.post.requestBody.content['application/json'].schema.required).toEqual(['delta', 'reason']);
      expect(points.post['x-roles']).toEqual(['admin', 'app']);
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining(['/v1/users', '/v1/users/{id}', '/v1/api-keys', '/v1/api-keys/{id}', '/v1/events', '/healthz', '/readyz']),
      );
    });

    it('renders the document at /docs', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/docs/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
    });
  });

  describe('health', () => {
    it('answers liveness and readiness', async () => {
      expect((await t.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
      expect((await t.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
    });
  });

  describe('GET /metrics', () => {
    it('exposes request latency per route in the Prometheus format', async () => {
      const { adminKey } = await t.newProgram();
      await createMember(t, adminKey);
      const response = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toMatch(/tessera_http_request_duration_seconds_count\{method="POST",route="\/v1\/users",status_code="201"\} \d+/);
    });
  });

  describe('request ids', () => {
    it('echoes the caller\'s request id, or makes one', async () => {
      const given = await t.request('GET', '/healthz', undefined, { headers: { 'x-request-id': 'till-7.req-99' } });
      expect(given.headers['x-request-id']).toBe('till-7.req-99');
      const made = await t.request('GET', '/healthz');
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const unsafe = await t.request('GET', '/healthz', undefined, { headers: { 'x-request-id': 'has spaces and <html>' } });
      expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with a problem', async () => {
      const response = await t.request('GET', '/v1/nothing-here');
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 404, code: 'NOT_FOUND', title: expect.any(String), type: expect.any(String) });
    });

    it('answers a method a path does not take with 405 and the methods it does take in Allow', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      for (const [method, url, allow] of [
        ['PUT', '/v1/users', 'GET, HEAD, POST, OPTIONS'],
        ['DELETE', `/v1/users/${userId}`, 'GET, HEAD, OPTIONS'],
        ['GET', `/v1/users/${userId}/purchases`, 'POST, OPTIONS'],
        ['HEAD', `/v1/users/${userId}/purchases`, 'POST, OPTIONS'],
        ['PATCH', '/v1/api-keys/key_01jz5m3t9x8k2v4q6r7s0a1b2c', 'DELETE, OPTIONS'],
        ['POST', '/healthz?x=1', 'GET, HEAD, OPTIONS'],
      ] as const) {
        // With a key or without: the method is wrong whoever asks.
        const response = await t.request(method, url, undefined, { key: adminKey });
        expect(response.status, `${method} ${url}`).toBe(405);
        expect(response.headers.allow, `${method} ${url}`).toBe(allow);
        if (method === 'HEAD') continue;
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED', detail: expect.stringContaining(`does not answer ${method}`) });
      }
    });

    it('answers OPTIONS on a path with its methods, and keeps 404 for paths nothing answers', async () => {
      const options = await t.request('OPTIONS', '/v1/rewards/rwd_01jz5m3t9x8k2v4q6r7s0a1b2c');
      expect(options.status).toBe(204);
      expect(options.headers.allow).toBe('GET, HEAD, PATCH, OPTIONS');
      for (const method of ['GET', 'PUT', 'OPTIONS']) {
        const response = await t.request(method, '/v1/nothing-here');
        expect(response.status, method).toBe(404);
        expect(response.headers.allow, method).toBeUndefined();
      }
      // A route that takes GET and finds nothing under it is a 404, not a 405 (the built console's files).
      if (fs.existsSync(path.join(CONSOLE_ROOT, 'index.html'))) {
        const file = await t.request('GET', '/console/assets/no-such-file.js');
        expect(file.status).toBe(404);
      }
    });

    it('says what it wants: the accepted content types on a 415, the limit on a 413, the member holding an externalId on a 409', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey, 'crm-taken');
      const json = await t.request('POST', '/v1/users', undefined, { key: adminKey, payload: '<user/>', contentType: 'application/xml' });
      expect(json.status).toBe(415);
      expect(json.body.detail).toContain('send the body as application/json');
      const reward = await t.request('POST', '/v1/rewards', { name: 'Pool', pricePoints: 1, codeType: 'POOL', incentives: [] }, { key: adminKey });
      const upload = await t.request('POST', `/v1/rewards/${reward.body.id}/codes`, undefined, { key: adminKey, payload: '<codes/>', contentType: 'application/xml' });
      expect(upload.status).toBe(415);
      expect(upload.body.detail).toContain('send the body as text/plain, text/csv, application/json');
      const large = await t.request('POST', '/v1/users', undefined, { key: adminKey, payload: JSON.stringify({ externalId: 'x'.repeat(70_000) }) });
      expect(large.status).toBe(413);
      expect(large.body.detail).toContain('larger than 65536 bytes');
      expect(large.body.detail).toContain('TESSERA_BODY_LIMIT_BYTES');
      const taken = await t.request('POST', '/v1/users', { externalId: 'crm-taken' }, { key: adminKey });
      expect(taken.status).toBe(409);
      expect(taken.body.detail).toContain(userId);
      expect(taken.body.errors).toEqual([{ path: '/body/externalId', message: `externalId is already taken by ${userId}` }]);
    });

    it('never shows internals in a 5xx', async () => {
      const { adminKey } = await t.newProgram();
      const userId = await createMember(t, adminKey);
      // Break the database under the app: the request fails inside, and the answer says nothing of why.
      await t.store.db.schema.alterTable('ledger_entries').renameTo('ledger_entries_away').execute();
      try {
        const response = await t.request('POST', `/v1/users/${userId}/points`, { delta: 1, reason: 'x' }, { key: adminKey });
        expect(response.status).toBe(500);
        expect(response.body).toMatchObject({ code: 'INTERNAL', detail: expect.stringContaining('request id') });
        const text = JSON.stringify(response.body);
        expect(text).not.toMatch(/ledger|sql|select|insert|node_modules|\.ts|at /i);
        const after = await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey });
        expect(after.body.balance).toBe(0);
      } finally {
        await t.store.db.schema.alterTable('ledger_entries_away').renameTo('ledger_entries').execute();
      }
    });
  });
});
