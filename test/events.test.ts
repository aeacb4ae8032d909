import { describe, expect, it } from 'vitest';
import { recordEvent } from '../src/events/record-event.js';
import { createMember, describeEachEngine, engines, useTestApp } from './harness.js';

describeEachEngine('GET /v1/events', (t) => {
  const credit = (key: string, userId: string, delta: number) =>
    t.request('POST', `/v1/users/${userId}/points`, { delta, reason: `credit ${delta}` }, { key });

  it('lists the program\'s events oldest first, with their shape', async () => {
    const { adminKey } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    await credit(adminKey, userId, 1);
    await credit(adminKey, userId, 2);
    const response = await t.request('GET', '/v1/events', undefined, { key: adminKey });
    expect(response.status).toBe(200);
    expect(response.body.data.map((e: { data: { delta: number } }) => e.data.delta)).toEqual([1, 2]);
    expect(response.body.data[0]).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'POINTS_ADJUSTED',
      occurredAt: expect.any(String),
      userId,
      data: expect.objectContaining({ delta: 1, balance: 1 }),
    });
    expect(response.body.hasMore).toBe(false);
  });

  it('follows the log with its cursor, which keeps its place once caught up', async () => {
    const { adminKey } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    for (let delta = 1; delta <= 5; delta++) await credit(adminKey, userId, delta);
    const first = await t.request('GET', '/v1/events?limit=3', undefined, { key: adminKey });
    expect(first.body.data.map((e: { data: { delta: number } }) => e.data.delta)).toEqual([1, 2, 3]);
    expect(first.body.hasMore).toBe(true);
    const second = await t.request('GET', `/v1/events?limit=3&cursor=${first.body.nextCursor}`, undefined, { key: adminKey });
    expect(second.body.data.map((e: { data: { delta: number } }) => e.data.delta)).toEqual([4, 5]);
    expect(second.body.hasMore).toBe(false);
    const caughtUp = await t.request('GET', `/v1/events?limit=3&cursor=${second.body.nextCursor}`, undefined, { key: adminKey });
    expect(caughtUp.body).toEqual({ data: [], nextCursor: second.body.nextCursor, hasMore: false });
    await credit(adminKey, userId, 6);
    const next = await t.request('GET', `/v1/events?cursor=${caughtUp.body.nextCursor}`, undefined, { key: adminKey });
    expect(next.body.data.map((e: { data: { delta: number } }) => e.data.delta)).toEqual([6]);
  });

  it('filters by type and by member', async () => {
    const { adminKey } = await t.newProgram();
    const ann = await createMember(t, adminKey);
    const bob = await createMember(t, adminKey);
    await credit(adminKey, ann, 1);
    await credit(adminKey, bob, 2);
    const forBob = await t.request('GET', `/v1/events?userId=${bob}`, undefined, { key: adminKey });
    expect(forBob.body.data.map((e: { userId: string }) => e.userId)).toEqual([bob]);
    const byType = await t.request('GET', '/v1/events?type=POINTS_ADJUSTED', undefined, { key: adminKey });
    expect(byType.body.data).toHaveLength(2);
    const none = await t.request('GET', '/v1/events?type=BURNED_VOUCHER', undefined, { key: adminKey });
    expect(none.body.data).toEqual([]);
    const unknown = await t.request('GET', '/v1/events?type=SOMETHING', undefined, { key: adminKey });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('/querystring/type');
  });

  it('never shows another program\'s events', async () => {
    const a = await t.newProgram();
    const b = await t.newProgram();
    await credit(a.adminKey, await createMember(t, a.adminKey), 7);
    const seenByB = await t.request('GET', '/v1/events', undefined, { key: b.adminKey });
    expect(seenByB.body.data).toEqual([]);
  });

  it('loses and repeats nothing for a reader following the log during concurrent writes', async () => {
    const { adminKey } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    const seen: string[] = [];
    let cursor: string | null = null;
    let writing = true;
    const follower = (async () => {
      for (let round = 0; ; round++) {
        if (round > 5000) throw new Error(`follower did not finish: seen ${seen.length}, writing ${writing}`);
        // A real follower polls over the network; in-process requests must yield the same way.
        await new Promise((resolve) => setTimeout(resolve, 1));
        const stillWriting = writing;
        const page: { body: { data: { id: string }[]; nextCursor: string | null; hasMore: boolean } } = await t.request(
          'GET',
          `/v1/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          { key: adminKey },
        );
        seen.push(...page.body.data.map((e) => e.id));
        cursor = page.body.nextCursor;
        if (!stillWriting && !page.body.hasMore) return;
      }
    })();
    await Promise.all(Array.from({ length: 120 }, (_, i) => credit(adminKey, userId, i + 1)));
    writing = false;
    await follower;
    const all: string[] = [];
    let next: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; nextCursor: string | null; hasMore: boolean } } = await t.request(
        'GET',
        `/v1/events?limit=200${next ? `&cursor=${next}` : ''}`,
        undefined,
        { key: adminKey },
      );
      all.push(...page.body.data.map((e) => e.id));
      next = page.body.hasMore ? page.body.nextCursor : null;
    } while (next !== null);
    expect(all).toHaveLength(120);
    expect(seen).toEqual(all);
  });
});

describe.runIf(engines.includes('postgres'))('GET /v1/events while an older transaction is still open [postgres]', () => {
  const t = useTestApp('postgres');

  it('holds back newer events until the older transaction commits, so a follower misses nothing', async () => {
    const { adminKey, programId } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    const otherId = await createMember(t, adminKey);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    // The slow transaction takes its transaction id first and commits last. It records only its
    // event: a whole adjustment would also hold the program's running tallies, which a write on a
    // connection of the same tally slot would then wait for (transactions are never held open so).
    const slow = t.store.db.transaction().execute(async (trx) => {
      await recordEvent(trx, programId, { type: 'POINTS_ADJUSTED', occurredAt: t.clock.now().toISOString(), userId, data: { delta: 1 } });
      opened();
      await held;
    });
    await isOpen;
    const fast = await t.request('POST', `/v1/users/${otherId}/points`, { delta: 2, reason: 'fast' }, { key: adminKey });
    expect(fast.status).toBe(201);

    const before = await t.request('GET', '/v1/events', undefined, { key: adminKey });
    expect(before.body.data).toEqual([]);

    release();
    await slow;
    const cursor = before.body.nextCursor ? `?cursor=${before.body.nextCursor}` : '';
    const after = await t.request('GET', `/v1/events${cursor}`, undefined, { key: adminKey });
    expect(after.body.data.map((e: { data: { delta: number } }) => e.data.delta)).toEqual([1, 2]);
  });
});
