import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { type Dispatcher, retryDelay, startDispatcher } from '../src/webhooks/dispatcher.js';
import { checkedLookup, urlProblem } from '../src/webhooks/url-policy.js';
import { type WebhookSettings } from '../src/webhooks/webhook.js';
import { TEST_WEBHOOK_SETTINGS, type TestApp, createMember, describeEachEngine } from './harness.js';
import { boughtBy, newReward } from './fixtures.js';
import { startReceiver } from './webhook-receiver.js';
import { until } from './until.js';


let pathSerial = 0;

describeEachEngine('webhooks', (t: TestApp) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dispatcher: Dispatcher | undefined;
  const run = (settings: WebhookSettings = TEST_WEBHOOK_SETTINGS) => {
    dispatcher = startDispatcher(t.store, systemClock, settings, { warn: () => {} });
  };
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  });

  const subscribe = async (key: string, eventTypes: string[], path = `/hook-${++pathSerial}`) => {
    const created = await t.request('POST', '/v1/webhooks', { url: receiver.url(path), eventTypes }, { key });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { ...created.body, path };
  };
  const deliveriesOf = async (key: string, webhookId: string) =>
    (await t.request('GET', `/v1/webhooks/${webhookId}/deliveries`, undefined, { key })).body.data;

  it('subscribes, shows the secret once, lists and deletes', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['PURCHASED_REWARD']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const shown = await t.request('GET', `/v1/webhooks/${hook.id}`, undefined, { key: adminKey });
    expect(shown.body).toEqual({ id: hook.id, url: hook.url, eventTypes: ['PURCHASED_REWARD'], description: null, createdAt: hook.createdAt });
    expect((await t.request('GET', '/v1/webhooks', undefined, { key: adminKey })).body.data.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    expect((await t.request('DELETE', `/v1/webhooks/${hook.id}`, undefined, { key: adminKey })).status).toBe(204);
    expect((await t.request('GET', `/v1/webhooks/${hook.id}`, undefined, { key: adminKey })).status).toBe(404);
  });

  it('refuses URLs that are not http(s), naming the field', async () => {
    const { adminKey } = await t.newProgram();
    for (const url of ['ftp://example.com/x', 'not a url', 'http://user:pw@example.com/']) {
      const response = await t.request('POST', '/v1/webhooks', { url, eventTypes: ['PURCHASED_REWARD'] }, { key: adminKey });
      expect(response.status, url).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ path: '/body/url' })]);
    }
  });

  it('delivers subscribed events in order, signed so a Standard Webhooks library verifies them', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['PURCHASED_REWARD', 'REDEEMED_VOUCHER']);
    run();
    const reward = await newReward(t, adminKey);
    const { userId } = await boughtBy(t, adminKey, reward);
    const got = await until('two deliveries', () => receiver.received.filter((r) => r.path === hook.path), (r) => r.length >= 2);
    const events = (await t.request('GET', `/v1/events?userId=${userId}`, undefined, { key: adminKey })).body.data.filter(
      (e: { type: string }) => e.type !== 'POINTS_ADJUSTED',
    );
    expect(got.map((r) => JSON.parse(r.body))).toEqual(events);
    const verifier = new Webhook(hook.secret);
    for (const request of got) {
      expect(verifier.verify(request.body, request.headers as Record<string, string>)).toEqual(JSON.parse(request.body));
      expect(request.headers['webhook-id']).toBe(JSON.parse(request.body).id);
    }
    // A tampered body does not verify.
    expect(() => verifier.verify(got[0]!.body.replace('PURCHASED', 'PURCHASEX'), got[0]!.headers as Record<string, string>)).toThrow();
    // POINTS_ADJUSTED was not subscribed to.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.filter((r) => r.path === hook.path)).toHaveLength(2);
  });

  it('retries a receiver that answers 500 three times and records every attempt', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['POINTS_ADJUSTED']);
    receiver.answers.set(hook.path, (n) => (n <= 3 ? 500 : 200));
    run();
    await createMember(t, adminKey).then((userId) => t.request('POST', `/v1/users/${userId}/points`, { delta: 5, reason: 'x' }, { key: adminKey }));
    const [delivery] = await until('a delivered delivery', () => deliveriesOf(adminKey, hook.id), (d) => d[0]?.status === 'DELIVERED');
    expect(delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(receiver.received.filter((r) => r.path === hook.path)).toHaveLength(4);
    expect(new Set(receiver.received.filter((r) => r.path === hook.path).map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('times out a receiver that hangs, then retries it', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['POINTS_ADJUSTED']);
    receiver.answers.set(hook.path, (n) => (n === 1 ? null : 204));
    run();
    await createMember(t, adminKey).then((userId) => t.request('POST', `/v1/users/${userId}/points`, { delta: 5, reason: 'x' }, { key: adminKey }));
    const [delivery] = await until('a delivered delivery', () => deliveriesOf(adminKey, hook.id), (d) => d[0]?.status === 'DELIVERED');
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: expect.stringContaining('no answer within') }),
      expect.objectContaining({ attempt: 2, statusCode: 204, error: null }),
    ]);
  });

  it('keeps delivering to other receivers while one hangs', async () => {
    const { adminKey } = await t.newProgram();
    const stuck = await subscribe(adminKey, ['POINTS_ADJUSTED']);
    const healthy = await subscribe(adminKey, ['POINTS_ADJUSTED']);
    receiver.answers.set(stuck.path, () => null);
    // The hanging receiver is given far longer than the test takes: everything the healthy one
    // gets arrives while the first attempt to the stuck one is still waiting for its answer.
    run({ ...TEST_WEBHOOK_SETTINGS, timeoutMs: 10 * 60_000 });
    const userId = await createMember(t, adminKey);
    for (let i = 0; i < 3; i++) await t.request('POST', `/v1/users/${userId}/points`, { delta: 1, reason: `r${i}` }, { key: adminKey });
    await until('the healthy receiver', () => receiver.received.filter((r) => r.path === healthy.path), (r) => r.length === 3);
    expect(receiver.received.filter((r) => r.path === stuck.path)).toHaveLength(1);
    const [first] = await deliveriesOf(adminKey, stuck.id);
    expect(first?.attempts ?? []).toEqual([]);
    receiver.hangUp();
  });

  it('gives up after the maximum age, and sends a failed delivery again on request', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['POINTS_ADJUSTED']);
    let healthy = false;
    receiver.answers.set(hook.path, () => (healthy ? 200 : 503));
    run({ ...TEST_WEBHOOK_SETTINGS, maxAgeMs: 1 });
    await createMember(t, adminKey).then((userId) => t.request('POST', `/v1/users/${userId}/points`, { delta: 5, reason: 'x' }, { key: adminKey }));
    const [failed] = await until('a failed delivery', () => deliveriesOf(adminKey, hook.id), (d) => d[0]?.status === 'FAILED');
    expect(failed.attempts).toHaveLength(1);
    healthy = true;
    const retry = await t.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`, undefined, { key: adminKey });
    expect(retry.status).toBe(202);
    const [done] = await until('the retried delivery', () => deliveriesOf(adminKey, hook.id), (d) => d[0]?.status === 'DELIVERED');
    expect(done.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
    const again = await t.request('POST', `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`, undefined, { key: adminKey });
    expect(again.body.code).toBe('INVALID_STATE');
  });

  it('sends a test message on request', async () => {
    const { adminKey } = await t.newProgram();
    const hook = await subscribe(adminKey, ['PURCHASED_REWARD']);
    run();
    const sent = await t.request('POST', `/v1/webhooks/${hook.id}/test`, undefined, { key: adminKey });
    expect(sent.status).toBe(202);
    const [request] = await until('the test message', () => receiver.received.filter((r) => r.path === hook.path), (r) => r.length === 1);
    expect(JSON.parse(request!.body)).toMatchObject({ id: sent.body.eventId, type: 'WEBHOOK_TEST' });
    expect(new Webhook(hook.secret).verify(request!.body, request!.headers as Record<string, string>)).toBeTruthy();
  });
});

describe('webhook rules', () => {
  it('refuses private, loopback and reserved addresses unless allowed', () => {
    for (const url of ['http://127.0.0.1/x', 'http://localhost:8080/', 'http://10.1.2.3/', 'http://192.168.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://[::127.0.0.1]/', 'http://[::a00:1]/', 'http://[::5db8:d822]/']) {
      expect(urlProblem(url, false), url).not.toBeNull();
      expect(urlProblem(url, true), url).toBeNull();
    }
    expect(urlProblem('http://10.1.2.3/', false)).toContain('TESSERA_WEBHOOK_ALLOW_PRIVATE=true');
    expect(urlProblem('http://localhost/', false)).toContain('TESSERA_WEBHOOK_ALLOW_PRIVATE=true');
    expect(urlProblem('https://hooks.example.com/tessera', false)).toBeNull();
    expect(urlProblem('http://93.184.216.34/', false)).toBeNull();
  });

  it('checks the address a name resolves to as the connection is made', async () => {
    const resolve = (allowPrivate: boolean) =>
      new Promise<unknown>((done) => checkedLookup(allowPrivate)('localhost', {}, (error, address) => done(error ?? address)));
    expect(await resolve(false)).toMatchObject({ code: 'EPRIVATE' });
    expect(await resolve(true)).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('backs off exponentially with jitter, capped at an hour', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const delay = retryDelay(attempt, 1000);
      expect(delay).toBeGreaterThanOrEqual(0.8 * 1000 * 2 ** (attempt - 1));
      expect(delay).toBeLessThanOrEqual(1.2 * 1000 * 2 ** (attempt - 1));
    }
    expect(retryDelay(40, 1000)).toBeLessThanOrEqual(1.2 * 3_600_000);
  });
});
