// npm run bench:scale: does size show? On each engine, one big program is loaded in bulk into a
// schema migrated up to the last migration before the one under test, the remaining migrations
// run over it (timed: they build indexes and backfill tallies), and every request kind is timed on
// a small program ("before") and on the big one ("after"), in the same database and server.
// Then a till's dry-run validations are timed alone and beside two clients reading in a loop.
// Sizes: SCALE_MEMBERS, SCALE_VOUCHERS, SCALE_EVENTS; engines: SCALE_ENGINES=sqlite,postgres.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { type Storage, loadConfig } from '../src/config.js';
import type { Engine } from '../src/db/engine.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/open-store.js';
import type { Store } from '../src/db/store.js';
import { createApiKey } from '../src/keys/create-api-key.js';
import { createProgram } from '../src/programs/create-program.js';
import { openGuessLimiter } from '../src/validations/guess-limiter.js';
import { type Samples, generateProgram } from './scale-data.js';
import { type DatabaseSize, loadPostgres, loadSqlite, migrateUpTo, postgresSize, sqliteSize } from './scale-load.js';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIZES = { members: number('SCALE_MEMBERS', 1_000_000), vouchers: number('SCALE_VOUCHERS', 3_000_000), events: number('SCALE_EVENTS', 6_000_000) };
const ENGINES = (process.env.SCALE_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
/** The last migration the rows are loaded under; later ones run over them. */
const LOADED_AT = '0005-code-pools';
const WARM_UP = 3;
const SAMPLES = number('SCALE_SAMPLES', 40);
/** A row stops early (with at least 5 samples) once it has taken this long. */
const ROW_BUDGET_MS = 5_000;
const TILL_SECONDS = number('SCALE_TILL_SECONDS', 10);
const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const count = (n: number) => n.toLocaleString('en-US');

/** A program as the requests see it: its admin key and real ids and codes. */
interface Program extends Omit<Samples, 'programId'> {
  key: string;
  /** A cursor to the second page of its events. */
  eventsCursor?: string;
}

async function call(url: string, key: string, method: string, pathName: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${pathName}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

/** The same call, for setting up: anything but a 2xx is an error. */
async function must(url: string, key: string, method: string, pathName: string, body?: unknown): Promise<any> {
  const response = await call(url, key, method, pathName, body);
  if (response.status >= 300) throw new Error(`${method} ${pathName}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const webhook = { url: 'https://hooks.example.com/tessera', eventTypes: ['BURNED_VOUCHER', 'PURCHASED_REWARD'] };

/** The "before" program, built through the API: a few rewards, members, vouchers and events. */
async function smallProgram(url: string, store: Store): Promise<Program> {
  const { adminKey: key } = await store.write((trx) => createProgram(trx, systemClock, 'Small program'));
  const api = (method: string, pathName: string, body?: unknown) => must(url, key, method, pathName, body);
  const coffee = await api('POST', '/v1/rewards', {
    name: 'Free coffee', pricePoints: 100, codeType: 'ONE_TIME', codeFormat: 'CAFE-{code}', validityDays: 30, incentives: [{ type: 'PERCENTAGE', value: 100 }],
  });
  const tasting = await api('POST', '/v1/rewards', { name: 'Reserve tasting', pricePoints: 800, codeType: 'ONE_TIME', redemptionFlow: 'TWO_STEP', incentives: [] });
  const cinema = await api('POST', '/v1/rewards', { name: 'Partner cinema ticket', pricePoints: 600, codeType: 'POOL', lowStockThreshold: 5, incentives: [] });
  await api('POST', `/v1/rewards/${cinema.id}/codes`, { codes: Array.from({ length: 100 }, (_, i) => `CINEMA-SMALL-${i}`) });
  const users: { id: string; externalId: string }[] = [];
  for (let i = 0; i < 20; i++) {
    const user = await api('POST', '/v1/users', { externalId: `small-${i}`, email: `small${i}@example.com` });
    await api('POST', `/v1/users/${user.id}/points`, { delta: 100_000, reason: 'Opening balance' });
    users.push({ id: user.id, externalId: user.externalId });
  }
  const bought: { purchase: { id: string }; voucher: { id: string; code: string } }[] = [];
  const buy = async (rewardId: string, n: number) => {
    for (let i = 0; i < n; i++) bought.push(await api('POST', `/v1/users/${users[i % users.length]!.id}/purchases`, { rewardId }));
  };
  await buy(coffee.id, 140);
  await buy(cinema.id, 10);
  await buy(tasting.id, 5);
  const codes = bought.slice(0, 140).map((b) => b.voucher.code);
  for (const code of codes.slice(0, 10)) await api('POST', '/v1/voucher-validations', { code, venue: 'store-004' });
  for (const b of bought.slice(10, 12)) await api('POST', `/v1/purchases/${b.purchase.id}/refund`, { reason: 'Changed their mind' });
  await api('POST', `/v1/vouchers/${bought[12]!.voucher.id}/void`, { reason: 'Complaint' });
  for (let i = 0; i < 2; i++) await api('POST', '/v1/webhooks', webhook);
  return {
    key, users, venue: 'store-004', rewardIds: [coffee.id, tasting.id, cinema.id], poolRewardId: cinema.id, buyRewardId: coffee.id,
    voucherIds: bought.slice(0, 50).map((b) => b.voucher.id), dryRunCodes: codes.slice(13, 40), burnCodes: codes.slice(40),
  };
}

/** The "after" program, loaded in bulk: an admin key of its own and two webhooks. */
async function bigProgram(url: string, store: Store, samples: Samples): Promise<Program> {
  const { key } = await store.write((trx) => createApiKey(trx, systemClock, samples.programId, { role: 'admin', name: 'Scale benchmark' }));
  for (let i = 0; i < 2; i++) await must(url, key, 'POST', '/v1/webhooks', webhook);
  return { ...samples, key };
}

// ---------------------------------------------------------------------------------------------
// The request kinds, each as the request it sends the i-th time.

type Request = [method: string, path: string, body?: unknown];
interface Kind {
  name: string;
  request: (p: Program, i: number) => Request;
  status?: number;
  /** What is wrong with the answer, if anything. */
  check?: (body: any) => string | undefined;
}

const nth = <T>(list: T[], i: number): T => list[i % list.length]!;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const reportRange = () => `from=${day(-29)}&to=${day(0)}&timezone=Europe/London`;

const KINDS: Kind[] = [
  { name: 'GET /v1/rewards', request: () => ['GET', '/v1/rewards'] },
  { name: 'GET /v1/rewards/{id}', request: (p, i) => ['GET', `/v1/rewards/${nth(p.rewardIds, i)}`] },
  { name: 'GET /v1/rewards/{id}/codes/summary (POOL)', request: (p) => ['GET', `/v1/rewards/${p.poolRewardId}/codes/summary`] },
  { name: 'GET /v1/users?externalId=', request: (p, i) => ['GET', `/v1/users?externalId=${nth(p.users, i).externalId}`], check: (b) => (b.data.length === 1 ? undefined : 'not found') },
  { name: 'GET /v1/users/{id}', request: (p, i) => ['GET', `/v1/users/${nth(p.users, i).id}`] },
  // Member histories a page of 5: a large program's members have more history than fills a page, a
  // small one's fewer, and a longer page is more to send, not more to find.
  { name: 'GET /v1/users/{id}/points (a page of 5)', request: (p, i) => ['GET', `/v1/users/${nth(p.users, i).id}/points?limit=5`] },
  { name: 'GET /v1/vouchers', request: () => ['GET', '/v1/vouchers'] },
  { name: 'GET /v1/vouchers?userId=', request: (p, i) => ['GET', `/v1/vouchers?userId=${nth(p.users, i).id}`] },
  { name: 'GET /v1/vouchers?rewardId=', request: (p, i) => ['GET', `/v1/vouchers?rewardId=${nth(p.rewardIds, i)}`] },
  ...['ACTIVE', 'EXPIRED', 'BURNED', 'VOIDED', 'PURCHASED'].map(
    (status): Kind => ({ name: `GET /v1/vouchers?status=${status}`, request: () => ['GET', `/v1/vouchers?status=${status}`] }),
  ),
  ...['ACTIVE', 'EXPIRED', 'BURNED'].map(
    (status): Kind => ({ name: `GET /v1/vouchers?rewardId=&status=${status}`, request: (p, i) => ['GET', `/v1/vouchers?rewardId=${nth(p.rewardIds, i)}&status=${status}`] }),
  ),
  { name: 'GET /v1/vouchers?userId=&status=BURNED', request: (p, i) => ['GET', `/v1/vouchers?userId=${nth(p.users, i).id}&status=BURNED`] },
  { name: 'GET /v1/vouchers/{id}', request: (p, i) => ['GET', `/v1/vouchers/${nth(p.voucherIds, i)}`] },
  { name: 'GET /v1/vouchers/lookup?code=', request: (p, i) => ['GET', `/v1/vouchers/lookup?code=${encodeURIComponent(nth(p.dryRunCodes, i))}`] },
  { name: 'GET /v1/events', request: () => ['GET', '/v1/events'] },
  { name: 'GET /v1/events?type=PURCHASE_REFUNDED', request: () => ['GET', '/v1/events?type=PURCHASE_REFUNDED'] },
  { name: 'GET /v1/events?userId= (a page of 5)', request: (p, i) => ['GET', `/v1/events?userId=${nth(p.users, i).id}&limit=5`] },
  { name: 'GET /v1/events, second page (cursor)', request: (p) => ['GET', `/v1/events?cursor=${p.eventsCursor}`] },
  { name: 'GET /v1/webhooks', request: () => ['GET', '/v1/webhooks'] },
  { name: 'GET /v1/api-keys', request: () => ['GET', '/v1/api-keys'] },
  {
    name: 'POST /v1/voucher-validations (dry run)',
    request: (p, i) => ['POST', '/v1/voucher-validations', { code: nth(p.dryRunCodes, i), dryRun: true, venue: p.venue }],
    check: (b) => (b.valid ? undefined : `answered ${b.reason}`),
  },
  {
    name: 'POST /v1/voucher-validations (burn, fresh code)',
    request: (p, i) => ['POST', '/v1/voucher-validations', { code: p.burnCodes[i], venue: p.venue, reference: `till-1/tx-${i}` }],
    check: (b) => (b.burned ? undefined : `answered ${b.reason}`),
  },
  { name: 'POST /v1/users/{id}/points', request: (p, i) => ['POST', `/v1/users/${nth(p.users, i).id}/points`, { delta: 500, reason: 'Scale benchmark' }], status: 201 },
  { name: 'POST /v1/users/{id}/purchases', request: (p, i) => ['POST', `/v1/users/${nth(p.users, i).id}/purchases`, { rewardId: p.buyRewardId }], status: 201 },
  { name: 'GET /v1/reports/activity', request: () => ['GET', `/v1/reports/activity?${reportRange()}`] },
  { name: 'GET /v1/reports/activity&rewardId=', request: (p, i) => ['GET', `/v1/reports/activity?${reportRange()}&rewardId=${nth(p.rewardIds, i)}`] },
  { name: 'GET /v1/reports/activity&venue=', request: (p) => ['GET', `/v1/reports/activity?${reportRange()}&venue=${p.venue}`] },
  { name: 'GET /v1/reports/rewards', request: () => ['GET', `/v1/reports/rewards?${reportRange()}`] },
  { name: 'GET /v1/reports/venues', request: () => ['GET', `/v1/reports/venues?${reportRange()}`] },
];

interface Timing {
  latencies: number[];
  /** Why the row stopped: a wrong status or answer. */
  problem?: string;
}

/**
 * Sequential requests of one kind after a warm-up, for SAMPLES requests or ROW_BUDGET_MS, taking
 * turns between the programs so that both see the same moments of a shared machine.
 */
async function measure(url: string, programs: Program[], kind: Kind): Promise<Timing[]> {
  const timings: Timing[] = programs.map(() => ({ latencies: [] }));
  const deadline = performance.now() + ROW_BUDGET_MS;
  for (let i = 0; i < WARM_UP + SAMPLES; i++) {
    for (const [n, p] of programs.entries()) {
      const timing = timings[n]!;
      if (timing.problem) continue;
      const [method, pathName, body] = kind.request(p, i);
      const started = performance.now();
      const response = await call(url, p.key, method, pathName, body);
      const took = performance.now() - started;
      if (response.status === 404 && pathName.startsWith('/v1/reports')) timing.problem = 'not available';
      else if (response.status !== (kind.status ?? 200)) timing.problem = `${response.status} ${response.body?.code ?? ''}`.trim();
      else timing.problem = kind.check?.(response.body);
      if (!timing.problem && i >= WARM_UP) timing.latencies.push(took);
    }
    const done = timings.every((t) => t.problem || t.latencies.length >= 5);
    if (timings.every((t) => t.problem) || (done && performance.now() > deadline)) break;
  }
  return timings;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor((values.length - 1) / 2)] ?? NaN;
const p99 = (values: number[]) => sorted(values)[Math.ceil(values.length * 0.99) - 1] ?? NaN;
const ms = (value: number) => (Number.isNaN(value) ? '' : value < 10 ? value.toFixed(2) : value.toFixed(0));

/** A till validating one dry-run code after another for `seconds`, while `readers` each read one path in a loop. */
/**
 * A till's dry runs, one at a time for TILL_SECONDS, with `readers` read in a loop beside it. The
 * clients run on a thread of their own, as they would on other machines: sharing the server's event
 * loop, their own work would be counted as the server's.
 */
async function till(url: string, p: Program, readers: string[]): Promise<{ p99: number; median: number; count: number; reads: number }> {
  const worker = new Worker(TILL_CLIENTS, { eval: true, workerData: { url, key: p.key, codes: p.dryRunCodes, readers, seconds: TILL_SECONDS } });
  const [result] = (await once(worker, 'message')) as [{ latencies: number[]; reads: number }];
  await worker.terminate();
  return { p99: p99(result.latencies), median: median(result.latencies), count: result.latencies.length, reads: result.reads };
}

const TILL_CLIENTS = `
const { parentPort, workerData: { url, key, codes, readers, seconds } } = require('node:worker_threads');
const call = async (method, path, body) => {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: 'Bearer ' + key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
};
(async () => {
  let running = true;
  const reading = readers.map(async (path) => {
    let reads = 0;
    for (; running; reads++) await call('GET', path);
    return reads;
  });
  const latencies = [];
  const stop = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < stop; i++) {
    const started = performance.now();
    await call('POST', '/v1/voucher-validations', { code: codes[i % codes.length], dryRun: true });
    latencies.push(performance.now() - started);
  }
  running = false;
  const reads = (await Promise.all(reading)).reduce((a, b) => a + b, 0);
  parentPort.postMessage({ latencies, reads });
})();
`;

// ---------------------------------------------------------------------------------------------

async function freshDatabase(engine: Engine): Promise<{ storage: Storage; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-scale-'));
    return { storage: { engine, file: path.join(dir, 'scale.db') }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tessera_scale_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    storage: { engine, url: url.toString() },
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

// The tables whose bytes are counted per voucher: those holding one or more rows for each voucher.
const PER_VOUCHER = ['vouchers', 'voucher_codes', 'purchases', 'validations', 'reward_holdings'];

async function benchEngine(engine: Engine): Promise<void> {
  const label = engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const { storage, drop } = await freshDatabase(engine);
  try {
    await migrateUpTo(storage, LOADED_AT);
    progress(`${label}: generating ${count(SIZES.members)} members, ${count(SIZES.vouchers)} vouchers, ${count(SIZES.events)} events`);
    let started = performance.now();
    const generated = generateProgram(SIZES);
    const generateMs = performance.now() - started;
    const loaded: string[] = [];
    const rows = new Map<string, number>();
    const report = (what: string, n: number, took: number) => {
      progress(`${label}: ${what}: ${count(n)} in ${seconds(took)}`);
      loaded.push(`${what} ${seconds(took)}`);
      rows.set(what, n);
    };
    started = performance.now();
    if (storage.engine === 'sqlite') loadSqlite(storage.file, generated.tables, report);
    else await loadPostgres(storage.url, generated.tables, report);
    const loadMs = performance.now() - started;

    const store = openStore({ storage, durability: 'strict', pgPoolSize: 8 });
    progress(`${label}: migrating to the latest schema`);
    started = performance.now();
    const applied = await migrateToLatest(store);
    const migrateMs = performance.now() - started;

    const config = loadConfig({ LOG_LEVEL: 'error' });
    const app = await buildApp({ store, clock: systemClock, config, guessLimiter: openGuessLimiter({ storage, limits: config.guessLimits }) });
    const results: { kind: Kind; before: Timing; after: Timing }[] = [];
    let readers: string[];
    let alone: Awaited<ReturnType<typeof till>>;
    let beside: typeof alone;
    let besideSmall: typeof alone;
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const before = await smallProgram(url, store);
      const after = await bigProgram(url, store, generated.samples);
      for (const p of [before, after]) p.eventsCursor = (await must(url, p.key, 'GET', '/v1/events')).nextCursor;
      for (const kind of KINDS) {
        progress(`${label}: ${kind.name}`);
        const [beforeTiming, afterTiming] = await measure(url, [before, after], kind);
        results.push({ kind, before: beforeTiming!, after: afterTiming! });
      }
      const reportsAvailable = !results.some((r) => r.kind.name === 'GET /v1/reports/activity' && r.after.problem === 'not available');
      readers = ['/v1/rewards', reportsAvailable ? `/v1/reports/activity?${reportRange()}` : '/v1/rewards'];
      progress(`${label}: a till alone, then beside two readers of the large program and of the small one (${TILL_SECONDS} s each)`);
      alone = await till(url, after, []);
      beside = await till(url, after, readers);
      besideSmall = await till(url, before, readers);
    } finally {
      await app.close();
      await store.close();
    }
    const size = storage.engine === 'sqlite' ? sqliteSize(storage.file) : await postgresSize(storage.url);

    console.log(`\n## ${label}: ${count(SIZES.members)} members, ${count(SIZES.vouchers)} vouchers, ${count(SIZES.events)} events\n`);
    console.log(`Load: ${seconds(generateMs + loadMs)} (generating the history ${seconds(generateMs)}; ${loaded.join(', ')}).`);
    console.log(`Migration to the latest schema (${applied.join(', ') || 'nothing to apply'}): ${seconds(migrateMs)}.`);
    console.log(`The event log covers the last ${generated.logDays.toFixed(0)} days. "Before" is a small program in the same database: 3 rewards, 20 members, 155 vouchers.\n`);
    printRequests(results);
    console.log(
      `\nA till's dry-run validations, one connection, ${TILL_SECONDS} s: alone p99 ${ms(alone.p99)} ms (median ${ms(alone.median)}, ${count(alone.count)} requests); ` +
        `beside two clients reading ${readers.map((r) => `GET ${r.split('?')[0]}`).join(' and ')} in a loop (${count(beside.reads)} reads): ` +
        `p99 ${ms(beside.p99)} ms (median ${ms(beside.median)}, ${count(beside.count)} requests). Ratio ${(beside.p99 / alone.p99).toFixed(1)}×. ` +
        `The same beside the same readers of the small program: p99 ${ms(besideSmall.p99)} ms (median ${ms(besideSmall.median)}); the large program's readers cost ${(beside.p99 / besideSmall.p99).toFixed(1)}× as much.\n`,
    );
    printSizes(size, rows);
  } finally {
    await drop();
  }
}

function printRequests(results: { kind: Kind; before: Timing; after: Timing }[]): void {
  console.log('| request | n | median before ms | median after ms | after / before | p99 after ms | target |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { kind, before, after } of results) {
    const problem = after.problem ?? before.problem;
    if (problem === 'not available') {
      console.log(`| ${kind.name} | | | | | | not available |`);
      continue;
    }
    const [b, a] = [median(before.latencies), median(after.latencies)];
    const miss = a > 2 * b || a > 20;
    const note = problem ? `stopped: ${problem}` : miss ? '**miss**' : 'ok';
    console.log(`| ${kind.name} | ${after.latencies.length} | ${ms(b)} | ${ms(a)} | ${(a / b).toFixed(1)} | ${ms(p99(after.latencies))} | ${note} |`);
  }
}

function printSizes(size: DatabaseSize, rows: Map<string, number>): void {
  const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  const perRow = (bytes: number, n: number | undefined) => (n ? Math.round(bytes / n).toLocaleString('en-US') : '');
  console.log('| table (with its indexes) | rows loaded | MB | bytes per row |');
  console.log('|---|---|---|---|');
  for (const [table, bytes] of [...size.tables].sort((a, b) => b[1] - a[1])) {
    if (bytes >= 1_048_576) console.log(`| ${table} | ${rows.has(table) ? count(rows.get(table)!) : ''} | ${mb(bytes)} | ${perRow(bytes, rows.get(table))} |`);
  }
  const of = (tables: string[]) => tables.reduce((sum, t) => sum + (size.tables.get(t) ?? 0), 0);
  console.log(
    `\nWhole database ${mb(size.total)} MB. Per member (users): ${perRow(of(['users']), SIZES.members)} B; ` +
      `per voucher (${PER_VOUCHER.join(', ')}): ${perRow(of(PER_VOUCHER), SIZES.vouchers)} B; per event: ${perRow(of(['events']), SIZES.events)} B; ` +
      `whole database per voucher: ${perRow(size.total, SIZES.vouchers)} B.`,
  );
}

/** Runs this benchmark for one engine in a process of its own (see below), answering its exit code. */
function inOwnProcess(engine: Engine): Promise<number | null> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, SCALE_ENGINES: engine, SCALE_CHILD: '1' }, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', resolve));
}

// Each engine runs in its own process: the generated history is gone with it, and so are timers
// that outlive a closed app (the SQLite guess counter's hourly sweep fires on its closed database).
if (process.env.SCALE_CHILD === undefined) console.log(`Tessera scale benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
if (ENGINES.length > 1) {
  for (const engine of ENGINES) if ((await inOwnProcess(engine)) !== 0) process.exitCode = 1;
} else {
  await benchEngine(ENGINES[0]!);
}
