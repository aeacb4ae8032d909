import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Store } from '../src/db/store.js';
import { engines } from './harness.js';
import { type Answer, type EventView, call, createMember, readEvents, useProcessDatabase, voucherAndTill } from './processes.js';
import type { ServerProcess } from './server-process.js';
import { startReceiver } from './webhook-receiver.js';
import { until } from './until.js';

/** The event feed and webhook deliveries of several server processes on one database. */
describe.each(engines)('events and webhooks of server processes on one database [%s]', (engine) => {
  const { instances, openStore, prepareDatabase, startOne, startTogether } = useProcessDatabase(engine);

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

  it('delivers the webhooks of a purchase committed just before kill -9, once restarted', async () => {
    await prepareDatabase();
    const receiver = await startReceiver();
    try {
      // The first process never gets to dispatch: its first look would come after a minute.
      const env = { TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true', TESSERA_WEBHOOK_POLL_MS: '60000' };
      const server = await startOne({ env });
      const hook = await call(server, 'POST', '/v1/webhooks', { url: receiver.url('/after-crash'), eventTypes: ['PURCHASED_REWARD', 'REDEEMED_VOUCHER'] });
      expect(hook.status).toBe(201);
      const { code } = await voucherAndTill(server);
      await server.kill9();
      expect(receiver.received).toEqual([]);

      const next = await startOne({ env: { ...env, TESSERA_WEBHOOK_POLL_MS: '20' } });
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

  it(`delivers 300 events once each, never twice at once, from ${engine === 'sqlite' ? 'two processes' : 'three instances'}`, async () => {
    await prepareDatabase();
    const receiver = await startReceiver({ delayMs: 2 });
    try {
      const env = { TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true', TESSERA_WEBHOOK_POLL_MS: '20' };
      const servers = await startTogether(instances, { env });
      expect((await call(servers[0]!, 'POST', '/v1/webhooks', { url: receiver.url('/many'), eventTypes: ['POINTS_ADJUSTED'] })).status).toBe(201);
      const userId = await createMember(servers[0]!);
      const credits = await Promise.all(
        Array.from({ length: 300 }, (_, i) => call(servers[i % instances]!, 'POST', `/v1/users/${userId}/points`, { delta: 1, reason: `credit ${i}` })),
      );
      expect(credits.every((c) => c.status === 201)).toBe(true);
      await until('300 deliveries', () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, (n) => n >= 300);
      await sleep(500);
      const events = await readEvents(servers[0]!, '&type=POINTS_ADJUSTED');
      const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
      expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
      expect(receiver.overlaps, 'sent again while the first send was in flight').toEqual([]);
      expect(ids.length, 'sent more than once').toBe(300);
    } finally {
      await receiver.close();
    }
  });
});

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

