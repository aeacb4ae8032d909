import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../src/db/migrations/index.js';
import { engines } from './harness.js';
import { type LedgerEntry, call, createMember, killMidTraffic, postCredit, readEvents, readLedger, receivedRequestIds, sum, useProcessDatabase } from './processes.js';
import { logLines } from './server-process.js';
import { until } from './until.js';

/** Server processes on one database starting together, stopping with SIGTERM, and killed with SIGKILL under load. */
describe.each(engines)('server processes starting and stopping on one database [%s]', (engine) => {
  const { database, openStore, prepareDatabase, startOne, startTogether } = useProcessDatabase(engine);

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
    const holder = new SQLite(database().url.slice('file:'.length));
    holder.exec('BEGIN IMMEDIATE');
    const starting = startOne();
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

  it('answers every request it had received when SIGTERM arrives, exits 0, and the writes are there after a restart', async () => {
    await prepareDatabase();
    const server = await startOne();
    const userId = await createMember(server);

    // Fifty credits whose bodies are held back until the shutdown has begun: surely in flight.
    let releaseBodies!: () => void;
    const bodiesReleased = new Promise<void>((resolve) => (releaseBodies = resolve));
    const held = Array.from({ length: 50 }, (_, i) => postCredit(server, userId, `held-${i}`, 1 + (i % 7), bodiesReleased));
    await until('the held requests to reach the server', () => receivedRequestIds(server).filter((id) => id.startsWith('held-')).length, (n) => n === 50);

    const exitCode = server.stop();
    exitCode.catch(() => {}); // awaited below, once the bodies are released
    // And ten more racing the signal: each may be served, refused with 503, or never reach the server.
    const late = Array.from({ length: 10 }, (_, i) => postCredit(server, userId, `late-${i}`, 10 + i));
    await until('the shutdown to begin', () => logLines(server.output()).some((line) => line.msg === 'shutting down'));
    releaseBodies();

    const outcomes = await Promise.all([...held, ...late]);
    // Soft: when the exit is wrong, what follows still tells whether any write was lost.
    expect.soft(await exitCode, `exit code; the server's last words:\n${server.output().trim().split('\n').slice(-3).join('\n')}`).toBe(0);

    const received = new Set(receivedRequestIds(server));
    expect(outcomes.filter((o) => received.has(o.requestId) && o.status === undefined), 'received requests left without an answer').toEqual([]);
    expect(outcomes.filter((o) => o.requestId.startsWith('held-')).map((o) => o.status)).toEqual(Array(50).fill(201));
    expect(outcomes.filter((o) => o.status !== undefined && o.status !== 201 && o.status !== 503)).toEqual([]);

    const next = await startOne();
    const ledger = await readLedger(next, userId);
    const answeredCreated = outcomes.filter((o) => o.status === 201);
    // Every acknowledged write is there, and nothing that was not acknowledged.
    expect(ledger.entries.map((e) => e.reason).sort()).toEqual(answeredCreated.map((o) => o.requestId).sort());
    expect(ledger.balance).toBe(sum(answeredCreated.map((o) => o.delta)));
  });

  it('keeps every acknowledged credit when the process is killed with SIGKILL mid-traffic', async () => {
    await prepareDatabase();
    const server = await startOne();
    const userId = await createMember(server);

    const acknowledged = await killMidTraffic(server, (l, n) => {
      const delta = 1 + ((l + n) % 9);
      return {
        request: call(server, 'POST', `/v1/users/${userId}/points`, { delta, reason: `loop ${l} credit ${n}` }),
        acknowledged: (r): LedgerEntry | undefined => (r.status === 201 ? r.body : undefined),
      };
    });

    const next = await startOne();
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
    const server = await startOne();
    const reward = await call(server, 'POST', '/v1/rewards', { name: 'Lunch', pricePoints: 2, codeType: 'ONE_TIME', stock: 1_000_000, incentives: [{ type: 'PERCENTAGE', value: 100 }] });
    expect(reward.status).toBe(201);
    const members = [await createMember(server), await createMember(server)];
    for (const userId of members) expect((await call(server, 'POST', `/v1/users/${userId}/points`, { delta: 1_000_000, reason: 'start' })).status).toBe(201);

    const acknowledged = await killMidTraffic(server, (l, n) => ({
      request: call(server, 'POST', `/v1/users/${members[(l + n) % 2]}/purchases`, { rewardId: reward.body.id }),
      acknowledged: (r): { purchaseId: string; voucherId: string } | undefined =>
        r.status === 201 ? { purchaseId: r.body.purchase.id, voucherId: r.body.voucher.id } : undefined,
    }));

    const next = await startOne();
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
});
