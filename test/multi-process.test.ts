import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { migrations } from '../src/db/migrations/index.js';
import { adjustPoints } from '../src/ledger/adjust-points.js';
import type { Store } from '../src/db/store.js';
import { sweepAbandonedUploads } from '../src/pools/pending-upload.js';
import { SORT_SPAN } from '../src/pools/receive-upload.js';
import { bootstrapFirstProgram } from '../src/programs/bootstrap.js';
import { createUser } from '../src/users/create-user.js';
import { type TestDatabase, createTestDatabase, engines, openTestStore } from './harness.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, logLines, startServer } from './server-process.js';
import { startReceiver } from './webhook-receiver.js';
import { until } from './until.js';

/**
 * Real server processes (`node src/main.ts`) sharing one database, reached over HTTP on 127.0.0.1.
 * What one process cannot show: concurrency between processes, kill -9, SIGTERM, shared state.
 */
describe.each(engines)('several server processes on one database [%s]', (engine) => {
  let database: TestDatabase;
  const stores: Store[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(engine);
  });

  afterEach(async () => {
    // Runs when a test fails too: no server outlives its test, no database is left behind.
    await killAllServers();
    await Promise.all(stores.splice(0).map((store) => store.close().catch(() => {})));
    await database?.drop();
  });

  /** Reads the database directly, beside the servers. */
  const openStore = (): Store => {
    const store = openTestStore(database);
    stores.push(store);
    return store;
  };

  /** The schema and the first program made up front, so a test starts its instances together. */
  const prepareDatabase = async (): Promise<void> => {
    const store = openTestStore(database);
    try {
      await migrateToLatest(store);
      await bootstrapFirstProgram(store, systemClock, BOOTSTRAP_ADMIN_KEY);
    } finally {
      await store.close();
    }
  };

  const startTogether = (count: number): Promise<ServerProcess[]> =>
    Promise.all(Array.from({ length: count }, () => startServer(database.url)));

  it(`comes up with one program and one admin key when ${engine === 'sqlite' ? 'two' : 'three'} instances start at the same moment on an empty database`, async () => {
    const servers = await startTogether(engine === 'sqlite' ? 2 : 3);

    for (const [i, server] of servers.entries()) {
      expect((await call(server, 'GET', '/readyz')).status).toBe(200);
      const keys = await call(server, 'GET', '/v1/api-keys');
      expect(keys.status).toBe(200);
      expect(keys.body.data).toEqual([expect.objectContaining({ role: 'admin' })]);
      const member = await call(server, 'POST', '/v1/users', { externalId: `first-member-${i}` });
      expect(member.status).toBe(201);
    }

    const store = openStore();
    const programs = await store.db.selectFrom('programs').select('id').execute();
    expect(programs).toHaveLength(1);
    const keys = await store.db.selectFrom('api_keys').select(['program_id', 'role']).execute();
    expect(keys).toEqual([{ program_id: programs[0]!.id, role: 'admin' }]);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
  });

  it.runIf(engine === 'sqlite')('waits while another process holds the write lock as it starts, instead of failing', async () => {
    await prepareDatabase();
    // Another process in the middle of its own start (migrating, creating the first program) holds
    // the write lock for longer than a busy machine's usual second.
    const holder = new SQLite(database.url.slice('file:'.length));
    holder.exec('BEGIN IMMEDIATE');
    const starting = startServer(database.url);
    let started = false;
    void starting.then(() => { started = true; }, () => {});
    await sleep(5000);
    expect(started).toBe(false);
    holder.exec('COMMIT');
    holder.close();

    const server = await starting;
    expect((await call(server, 'GET', '/readyz')).status).toBe(200);
    const member = await call(server, 'POST', '/v1/users', { externalId: 'after-the-wait' });
    expect(member.status).toBe(201);
  });

  it('lets exactly 123 of 200 concurrent debits of 10 through when two processes share a member holding 1,234 points', async () => {
    await prepareDatabase();
    const servers = await startTogether(2);
    const userId = await createMember(servers[0]!);
    expect((await call(servers[1]!, 'POST', `/v1/users/${userId}/points`, { delta: 1234, reason: 'start' })).status).toBe(201);

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(servers[i % 2]!, 'POST', `/v1/users/${userId}/points`, { delta: -10, reason: `spend ${i}` })),
    );

    const tally: Record<string, number> = {};
    for (const r of results) {
      const outcome = `${r.status} ${r.body?.code ?? ''}`.trim();
      tally[outcome] = (tally[outcome] ?? 0) + 1;
    }
    expect(tally).toEqual({ '201': 123, '409 INSUFFICIENT_POINTS': 77 });
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

    const store = openStore();
    const user = await store.db.selectFrom('users').select('balance').where('id', '=', userId).executeTakeFirstOrThrow();
    const totals = await store.db
      .selectFrom('ledger_entries')
      .select((eb) => [eb.fn.sum<string | number>('delta').as('total'), eb.fn.countAll<string | number>().as('count')])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(Number(user.balance)).toBe(4);
    expect(Number(totals.total)).toBe(4);
    expect(Number(totals.count)).toBe(124);
  });

  it('shows a follower of the event feed every event exactly once, in the final order, while two processes write', async () => {
    await prepareDatabase();
    const servers = await startTogether(2);
    const members = [await createMember(servers[0]!), await createMember(servers[1]!), await createMember(servers[0]!)];

    const acknowledged = new Set<string>();
    const failures: Answer[] = [];
    let writing = true;
    // Three writers per instance, fifty credits each: 300 POINTS_ADJUSTED events in all.
    const writer = async (server: ServerProcess, w: number) => {
      for (let n = 0; n < 50; n++) {
        const r = await call(server, 'POST', `/v1/users/${members[(w + n) % members.length]}/points`, {
          delta: 1 + (n % 5),
          reason: `writer ${w} credit ${n}`,
        });
        if (r.status === 201) acknowledged.add(r.body.id);
        else failures.push(r);
      }
    };

    const seen: EventView[] = [];
    let seenWhileWriting = 0;
    // Polls like an integrator would: passes nextCursor back, alternating between the instances.
    const follower = async () => {
      let cursor: string | null = null;
      // It gives up only once the feed has shown nothing new for a minute after the writers stopped.
      let lastNews = Date.now();
      for (let poll = 0; writing || Date.now() - lastNews < 60_000; poll++) {
        const page = await call(servers[poll % 2]!, 'GET', `/v1/events?limit=25${cursor === null ? '' : `&cursor=${cursor}`}`);
        if (page.status !== 200) throw new Error(`the feed answered ${page.status}: ${JSON.stringify(page.body)}`);
        seen.push(...(page.body.data as EventView[]));
        if (writing || page.body.data.length > 0) lastNews = Date.now();
        if (writing) seenWhileWriting = seen.length;
        cursor = page.body.nextCursor;
        if (page.body.hasMore) continue;
        if (!writing && seen.filter((e) => e.type === 'POINTS_ADJUSTED').length >= acknowledged.size) return;
        await sleep(writing ? 5 : 20);
      }
    };

    // Notes long-open transactions while the writers run: on PostgreSQL they hold the feed back.
    const store = openStore();
    const holdingBack = new Map<number, LongTransaction>();
    const watcher = async () => {
      while (writing) {
        for (const t of await longTransactions(store)) holdingBack.set(t.pid, t);
        await sleep(250);
      }
    };

    const following = follower();
    const watching = watcher();
    // Awaited below; this only keeps an early failure from being reported as "unhandled".
    for (const task of [following, watching]) task.catch(() => {});
    try {
      await Promise.all(servers.flatMap((server, s) => [0, 1, 2].map((w) => writer(server, s * 3 + w))));
    } finally {
      writing = false;
    }
    await Promise.all([following, watching]);

    expect(failures).toEqual([]);
    expect(acknowledged.size).toBe(300);

    const log = await readEvents(servers[0]!, '');
    const logIds = log.map((e) => e.id);
    const seenIds = seen.map((e) => e.id);
    for (const t of await longTransactions(store)) holdingBack.set(t.pid, t);
    const stall =
      holdingBack.size === 0 ? '' : `\n(transactions open over a second in the cluster meanwhile: ${JSON.stringify([...holdingBack.values()])})`;
    expect.soft(seenWhileWriting, `events seen while the writers ran${stall}`).toBeGreaterThan(0);
    expect(seenIds.filter((id, i) => seenIds.indexOf(id) !== i), 'events the follower saw twice').toEqual([]);
    expect(logIds.filter((id) => !seenIds.includes(id)), `events the follower never saw${stall}`).toEqual([]);
    expect(seenIds).toEqual(logIds);

    const entryIds = log.filter((e) => e.type === 'POINTS_ADJUSTED').map((e) => e.data.entryId as string);
    expect(entryIds).toHaveLength(300);
    expect(new Set(entryIds)).toEqual(acknowledged);
  });

  it('keeps every acknowledged credit when the process is killed with SIGKILL mid-traffic', async () => {
    await prepareDatabase();
    const [server] = await startTogether(1);
    const userId = await createMember(server!);

    const acknowledged = await killMidTraffic(server!, (l, n) => {
      const delta = 1 + ((l + n) % 9);
      return {
        request: call(server!, 'POST', `/v1/users/${userId}/points`, { delta, reason: `loop ${l} credit ${n}` }),
        acknowledged: (r): LedgerEntry | undefined => (r.status === 201 ? r.body : undefined),
      };
    });

    const next = await startServer(database.url);
    const ledger = await readLedger(next, userId);
    const stored = new Map(ledger.entries.map((e) => [e.id, e]));
    const lost = acknowledged.filter((e) => {
      const found = stored.get(e.id);
      return found === undefined || found.delta !== e.delta || found.reason !== e.reason;
    });
    expect(lost, 'acknowledged credits missing after kill -9').toEqual([]);
    expect(ledger.balance).toBe(sum(ledger.entries.map((e) => e.delta)));

    // Events commit with their change: one POINTS_ADJUSTED per entry, none without an entry.
    const events = await readEvents(next, `&type=POINTS_ADJUSTED&userId=${userId}`);
    const eventEntryIds = events.map((e) => e.data.entryId as string);
    expect(new Set(eventEntryIds).size).toBe(eventEntryIds.length);
    expect(new Set(eventEntryIds)).toEqual(new Set(stored.keys()));
    const withEvent = new Set(eventEntryIds);
    expect(acknowledged.filter((e) => !withEvent.has(e.id)), 'acknowledged credits without their event').toEqual([]);
  });

  it('keeps every acknowledged purchase when the process is killed with SIGKILL mid-traffic, with its debit, voucher, stock and event', async () => {
    await prepareDatabase();
    const [server] = await startTogether(1);
    const reward = await call(server!, 'POST', '/v1/rewards', { name: 'Lunch', pricePoints: 2, codeType: 'ONE_TIME', stock: 1_000_000, incentives: [{ type: 'PERCENTAGE', value: 100 }] });
    expect(reward.status).toBe(201);
    const members = [await createMember(server!), await createMember(server!)];
    for (const userId of members) expect((await call(server!, 'POST', `/v1/users/${userId}/points`, { delta: 1_000_000, reason: 'start' })).status).toBe(201);

    const acknowledged = await killMidTraffic(server!, (l, n) => ({
      request: call(server!, 'POST', `/v1/users/${members[(l + n) % 2]}/purchases`, { rewardId: reward.body.id }),
      acknowledged: (r): { purchaseId: string; voucherId: string } | undefined =>
        r.status === 201 ? { purchaseId: r.body.purchase.id, voucherId: r.body.voucher.id } : undefined,
    }));

    const next = await startServer(database.url);
    const store = openStore();
    const purchases = await store.db.selectFrom('purchases').select(['id', 'voucher_id']).execute();
    const kept = new Map(purchases.map((p) => [p.id, p.voucher_id]));
    expect(acknowledged.filter((a) => kept.get(a.purchaseId) !== a.voucherId), 'acknowledged purchases missing after kill -9').toEqual([]);
    // Whatever committed committed whole: a debit, a voucher and an event per purchase, the stock down by one each.
    const count = async (table: 'vouchers' | 'events' | 'ledger_entries', where: [string, string]) =>
      Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(where[0] as never, '=', where[1] as never).executeTakeFirstOrThrow()).n);
    expect(await count('vouchers', ['reward_id', reward.body.id])).toBe(purchases.length);
    expect(await count('events', ['type', 'PURCHASED_REWARD'])).toBe(purchases.length);
    expect(await count('ledger_entries', ['kind', 'PURCHASE'])).toBe(purchases.length);
    const stock = (await call(next, 'GET', `/v1/rewards/${reward.body.id}`)).body.stock;
    expect(stock).toBe(1_000_000 - purchases.length);
    for (const userId of members) {
      const ledger = await readLedger(next, userId);
      expect(ledger.balance).toBe(sum(ledger.entries.map((e) => e.delta)));
    }
  });

  it('keeps every acknowledged burn when the process is killed with SIGKILL mid-traffic, and never burns one twice', async () => {
    await prepareDatabase();
    const [server] = await startTogether(1);
    const userId = await createMember(server!);
    const reward = await call(server!, 'POST', '/v1/rewards', { name: 'Coffee', pricePoints: 1, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100 }] });
    // Active vouchers written straight into the database: issuing thousands through the API is slow.
    const store = openStore();
    const { program_id: programId } = await store.db.selectFrom('rewards').select('program_id').where('id', '=', reward.body.id).executeTakeFirstOrThrow();
    const codes = Array.from({ length: 20_000 }, (_, i) => `T${String(i).padStart(6, '0')}`); // already in normal form
    const now = new Date().toISOString();
    for (let from = 0; from < codes.length; from += 500) {
      const slice = codes.slice(from, from + 500);
      await store.db
        .insertInto('vouchers')
        .values(
          slice.map((code) => ({
            program_id: programId,
            id: `vch_${code}`,
            user_id: userId,
            reward_id: reward.body.id,
            purchase_id: null,
            status: 'ACTIVE',
            code,
            activated_at: now,
            expires_at: null,
            validity_ends_at: null,
            burned_at: null,
            voided_at: null,
            gift_comment: null,
            took_stock: 0,
            burn_validation_id: null,
            created_at: now,
          })),
        )
        .execute();
      await store.db.insertInto('voucher_codes').values(slice.map((code) => ({ program_id: programId, code_normal: code, voucher_id: `vch_${code}` }))).execute();
    }

    const acknowledged = await killMidTraffic(server!, (l, n) => {
      const code = codes[l + 16 * n];
      if (code === undefined) return null;
      return {
        request: call(server!, 'POST', '/v1/voucher-validations', { code }),
        acknowledged: (r) => (r.status === 200 && r.body.burned === true ? { code, validationId: r.body.validation.id as string } : undefined),
      };
    });

    const next = await startServer(database.url);
    const vouchers = await store.db.selectFrom('vouchers').select(['code', 'status', 'burn_validation_id']).where('program_id', '=', programId).execute();
    const byCode = new Map(vouchers.map((v) => [v.code, v]));
    const lost = acknowledged.filter((a) => byCode.get(a.code)?.status !== 'BURNED' || byCode.get(a.code)?.burn_validation_id !== a.validationId);
    expect(lost, 'acknowledged burns missing after kill -9').toEqual([]);
    // Every burned voucher, acknowledged or cut off, has exactly one BURNED_VOUCHER event, and no event lacks its burn.
    const events = await readEvents(next, `&type=BURNED_VOUCHER&userId=${userId}`);
    const burnedIds = vouchers.filter((v) => v.status === 'BURNED').map((v) => v.burn_validation_id);
    expect(events.map((e) => e.data.validationId).sort()).toEqual(burnedIds.sort());
    // And none burns again.
    for (const { code } of acknowledged.slice(0, 20)) {
      expect((await call(next, 'POST', '/v1/voucher-validations', { code })).body.reason).toBe('ALREADY_BURNED');
    }
  });

  it('delivers the webhooks of a purchase committed just before kill -9, once restarted', async () => {
    await prepareDatabase();
    const receiver = await startReceiver();
    try {
      // The first process never gets to dispatch: its first look would come after a minute.
      const env = { TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true', TESSERA_WEBHOOK_POLL_MS: '60000' };
      const server = await startServer(database.url, { env });
      const hook = await call(server, 'POST', '/v1/webhooks', { url: receiver.url('/after-crash'), eventTypes: ['PURCHASED_REWARD', 'REDEEMED_VOUCHER'] });
      expect(hook.status).toBe(201);
      const { code } = await voucherAndTill(server);
      await server.kill9();
      expect(receiver.received).toEqual([]);

      const next = await startServer(database.url, { env: { ...env, TESSERA_WEBHOOK_POLL_MS: '20' } });
      await until('the purchase\'s two events', () => receiver.received.length, (n) => n >= 2);
      const bodies = receiver.received.map((r) => JSON.parse(r.body));
      expect(bodies.map((b) => b.type)).toEqual(['PURCHASED_REWARD', 'REDEEMED_VOUCHER']);
      expect(bodies[1].data.code).toBe(code);
      const logged = (await readEvents(next, '')).filter((e) => e.type === 'PURCHASED_REWARD' || e.type === 'REDEEMED_VOUCHER');
      expect(bodies.map((b) => b.id)).toEqual(logged.map((e) => e.id));
    } finally {
      await receiver.close();
    }
  });

  it(`delivers 1,000 events once each, never twice at once, from ${engine === 'sqlite' ? 'two processes' : 'three instances'}`, async () => {
    await prepareDatabase();
    const receiver = await startReceiver({ delayMs: 2 });
    try {
      const env = { TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true', TESSERA_WEBHOOK_POLL_MS: '20' };
      const servers = await Promise.all(Array.from({ length: instances }, () => startServer(database.url, { env })));
      expect((await call(servers[0]!, 'POST', '/v1/webhooks', { url: receiver.url('/many'), eventTypes: ['POINTS_ADJUSTED'] })).status).toBe(201);
      const userId = await createMember(servers[0]!);
      const credits = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => call(servers[i % instances]!, 'POST', `/v1/users/${userId}/points`, { delta: 1, reason: `credit ${i}` })),
      );
      expect(credits.every((c) => c.status === 201)).toBe(true);
      await until('1,000 deliveries', () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, (n) => n >= 1000);
      await sleep(500);
      const events = await readEvents(servers[0]!, '&type=POINTS_ADJUSTED');
      const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
      expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
      expect(receiver.overlaps, 'sent again while the first send was in flight').toEqual([]);
      expect(ids.length, 'sent more than once').toBe(1000);
    } finally {
      await receiver.close();
    }
  });

  it('answers every request it had received when SIGTERM arrives, exits 0, and the writes are there after a restart', async () => {
    await prepareDatabase();
    const [server] = await startTogether(1);
    const userId = await createMember(server!);

    // Fifty credits whose bodies are held back until the shutdown has begun: surely in flight.
    let releaseBodies!: () => void;
    const bodiesReleased = new Promise<void>((resolve) => (releaseBodies = resolve));
    const held = Array.from({ length: 50 }, (_, i) => postCredit(server!, userId, `held-${i}`, 1 + (i % 7), bodiesReleased));
    await until('the held requests to reach the server', () => receivedRequestIds(server!).filter((id) => id.startsWith('held-')).length, (n) => n === 50);

    const exitCode = server!.stop();
    exitCode.catch(() => {}); // awaited below, once the bodies are released
    // And ten more racing the signal: each may be served, refused with 503, or never reach the server.
    const late = Array.from({ length: 10 }, (_, i) => postCredit(server!, userId, `late-${i}`, 10 + i));
    await until('the shutdown to begin', () => logLines(server!.output()).some((line) => line.msg === 'shutting down'));
    releaseBodies();

    const outcomes = await Promise.all([...held, ...late]);
    // Soft: when the exit is wrong, what follows still tells whether any write was lost.
    expect.soft(await exitCode, `exit code; the server's last words:\n${server!.output().trim().split('\n').slice(-3).join('\n')}`).toBe(0);

    const received = new Set(receivedRequestIds(server!));
    expect(outcomes.filter((o) => received.has(o.requestId) && o.status === undefined), 'received requests left without an answer').toEqual([]);
    expect(outcomes.filter((o) => o.requestId.startsWith('held-')).map((o) => o.status)).toEqual(Array(50).fill(201));
    expect(outcomes.filter((o) => o.status !== undefined && o.status !== 201 && o.status !== 503)).toEqual([]);

    const next = await startServer(database.url);
    const ledger = await readLedger(next, userId);
    const answeredCreated = outcomes.filter((o) => o.status === 201);
    // Every acknowledged write is there, and nothing that was not acknowledged.
    expect(ledger.entries.map((e) => e.reason).sort()).toEqual(answeredCreated.map((o) => o.requestId).sort());
    expect(ledger.balance).toBe(sum(answeredCreated.map((o) => o.delta)));
  });

  it('refuses a key on one instance as soon as another instance has revoked it', async () => {
    await prepareDatabase();
    const [one, two] = await startTogether(2);

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

  /** A member's ACTIVE voucher code and a pos key, made through the first instance. */
  const voucherAndTill = async (server: ServerProcess): Promise<{ code: string; voucherId: string; posKey: string }> => {
    const userId = await createMember(server);
    expect((await call(server, 'POST', `/v1/users/${userId}/points`, { delta: 10, reason: 'start' })).status).toBe(201);
    const reward = await call(server, 'POST', '/v1/rewards', { name: 'Free coffee', pricePoints: 10, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100 }] });
    const bought = await call(server, 'POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id });
    expect(bought.body.voucher?.status, JSON.stringify(bought.body)).toBe('ACTIVE');
    const pos = await call(server, 'POST', '/v1/api-keys', { role: 'pos', name: 'till' });
    return { code: bought.body.voucher.code, voucherId: bought.body.voucher.id, posKey: pos.body.key };
  };
  const instances = engine === 'sqlite' ? 2 : 3;

  it(`burns a code exactly once when 50 validations of it arrive at once through ${instances} instances`, async () => {
    await prepareDatabase();
    const servers = await startTogether(instances);
    const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(servers[i % instances]!, 'POST', '/v1/voucher-validations', { code: code.toLowerCase() }, posKey)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(answers.filter((a) => a.body.burned === true)).toHaveLength(1);
    expect(answers.filter((a) => a.body.reason === 'ALREADY_BURNED')).toHaveLength(49);
    const burns = (await readEvents(servers[instances - 1]!, '&type=BURNED_VOUCHER')).filter((e) => e.data.voucherId === voucherId);
    expect(burns).toHaveLength(1);
    const store = openStore();
    const recorded = await store.db.selectFrom('validations').select(['burned']).where('voucher_id', '=', voucherId).execute();
    expect(recorded).toHaveLength(50);
    expect(recorded.filter((r) => Number(r.burned) === 1)).toHaveLength(1);
  });

  it('answers every retry of a burn with its original result when retries with one reference race it across instances', async () => {
    await prepareDatabase();
    const servers = await startTogether(instances);
    const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(servers[i % instances]!, 'POST', '/v1/voucher-validations', { code, reference: 'till-1/tx-1' }, posKey)),
    );
    expect(answers.every((a) => a.status === 200 && a.body.burned === true)).toBe(true);
    expect(answers.filter((a) => a.body.replayed === false)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.validation.id)).size).toBe(1);
    expect((await readEvents(servers[0]!, '&type=BURNED_VOUCHER')).filter((e) => e.data.voucherId === voucherId)).toHaveLength(1);
  });

  it('keeps the voucher consistent when a reversal races new burns across instances', async () => {
    await prepareDatabase();
    const servers = await startTogether(instances);
    const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);
    const first = await call(servers[0]!, 'POST', '/v1/voucher-validations', { code }, posKey);
    expect(first.body.burned).toBe(true);
    const [reversals, burns] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, (_, i) => call(servers[i % instances]!, 'POST', `/v1/voucher-validations/${first.body.validation.id}/reversal`, {}, posKey))),
      Promise.all(Array.from({ length: 20 }, (_, i) => call(servers[(i + 1) % instances]!, 'POST', '/v1/voucher-validations', { code }, posKey))),
    ]);
    expect(reversals.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(burns.map((b) => b.status)).toEqual(Array(20).fill(200));
    const newBurns = burns.filter((b) => b.body.burned === true).length;
    expect(newBurns).toBeLessThanOrEqual(1);
    const events = (await readEvents(servers[0]!, '')).filter((e) => e.data.voucherId === voucherId);
    expect(events.filter((e) => e.type === 'VOUCHER_BURN_REVERSED')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'BURNED_VOUCHER')).toHaveLength(1 + newBurns);
    const voucher = await call(servers[1]!, 'GET', `/v1/vouchers/${voucherId}`);
    expect(voucher.body.status).toBe(newBurns === 1 ? 'BURNED' : 'ACTIVE');
  });

  const counterStores = engine === 'postgres' && inject('redisUrl') ? ['the database', 'Redis'] : ['the database'];
  it.each(counterStores)('counts unknown codes of one key across every instance (counters in %s)', async (where) => {
    await prepareDatabase();
    const env = { TESSERA_GUESS_LIMIT: '5', ...(where === 'Redis' ? { REDIS_URL: inject('redisUrl')! } : {}) };
    const servers = await Promise.all(Array.from({ length: instances }, () => startServer(database.url, { env })));
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

  /** A POOL reward (its pool empty) made through `server`; answers its id. */
  const createPoolReward = async (server: ServerProcess, pricePoints = 10): Promise<string> => {
    const created = await call(server, 'POST', '/v1/rewards', { name: 'Partner voucher', pricePoints, codeType: 'POOL', incentives: [] });
    if (created.status !== 201) throw new Error(`could not create a POOL reward: ${JSON.stringify(created.body)}`);
    return created.body.id;
  };

  /** A reward's rows in the code register, read straight from the database. */
  const registerRows = (store: Store, rewardId: string) =>
    store.db.selectFrom('voucher_codes').select(['code', 'kind', 'voucher_id', 'upload_id']).where('reward_id', '=', rewardId).execute();

  /** How many codes each upload of a reward has in the register so far. */
  const codesPerUpload = async (store: Store, rewardId: string): Promise<Map<string | null, number>> => {
    const rows = await store.db
      .selectFrom('voucher_codes')
      .select((eb) => ['upload_id', eb.fn.countAll<string | number>().as('codes')])
      .where('reward_id', '=', rewardId)
      .groupBy('upload_id')
      .execute();
    return new Map(rows.map((row) => [row.upload_id, Number(row.codes)]));
  };

  /** A reward's uploads, read straight from the database. */
  const uploadRows = (store: Store, rewardId: string) =>
    store.db.selectFrom('code_uploads').select(['id', 'status', 'received', 'added', 'created_at', 'heartbeat_at']).where('reward_id', '=', rewardId).orderBy('created_at').execute();

  it(`hands out a pool of 1,000 codes once each to 2,000 buyers arriving at once through ${engine === 'sqlite' ? 'two processes' : 'three instances'}`, async () => {
    await prepareDatabase();
    const servers = await startTogether(instances);
    const rewardId = await createPoolReward(servers[0]!, 10);
    const codes = distinctCodes('BUY', 1000);
    const uploaded = await uploadCodes(servers[0]!, rewardId, codes);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({ received: 1000, added: 1000, pool: { total: 1000, available: 1000, issued: 0 } });

    // Twice as many buyers as codes, each able to pay.
    const buyers = await fundedMembersInDatabase(openStore(), 2000, 10);

    // The sales of one reward take turns on its stock, so the last buyers wait longest.
    const answers = await Promise.all(
      buyers.map((userId, i) => call(servers[i % instances]!, 'POST', `/v1/users/${userId}/purchases`, { rewardId })),
    );

    expect(tallyOf(answers)).toEqual({ '201': 1000, '409 OUT_OF_STOCK': 1000 });
    const handedOut = answers.filter((a) => a.status === 201).map((a) => a.body.voucher.code as string);
    expect(answers.filter((a) => a.status === 201).every((a) => a.body.voucher.status === 'ACTIVE')).toBe(true);
    expect(handedOut.filter((code, i) => handedOut.indexOf(code) !== i), 'codes handed out twice').toEqual([]);
    expect([...handedOut].sort()).toEqual([...codes].sort());

    for (const server of servers) {
      expect((await call(server, 'GET', `/v1/rewards/${rewardId}/codes/summary`)).body).toEqual({ total: 1000, available: 0, issued: 1000 });
    }
    expect((await call(servers[instances - 1]!, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(0);
    const empties = (await readEvents(servers[0]!, '&type=CODE_POOL_EMPTY')).filter((e) => e.data.rewardId === rewardId);
    expect(empties).toHaveLength(1);

    const store = openStore();
    const rows = await registerRows(store, rewardId);
    expect(rows).toHaveLength(1000);
    expect(rows.every((row) => row.kind === 'POOL')).toBe(true);
    expect(rows.filter((row) => row.voucher_id === null), 'pool codes left without a voucher').toEqual([]);
    const holders = rows.map((row) => row.voucher_id);
    expect(holders.filter((id, i) => holders.indexOf(id) !== i), 'vouchers holding two codes').toEqual([]);
    // Each code went to the voucher that shows it.
    const vouchers = await store.db.selectFrom('vouchers').select(['id', 'code', 'status']).where('reward_id', '=', rewardId).execute();
    expect(vouchers).toHaveLength(1000);
    expect(new Map(rows.map((row) => [row.voucher_id, row.code]))).toEqual(new Map(vouchers.map((v) => [v.id, v.code])));
  });

  it('adds nothing of an upload cut off by kill -9, and the sweep removes it so the file can be sent again', async () => {
    await prepareDatabase();
    const server = await startServer(database.url);
    const rewardId = await createPoolReward(server);
    const codes = distinctCodes('CUT', 300_000);
    const store = openStore();

    // At most 1,000 lines every 20 ms, so the whole file would take 6 s; and once a batch is in,
    // nothing more: the upload cannot finish before the kill.
    let feeding = true;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upload = streamUpload(server, rewardId, codes, { gate: () => (feeding ? sleep(20) : released) });
    try {
      await until('a first batch of the upload in the database', async () => {
        const early = upload.outcome();
        if (early !== undefined) throw new Error(`the upload was answered before a batch was in: ${JSON.stringify(early)}`);
        return (await codesPerUpload(store, rewardId)).size > 0;
      });
      feeding = false;
      await server.kill9();
      const cutOff = await upload.answer;
      expect(cutOff, 'the upload was answered before the kill').toHaveProperty('error');
    } finally {
      release();
    }
    const landed = await registerRows(store, rewardId);
    expect(landed.length).toBeGreaterThan(0);
    expect(landed.length).toBeLessThanOrEqual(upload.sent());
    expect(landed.length).toBeLessThan(codes.length);
    const uploadIds = [...new Set(landed.map((row) => row.upload_id))];
    expect(uploadIds).toHaveLength(1);
    const uploadId = uploadIds[0]!;

    const next = await startServer(database.url);
    // Until it is given up, the summary shows it as arriving, its count where the kill left it; its codes are not counted.
    expect((await call(next, 'GET', `/v1/rewards/${rewardId}/codes/summary`)).body).toEqual({
      total: 0,
      available: 0,
      issued: 0,
      upload: { id: uploadId, status: 'PENDING', received: landed.length, added: landed.length, createdAt: expect.any(String) },
    });
    expect((await call(next, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(0);
    const buyer = await fundedMember(next, 10);
    const refused = await call(next, 'POST', `/v1/users/${buyer}/purchases`, { rewardId });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.code).toBe('OUT_OF_STOCK');
    expect((await uploadRows(store, rewardId)).map((u) => ({ id: u.id, status: u.status }))).toEqual([{ id: uploadId, status: 'PENDING' }]);

    // Eleven minutes on, its last batch is older than ABANDONED_AFTER_MS.
    const swept = await sweepAbandonedUploads(store, { now: () => new Date(Date.now() + 11 * 60_000) });
    expect(swept).toBe(1);
    expect(await store.db.selectFrom('voucher_codes').select('code_normal').where('upload_id', '=', uploadId).execute()).toEqual([]);
    expect(await registerRows(store, rewardId)).toEqual([]);
    expect(await uploadRows(store, rewardId)).toEqual([]);

    // The whole file again: every code is added, none is "already present".
    const again = await uploadCodes(next, rewardId, codes);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toMatchObject({
      received: 300_000,
      added: 300_000,
      duplicated: { count: 0 },
      alreadyPresent: { count: 0 },
      invalid: { count: 0 },
      pool: { total: 300_000, available: 300_000, issued: 0 },
    });
    expect((await call(next, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(300_000);
    const bought = await call(next, 'POST', `/v1/users/${buyer}/purchases`, { rewardId });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    expect(bought.body.voucher.code).toBe(codes[0]);
  });

  it(`lands two uploads sent at once through two ${engine === 'sqlite' ? 'processes' : 'instances'}, overlapping codes counted once`, async () => {
    await prepareDatabase();
    const [one, two] = await startTogether(2);
    const rewardId = await createPoolReward(one!);
    // Each upload has a span and 10,000 codes more; 5,000 in common: the last of the first, the first of the second.
    const each = SORT_SPAN + 10_000;
    const codes = distinctCodes('TWO', 2 * each - 5_000);
    const first = codes.slice(0, each);
    const second = codes.slice(each - 5_000);
    const store = openStore();

    // Both are sent at once, each pausing after a span of lines (written before the body ends) until both have reached their server
    // and one of them has codes in the database: so the two surely meet, whichever goes first.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const gate = (sent: number) => (sent >= SORT_SPAN ? released : undefined);
    const uploads = [streamUpload(one!, rewardId, first, { gate }), streamUpload(two!, rewardId, second, { gate })];
    const arrived = () => [one!, two!].map((server) => uploadRequestsReceived(server));
    try {
      await until(
        () => `both uploads to arrive and one to have codes in (requests arrived: ${arrived().join(', ')}; lines sent: ${uploads.map((u) => u.sent()).join(', ')})`,
        async () => {
          const early = uploads.map((u) => u.outcome()).filter((o) => o !== undefined);
          if (early.length > 0) throw new Error(`an upload was answered while held: ${JSON.stringify(early)}`);
          return arrived().every((n) => n === 1) && (await codesPerUpload(store, rewardId)).size > 0;
        },
      );
      // Uploads of a program take turns: the one that came second waits, with no upload of its own yet.
      await sleep(300);
      expect((await uploadRows(store, rewardId)).map((u) => u.status)).toEqual(['PENDING']);
    } finally {
      release();
    }
    const answers = await Promise.all(uploads.map((u) => u.answer));

    for (const answer of answers) expect(answer, JSON.stringify(answer)).toMatchObject({ status: 201, body: { received: each, duplicated: { count: 0 } } });
    const [a, b] = answers.map((answer) => (answer as Answer).body);
    expect(a.added + b.added).toBe(codes.length);
    expect(a.alreadyPresent.count + b.alreadyPresent.count).toBe(5_000);
    // Every common code went in with whichever upload came first; the other found them there.
    expect([a.added, b.added].sort((x, y) => x - y)).toEqual([each - 5_000, each]);

    for (const server of [one!, two!]) {
      expect((await call(server, 'GET', `/v1/rewards/${rewardId}/codes/summary`)).body).toEqual({ total: codes.length, available: codes.length, issued: 0 });
    }
    expect((await call(two!, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(codes.length);
    const rows = await registerRows(store, rewardId);
    expect(rows).toHaveLength(codes.length);
    expect(new Set(rows.map((row) => row.code))).toEqual(new Set(codes));
    const completed = await uploadRows(store, rewardId);
    expect(completed.map((u) => u.status)).toEqual(['COMPLETE', 'COMPLETE']);
    expect(new Set(completed.map((u) => u.id))).toEqual(new Set([a.uploadId, b.uploadId]));
    expect(completed.map((u) => Number(u.added)).sort()).toEqual([a.added, b.added].sort());
    // The second opened only once the first had completed.
    expect(completed[1]!.created_at >= completed[0]!.heartbeat_at).toBe(true);
  });
});

interface Answer {
  status: number;
  body: any;
}

/**
 * Sends requests from 16 loops at once, kills the server with SIGKILL after a second, and answers
 * the acknowledged results. Every answer must be an acknowledgement, and some requests must have
 * been cut off by the kill (or it came too late to prove anything).
 */
async function killMidTraffic<T>(
  server: ServerProcess,
  next: (loop: number, n: number) => { request: Promise<Answer>; acknowledged: (answer: Answer) => T | undefined } | null,
): Promise<T[]> {
  const acknowledged: T[] = [];
  const unexpected: Answer[] = [];
  let cutOff = 0;
  let killed = false;
  const loop = async (l: number) => {
    for (let n = 0; n < 10_000 && !killed; n++) {
      const step = next(l, n);
      if (step === null) return;
      try {
        const answer = await step.request;
        const result = step.acknowledged(answer);
        if (result !== undefined) acknowledged.push(result);
        else unexpected.push(answer);
      } catch {
        cutOff++; // the process died under this request: it may or may not have committed
        return;
      }
    }
  };
  const loops = Array.from({ length: 16 }, (_, l) => loop(l));
  // Killed once the traffic is well under way, however slowly a busy machine serves it.
  await until('the first answers', () => acknowledged.length, (n) => n >= 48);
  await server.kill9();
  killed = true;
  await Promise.all(loops);
  expect(unexpected).toEqual([]);
  expect(acknowledged.length).toBeGreaterThan(16);
  expect(cutOff).toBeGreaterThan(0);
  return acknowledged;
}

interface LedgerEntry {
  id: string;
  userId: string;
  delta: number;
  balanceAfter: number;
  reason: string;
}

interface EventView {
  id: string;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

/** One HTTP call with the bootstrap admin key (or `key`); the body is parsed when it is JSON. */
async function call(server: ServerProcess, method: string, path: string, body?: unknown, key = BOOTSTRAP_ADMIN_KEY): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: parseBody(await response.text()) };
}

function parseBody(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/** `count` distinct codes, unique to this call, with no O, I or L: distinct in normal form too. */
function distinctCodes(prefix: string, count: number): string[] {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  return Array.from({ length: count }, (_, i) => `${prefix}-${tag}-${String(i).padStart(6, '0')}`);
}

/** Outcomes counted as "status CODE", e.g. { '201': 3, '409 OUT_OF_STOCK': 2 }. */
function tallyOf(answers: Answer[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const r of answers) {
    const outcome = `${r.status} ${r.body?.code ?? ''}`.trim();
    tally[outcome] = (tally[outcome] ?? 0) + 1;
  }
  return tally;
}

/** A member holding `points`, made through `server`. */
async function fundedMember(server: ServerProcess, points: number): Promise<string> {
  const userId = await createMember(server);
  const credited = await call(server, 'POST', `/v1/users/${userId}/points`, { delta: points, reason: 'start' });
  if (credited.status !== 201) throw new Error(`could not credit a member: ${JSON.stringify(credited.body)}`);
  return userId;
}

/**
 * `count` members holding `points` each, written straight into the database (100 a transaction,
 * four transactions at a time) with the functions the API runs: 4,000 requests take far longer.
 */
async function fundedMembersInDatabase(store: Store, count: number, points: number): Promise<string[]> {
  const { id: programId } = await store.db.selectFrom('programs').select('id').executeTakeFirstOrThrow();
  const tag = randomBytes(4).toString('hex');
  const batches = Array.from({ length: Math.ceil(count / 100) }, (_, b) => Array.from({ length: Math.min(100, count - b * 100) }, (_, i) => b * 100 + i));
  const ids: string[][] = new Array(batches.length);
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      ids[b] = await store.write(async (trx) => {
        const made: string[] = [];
        for (const i of batches[b]!) {
          const user = await createUser(trx, systemClock, programId, { externalId: `buyer-${tag}-${i}` });
          await adjustPoints(trx, systemClock, programId, user.id, { delta: points, reason: 'start' });
          made.push(user.id);
        }
        return made;
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return ids.flat();
}

/** Uploads `codes` one a line (text/plain) to a POOL reward's pool. */
async function uploadCodes(server: ServerProcess, rewardId: string, codes: string[]): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/rewards/${rewardId}/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'text/plain' },
    body: `${codes.join('\n')}\n`,
  });
  return { status: response.status, body: parseBody(await response.text()) };
}

type UploadOutcome = Answer | { error: string };

interface StreamedUpload {
  /** The answer, or how the request failed (the server died under it, say). */
  answer: Promise<UploadOutcome>;
  /** The outcome once there is one. */
  outcome(): UploadOutcome | undefined;
  /** Lines handed to the request body so far. */
  sent(): number;
}

/**
 * Uploads `codes` one a line (text/plain) as a streamed body of 1,000 lines a chunk. Before each
 * chunk `gate`, told how many lines went out so far, may answer a promise to wait for.
 */
function streamUpload(
  server: ServerProcess,
  rewardId: string,
  codes: string[],
  options: { gate?: (sent: number) => Promise<void> | undefined } = {},
): StreamedUpload {
  const encoder = new TextEncoder();
  let sent = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await options.gate?.(sent);
      if (cancelled) return; // the request is gone: nobody reads any more
      if (sent >= codes.length) {
        controller.close();
        return;
      }
      const chunk = codes.slice(sent, sent + 1000);
      sent += chunk.length;
      controller.enqueue(encoder.encode(`${chunk.join('\n')}\n`));
    },
    cancel() {
      cancelled = true;
    },
  });
  // A streamed body needs `duplex`, which Node's fetch supports but its RequestInit type lacks.
  const init: RequestInit & { duplex: 'half' } = {
    method: 'POST',
    headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'text/plain' },
    body,
    duplex: 'half',
  };
  let outcome: UploadOutcome | undefined;
  const answer = fetch(`${server.url}/v1/rewards/${rewardId}/codes`, init).then(
    async (response): Promise<UploadOutcome> => (outcome = { status: response.status, body: parseBody(await response.text()) }),
    (error: Error): UploadOutcome => {
      const cause = (error as { cause?: { code?: string } }).cause;
      return (outcome = { error: `${error.message}${cause?.code ? ` (${cause.code})` : ''}` });
    },
  );
  return { answer, outcome: () => outcome, sent: () => sent };
}

async function createMember(server: ServerProcess): Promise<string> {
  const created = await call(server, 'POST', '/v1/users', { externalId: `member-${randomBytes(4).toString('hex')}` });
  if (created.status !== 201) throw new Error(`could not create a member: ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** The whole ledger of a member, every page. */
async function readLedger(server: ServerProcess, userId: string): Promise<{ balance: number; entries: LedgerEntry[] }> {
  const entries: LedgerEntry[] = [];
  let balance = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 500; page++) {
    const r = await call(server, 'GET', `/v1/users/${userId}/points?limit=200${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (r.status !== 200) throw new Error(`reading the ledger answered ${r.status}: ${JSON.stringify(r.body)}`);
    if (page === 0) balance = r.body.balance;
    entries.push(...(r.body.entries as LedgerEntry[]));
    cursor = r.body.nextCursor;
    if (cursor === null) return { balance, entries };
  }
  throw new Error('the ledger did not end within 500 pages');
}

/** The event log from the start, every page (`query` is appended, e.g. "&type=..."). */
async function readEvents(server: ServerProcess, query: string): Promise<EventView[]> {
  const events: EventView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 500; page++) {
    const r = await call(server, 'GET', `/v1/events?limit=200${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (r.status !== 200) throw new Error(`reading the events answered ${r.status}: ${JSON.stringify(r.body)}`);
    events.push(...(r.body.data as EventView[]));
    cursor = r.body.nextCursor;
    if (!r.body.hasMore) return events;
  }
  throw new Error('the event log did not end within 500 pages');
}

interface Outcome {
  requestId: string;
  delta: number;
  /** Absent when no complete answer came back (connection refused or reset). */
  status?: number;
  body?: unknown;
  error?: string;
}

/**
 * Credits `delta` points with the request id (also the reason) `requestId`. With `hold`, the
 * headers and the first bytes of the body go out at once and the rest only once `hold` resolves.
 */
async function postCredit(server: ServerProcess, userId: string, requestId: string, delta: number, hold?: Promise<void>): Promise<Outcome> {
  const json = new TextEncoder().encode(JSON.stringify({ delta, reason: requestId }));
  let sentFirstPart = false;
  const body =
    hold === undefined
      ? json
      : new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (!sentFirstPart) {
              sentFirstPart = true;
              controller.enqueue(json.subarray(0, 8));
              return;
            }
            await hold;
            controller.enqueue(json.subarray(8));
            controller.close();
          },
        });
  try {
    // A streamed body needs `duplex`, which Node's fetch supports but its RequestInit type lacks.
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body,
      duplex: 'half',
    };
    const response = await fetch(`${server.url}/v1/users/${userId}/points`, init);
    return { requestId, delta, status: response.status, body: parseBody(await response.text()) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { requestId, delta, error: `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}` };
  }
}

/** How many code uploads (POST /v1/rewards/{id}/codes) the server logged as received. */
function uploadRequestsReceived(server: ServerProcess): number {
  return logLines(server.output()).filter((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return line.msg === 'incoming request' && req?.method === 'POST' && /^\/v1\/rewards\/[^/]+\/codes/.test(req.url ?? '');
  }).length;
}

/** Request ids the server logged as received. */
function receivedRequestIds(server: ServerProcess): string[] {
  return logLines(server.output())
    .filter((line) => line.msg === 'incoming request' && typeof line.reqId === 'string')
    .map((line) => line.reqId!);
}

interface LongTransaction {
  pid: number;
  datname: string;
  state: string;
  xid: string;
  age: string;
  query: string;
}

/**
 * Write transactions open for over a second anywhere in the PostgreSQL cluster. The feed shows
 * only events of transactions older than every open one, so these explain a stalled follower.
 */
async function longTransactions(store: Store): Promise<LongTransaction[]> {
  if (store.engine !== 'postgres') return [];
  const { rows } = await sql<LongTransaction>`
    select pid, datname, state, backend_xid::text as xid, (now() - xact_start)::text as age, left(query, 60) as query
    from pg_stat_activity
    where backend_xid is not null and xact_start < now() - interval '1 second'`.execute(store.db);
  return rows;
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
