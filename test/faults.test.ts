import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openGuessLimiter } from '../src/validations/guess-limiter.js';
import { boughtBy, newReward } from './fixtures.js';
import { sql } from 'kysely';
import { type Response, type TestDatabase, createKey, createMember, createTestDatabase, engines, storageOf, useTestApp } from './harness.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, startServer } from './server-process.js';

/**
 * Faults an operator meets in production: the database going away under load, the disk filling up.
 * What is acknowledged must be there afterwards, once, and the server must live on.
 */
describe.runIf(engines.includes('postgres'))('faults [postgres]', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
  });

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
  });

  const call = async (server: ServerProcess, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.json().catch(() => null) };
  };

  /** Ends every connection the server holds to its database, as a restart or failover of PostgreSQL does. */
  const cutConnections = async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      const cut = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      return cut.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  };

  it('lives through its connections being cut during a load of credits: nothing worse than 503 meanwhile, every acknowledged credit kept once', async () => {
    const server = await startServer(database.url);
    const member = await call(server, 'POST', '/v1/users', { externalId: 'fault-1' });
    expect(member.status).toBe(201);
    const userId = member.body.id as string;

    let running = true;
    const acknowledged: string[] = [];
    const sent = new Set<string>();
    const statuses = new Map<number, number>();
    const client = async (n: number) => {
      for (let i = 0; running; i++) {
        const reason = `load ${n}-${i}`;
        sent.add(reason);
        const response = await call(server, 'POST', `/v1/users/${userId}/points`, { delta: 1 + n, reason }).catch(() => ({ status: 0, type: '', body: null }));
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 201) acknowledged.push(reason);
        else if (response.status !== 0) expect(response.type, `a ${response.status} is a problem`).toContain('application/problem+json');
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));
    await sleep(300);
    let cuts = 0;
    for (let round = 0; round < 3; round++) {
      cuts += await cutConnections();
      await sleep(200);
    }
    await sleep(500);
    running = false;
    await Promise.all(clients);
    expect(cuts).toBeGreaterThan(0);

    // Still serving, and by itself again.
    const after = await call(server, 'POST', `/v1/users/${userId}/points`, { delta: 1, reason: 'after' });
    expect(after.status, server.output().slice(-4000)).toBe(201);
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503), `statuses ${JSON.stringify([...statuses])}`).toEqual([]);

    // Every acknowledged credit is in the ledger once; nothing is there that was not sent (a credit
    // whose answer was lost with its connection may or may not be).
    const ledger = new pg.Client({ connectionString: database.url });
    await ledger.connect();
    try {
      const { rows } = await ledger.query<{ reason: string }>("select reason from ledger_entries where reason like 'load %'");
      const reasons = rows.map((row) => row.reason);
      expect(new Set(reasons).size).toBe(reasons.length);
      expect(reasons.filter((reason) => !sent.has(reason))).toEqual([]);
      const kept = new Set(reasons);
      expect(acknowledged.filter((reason) => !kept.has(reason))).toEqual([]);
      const { rows: [user] } = await ledger.query<{ balance: string; total: string }>(
        'select balance, (select sum(delta) from ledger_entries e where e.user_id = u.id) as total from users u where id = $1',
        [userId],
      );
      expect(Number(user!.balance)).toBe(Number(user!.total));
    } finally {
      await ledger.end();
    }
  });
});

describe('faults [sqlite]', () => {
  const t = useTestApp('sqlite');

  it('answers 503 while the disk is full, keeps every acknowledged write, reads on, and writes again once there is room', async () => {
    const { adminKey } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    const credit = (i: number) => t.request('POST', `/v1/users/${userId}/points`, { delta: 1, reason: `credit ${'x'.repeat(400)} ${i}` }, { key: adminKey });
    const pageCount = async () => Number((await sql<{ page_count: number }>`pragma page_count`.execute(t.store.db)).rows[0]!.page_count);
    // The database may grow by only a few pages: SQLite's own page limit stands for a full disk.
    await sql.raw(`pragma max_page_count = ${(await pageCount()) + 4}`).execute(t.store.db);
    const acknowledged: number[] = [];
    let full: Response | undefined;
    try {
      for (let i = 0; i < 2000 && full === undefined; i++) {
        const response = await credit(i);
        if (response.status === 201) acknowledged.push(i);
        else full = response;
      }
      expect(full?.status, 'the database never filled up').toBe(503);
      expect(full!.headers['content-type']).toContain('application/problem+json');
      expect(full!.body).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringContaining('retry') });
      expect(full!.headers['retry-after']).toBeDefined();
      // Reads go on.
      const read = await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey });
      expect(read.status).toBe(200);
      expect(read.body.balance).toBe(acknowledged.length);
    } finally {
      // Room again.
      await sql`pragma max_page_count = 4294967294`.execute(t.store.db);
    }
    const after = await credit(-1);
    expect(after.status).toBe(201);
    const points = await t.request('GET', `/v1/users/${userId}`, undefined, { key: adminKey });
    expect(points.body.balance).toBe(acknowledged.length + 1);
  });
});

describe.runIf(inject('redisUrl') !== null)('faults [Redis for the guess counters]', () => {
  // Redis reached through a proxy this test can cut, as a Redis restart or a network split would.
  const redis = new URL(inject('redisUrl') ?? 'redis://127.0.0.1:6379');
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(redis.port || 6379), redis.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  const cutRedis = () => {
    proxy.close();
    for (const socket of sockets) socket.destroy();
  };
  beforeAll(() => new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve)));
  afterAll(cutRedis);
  const t = useTestApp('sqlite', {
    guessLimiter: (database) =>
      openGuessLimiter({
        storage: storageOf(database),
        redisUrl: `redis://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
        limits: { limit: 5, windowSeconds: 60, blockSeconds: 60 },
      }),
  });

  it('keeps validating while Redis is away, and still refuses a key that guesses too often', async () => {
    const { adminKey } = await t.newProgram();
    const reward = await newReward(t, adminKey, { pricePoints: 0 });
    const codes: string[] = [];
    for (let i = 0; i < 2; i++) codes.push((await boughtBy(t, adminKey, reward)).voucher.code);
    const pos = await createKey(t, adminKey, 'pos');
    const validate = (code: string) => t.request('POST', '/v1/voucher-validations', { code }, { key: pos.key });

    expect((await validate('NOT-A-CODE-1')).body.reason).toBe('NOT_FOUND');
    expect((await validate(codes[0]!)).body).toMatchObject({ valid: true, burned: true });

    // Redis goes away: every connection to it is cut and no new one is let through.
    cutRedis();

    expect((await validate(codes[1]!)).body).toMatchObject({ valid: true, burned: true });
    const misses = [];
    for (let i = 2; i <= 7; i++) misses.push(await validate(`NOT-A-CODE-${i}`));
    // Counting went on in this process: the key is refused once over its limit, as with Redis.
    expect(misses.slice(0, 4).map((m) => m.body.reason)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    expect(misses.at(-1)!.status).toBe(429);
    expect(misses.every((m) => m.status === 200 || m.status === 429)).toBe(true);
  });
});
