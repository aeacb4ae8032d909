import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sweepAbandonedUploads } from '../src/pools/pending-upload.js';
import { TEST_UPLOAD_SETTINGS, engines } from './harness.js';
import {
  type Answer,
  call,
  codesPerUpload,
  createPoolReward,
  distinctCodes,
  fundedMember,
  fundedMembersInDatabase,
  readEvents,
  registerRows,
  streamUpload,
  sum,
  tallyOf,
  uploadCodes,
  uploadRequestsReceived,
  uploadRows,
  useProcessDatabase,
} from './processes.js';
import { until } from './until.js';

/** Codes a test server gathers before writing them (TESSERA_UPLOAD_SPAN_CODES). */
const SPAN = TEST_UPLOAD_SETTINGS.spanCodes;

/** Pool codes uploaded and handed out through several server processes on one database. */
describe.each(engines)('pool codes across server processes on one database [%s]', (engine) => {
  const { instances, openStore, prepareDatabase, startOne, startTogether } = useProcessDatabase(engine);

  it(`hands out a pool of 300 codes once each to 600 buyers arriving at once through ${engine === 'sqlite' ? 'two processes' : 'three instances'}`, async () => {
    await prepareDatabase();
    const servers = await startTogether(instances);
    const rewardId = await createPoolReward(servers[0]!, 10);
    const codes = distinctCodes('BUY', 300);
    const uploaded = await uploadCodes(servers[0]!, rewardId, codes);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject({ received: 300, added: 300, pool: { total: 300, available: 300, issued: 0 } });

    // Twice as many buyers as codes, each able to pay.
    const buyers = await fundedMembersInDatabase(openStore(), 600, 10);

    // The sales of one reward take turns on its stock, so the last buyers wait longest.
    const answers = await Promise.all(
      buyers.map((userId, i) => call(servers[i % instances]!, 'POST', `/v1/users/${userId}/purchases`, { rewardId })),
    );

    expect(tallyOf(answers)).toEqual({ '201': 300, '409 OUT_OF_STOCK': 300 });
    const handedOut = answers.filter((a) => a.status === 201).map((a) => a.body.voucher.code as string);
    expect(answers.filter((a) => a.status === 201).every((a) => a.body.voucher.status === 'ACTIVE')).toBe(true);
    expect(handedOut.filter((code, i) => handedOut.indexOf(code) !== i), 'codes handed out twice').toEqual([]);
    expect([...handedOut].sort()).toEqual([...codes].sort());

    for (const server of servers) {
      expect((await call(server, 'GET', `/v1/rewards/${rewardId}/codes/summary`)).body).toEqual({ total: 300, available: 0, issued: 300 });
    }
    expect((await call(servers[instances - 1]!, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(0);
    const empties = (await readEvents(servers[0]!, '&type=CODE_POOL_EMPTY')).filter((e) => e.data.rewardId === rewardId);
    expect(empties).toHaveLength(1);

    const store = openStore();
    const rows = await registerRows(store, rewardId);
    expect(rows).toHaveLength(300);
    expect(rows.every((row) => row.kind === 'POOL')).toBe(true);
    expect(rows.filter((row) => row.voucher_id === null), 'pool codes left without a voucher').toEqual([]);
    const holders = rows.map((row) => row.voucher_id);
    expect(holders.filter((id, i) => holders.indexOf(id) !== i), 'vouchers holding two codes').toEqual([]);
    // Each code went to the voucher that shows it.
    const vouchers = await store.db.selectFrom('vouchers').select(['id', 'code', 'status']).where('reward_id', '=', rewardId).execute();
    expect(vouchers).toHaveLength(300);
    expect(new Map(rows.map((row) => [row.voucher_id, row.code]))).toEqual(new Map(vouchers.map((v) => [v.id, v.code])));
  });

  it('adds nothing of an upload cut off by kill -9, and the sweep removes it so the file can be sent again', async () => {
    await prepareDatabase();
    const server = await startOne();
    const rewardId = await createPoolReward(server);
    // The server writes codes once it has a span of them, a batch (1,000 on SQLite, 10,000 on
    // PostgreSQL) a transaction. The file is a span and one chunk of 1,000 lines more, more than one
    // batch on either engine; the last chunk is held back until after the kill, so the upload cannot
    // finish before it, and the kill comes once a first batch is in.
    const codes = distinctCodes('CUT', SPAN + 1_000);
    const store = openStore();

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upload = streamUpload(server, rewardId, codes, { gate: (sent) => (sent >= SPAN ? released : undefined) });
    try {
      await until(
        'a first batch of the upload in the database',
        async () => {
          const early = upload.outcome();
          if (early !== undefined) throw new Error(`the upload was answered before a batch was in: ${JSON.stringify(early)}`);
          return { sent: upload.sent(), codesIn: sum([...(await codesPerUpload(store, rewardId)).values()]) };
        },
        ({ codesIn }) => codesIn > 0,
      );
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

    const next = await startOne();
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
      received: codes.length,
      added: codes.length,
      duplicated: { count: 0 },
      alreadyPresent: { count: 0 },
      invalid: { count: 0 },
      pool: { total: codes.length, available: codes.length, issued: 0 },
    });
    expect((await call(next, 'GET', `/v1/rewards/${rewardId}`)).body.stock).toBe(codes.length);
    const bought = await call(next, 'POST', `/v1/users/${buyer}/purchases`, { rewardId });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    expect(bought.body.voucher.code).toBe(codes[0]);
  });

  it(`lands two uploads sent at once through two ${engine === 'sqlite' ? 'processes' : 'instances'}, overlapping codes counted once`, async () => {
    await prepareDatabase();
    const [one, two] = await startTogether(2);
    const rewardId = await createPoolReward(one!);
    // Each upload has a span and 10,000 codes more; 5,000 in common: the last of the first, the first of the second.
    const each = SPAN + 10_000;
    const codes = distinctCodes('TWO', 2 * each - 5_000);
    const first = codes.slice(0, each);
    const second = codes.slice(each - 5_000);
    const store = openStore();

    // Both are sent at once, each pausing after a span of lines (written before the body ends) until both have reached their server
    // and one of them has codes in the database: so the two surely meet, whichever goes first.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const gate = (sent: number) => (sent >= SPAN ? released : undefined);
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
