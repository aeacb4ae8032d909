import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { systemClock } from '../src/clock.js';
import type { Engine } from '../src/db/engine.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Store } from '../src/db/store.js';
import { adjustPoints } from '../src/ledger/adjust-points.js';
import { bootstrapFirstProgram } from '../src/programs/bootstrap.js';
import { createUser } from '../src/users/create-user.js';
import { type TestDatabase, createTestDatabase, openTestStore } from './harness.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, type StartOptions, killAllServers, logLines, startServer } from './server-process.js';
import { until } from './until.js';

/*
 * For the processes-*.test.ts files: real server processes sharing one database, reached over HTTP
 * on 127.0.0.1, for what one process cannot show: concurrency between processes, kill -9, SIGTERM,
 * shared state.
 */

export interface Answer {
  status: number;
  body: any;
}

export interface LedgerEntry {
  id: string;
  userId: string;
  delta: number;
  balanceAfter: number;
  reason: string;
}

export interface EventView {
  id: string;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

/** A test's database and the servers on it, for the tests of one `describe.each(engines)`. */
export interface ProcessDatabase {
  /** How many instances a race goes through: two processes on SQLite, three instances on PostgreSQL. */
  instances: number;
  /** This test's database, made before it and dropped after it. */
  database(): TestDatabase;
  /** Reads the database directly, beside the servers; closed after the test. */
  openStore(): Store;
  /** The schema and the first program made up front, so a test starts its instances together. */
  prepareDatabase(): Promise<void>;
  /** One server on this test's database. */
  startOne(options?: StartOptions): Promise<ServerProcess>;
  /** `count` servers on this test's database, started at the same moment. */
  startTogether(count: number, options?: StartOptions): Promise<ServerProcess[]>;
}

/**
 * Gives each test of the enclosing describe a fresh database of `engine`. After each test, passed or
 * failed, every server it started is killed, every store it opened closed and the database dropped.
 */
export function useProcessDatabase(engine: Engine): ProcessDatabase {
  let database: TestDatabase | undefined;
  const stores: Store[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(engine);
  });

  afterEach(async () => {
    await killAllServers();
    await Promise.all(stores.splice(0).map((store) => store.close().catch(() => {})));
    await database?.drop();
    database = undefined;
  });

  const current = (): TestDatabase => {
    if (database === undefined) throw new Error('the database exists only while a test runs');
    return database;
  };

  return {
    instances: instancesOf(engine),
    database: current,
    openStore() {
      const store = openTestStore(current());
      stores.push(store);
      return store;
    },
    prepareDatabase: () => prepare(current()),
    startOne: (options) => startServer(current().url, options),
    startTogether: (count, options) => Promise.all(Array.from({ length: count }, () => startServer(current().url, options))),
  };
}

/** How many instances a race goes through: two processes on SQLite, three instances on PostgreSQL. */
const instancesOf = (engine: Engine): number => (engine === 'sqlite' ? 2 : 3);

/** The schema and the first program, made before any server starts. */
async function prepare(database: TestDatabase): Promise<void> {
  const store = openTestStore(database);
  try {
    await migrateToLatest(store);
    await bootstrapFirstProgram(store, systemClock, BOOTSTRAP_ADMIN_KEY);
  } finally {
    await store.close();
  }
}

/** Servers the tests of one describe share, and a store beside them. */
export interface SharedServers {
  /** Two processes on SQLite, three instances on PostgreSQL. */
  instances: number;
  servers(): ServerProcess[];
  /** Reads the database directly, beside the servers. */
  store(): Store;
}

/**
 * Starts the servers once, before the tests of the enclosing describe, on one prepared database of
 * `engine`, and stops them after the last test. For tests that only send requests (no kill, no
 * restart, no settings of their own), each working on members, rewards and keys it makes itself:
 * starting servers is the costliest part of these tests.
 */
export function useSharedServers(engine: Engine): SharedServers {
  const instances = instancesOf(engine);
  let database: TestDatabase | undefined;
  let servers: ServerProcess[] = [];
  let store: Store | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await prepare(database);
    servers = await Promise.all(Array.from({ length: instances }, () => startServer(database!.url)));
    store = openTestStore(database);
  });

  afterAll(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill9()));
    await store?.close().catch(() => {});
    await database?.drop();
  });

  return {
    instances,
    servers: () => servers,
    store() {
      if (store === undefined) throw new Error('the shared servers run only while the describe’s tests do');
      return store;
    },
  };
}

/** One HTTP call with the bootstrap admin key (or `key`); the body is parsed when it is JSON. */
export async function call(server: ServerProcess, method: string, path: string, body?: unknown, key = BOOTSTRAP_ADMIN_KEY): Promise<Answer> {
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

export const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/** `count` distinct codes, unique to this call, with no O, I or L: distinct in normal form too. */
export function distinctCodes(prefix: string, count: number): string[] {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  return Array.from({ length: count }, (_, i) => `${prefix}-${tag}-${String(i).padStart(6, '0')}`);
}

/** Outcomes counted as "status CODE", e.g. { '201': 3, '409 OUT_OF_STOCK': 2 }. */
export function tallyOf(answers: Answer[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const r of answers) {
    const outcome = `${r.status} ${r.body?.code ?? ''}`.trim();
    tally[outcome] = (tally[outcome] ?? 0) + 1;
  }
  return tally;
}

export async function createMember(server: ServerProcess): Promise<string> {
  const created = await call(server, 'POST', '/v1/users', { externalId: `member-${randomBytes(4).toString('hex')}` });
  if (created.status !== 201) throw new Error(`could not create a member: ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** A member holding `points`, made through `server`. */
export async function fundedMember(server: ServerProcess, points: number): Promise<string> {
  const userId = await createMember(server);
  const credited = await call(server, 'POST', `/v1/users/${userId}/points`, { delta: points, reason: 'start' });
  if (credited.status !== 201) throw new Error(`could not credit a member: ${JSON.stringify(credited.body)}`);
  return userId;
}

/**
 * `count` members holding `points` each, written straight into the database (100 a transaction,
 * four transactions at a time) with the functions the API runs: two requests a member take far longer.
 */
export async function fundedMembersInDatabase(store: Store, count: number, points: number): Promise<string[]> {
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

/** A member's ACTIVE voucher code and a pos key, made through `server`. */
export async function voucherAndTill(server: ServerProcess): Promise<{ code: string; voucherId: string; posKey: string }> {
  const userId = await fundedMember(server, 10);
  const reward = await call(server, 'POST', '/v1/rewards', { name: 'Free coffee', pricePoints: 10, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100 }] });
  const bought = await call(server, 'POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id });
  expect(bought.body.voucher?.status, JSON.stringify(bought.body)).toBe('ACTIVE');
  const pos = await call(server, 'POST', '/v1/api-keys', { role: 'pos', name: 'till' });
  return { code: bought.body.voucher.code, voucherId: bought.body.voucher.id, posKey: pos.body.key };
}

/** The whole ledger of a member, every page. */
export async function readLedger(server: ServerProcess, userId: string): Promise<{ balance: number; entries: LedgerEntry[] }> {
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
export async function readEvents(server: ServerProcess, query: string): Promise<EventView[]> {
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

export interface Outcome {
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
export async function postCredit(server: ServerProcess, userId: string, requestId: string, delta: number, hold?: Promise<void>): Promise<Outcome> {
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

/** Request ids the server logged as received. */
export function receivedRequestIds(server: ServerProcess): string[] {
  return logLines(server.output())
    .filter((line) => line.msg === 'incoming request' && typeof line.reqId === 'string')
    .map((line) => line.reqId!);
}

/**
 * Sends requests from 16 loops at once, kills the server with SIGKILL once 48 answers are in, and
 * answers the acknowledged results. Every answer must be an acknowledgement, and some requests must
 * have been cut off by the kill (or it came too late to prove anything).
 */
export async function killMidTraffic<T>(
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

/** A POOL reward (its pool empty) made through `server`; answers its id. */
export async function createPoolReward(server: ServerProcess, pricePoints = 10): Promise<string> {
  const created = await call(server, 'POST', '/v1/rewards', { name: 'Partner voucher', pricePoints, codeType: 'POOL', incentives: [] });
  if (created.status !== 201) throw new Error(`could not create a POOL reward: ${JSON.stringify(created.body)}`);
  return created.body.id;
}

/** Uploads `codes` one a line (text/plain) to a POOL reward's pool. */
export async function uploadCodes(server: ServerProcess, rewardId: string, codes: string[]): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/rewards/${rewardId}/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'text/plain' },
    body: `${codes.join('\n')}\n`,
  });
  return { status: response.status, body: parseBody(await response.text()) };
}

export type UploadOutcome = Answer | { error: string };

export interface StreamedUpload {
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
export function streamUpload(
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

/** How many code uploads (POST /v1/rewards/{id}/codes) the server logged as received. */
export function uploadRequestsReceived(server: ServerProcess): number {
  return logLines(server.output()).filter((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return line.msg === 'incoming request' && req?.method === 'POST' && /^\/v1\/rewards\/[^/]+\/codes/.test(req.url ?? '');
  }).length;
}

/** A reward's rows in the code register, read straight from the database. */
export const registerRows = (store: Store, rewardId: string) =>
  store.db.selectFrom('voucher_codes').select(['code', 'kind', 'voucher_id', 'upload_id']).where('reward_id', '=', rewardId).execute();

/** How many codes each upload of a reward has in the register so far. */
export async function codesPerUpload(store: Store, rewardId: string): Promise<Map<string | null, number>> {
  const rows = await store.db
    .selectFrom('voucher_codes')
    .select((eb) => ['upload_id', eb.fn.countAll<string | number>().as('codes')])
    .where('reward_id', '=', rewardId)
    .groupBy('upload_id')
    .execute();
  return new Map(rows.map((row) => [row.upload_id, Number(row.codes)]));
}

/** A reward's uploads, read straight from the database. */
export const uploadRows = (store: Store, rewardId: string) =>
  store.db.selectFrom('code_uploads').select(['id', 'status', 'received', 'added', 'created_at', 'heartbeat_at']).where('reward_id', '=', rewardId).orderBy('created_at').execute();
