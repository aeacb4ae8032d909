// npm run bench: throughput and latency of the running server beside ceilings measured in the same
// run (a bare Fastify route; the raw driver running the same statements). Not part of npm test.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { rawPostgres, rawPostgresBurn, rawSqlite, rawSqliteBurn } from './raw-storage.js';
import type { Storage } from '../src/config.js';
import { normalizeCode } from '../src/codes/normalize-code.js';
import { NEIGHBOUR_SECONDS, benchNeighbours } from './neighbours.js';
import { UPLOAD_CODES, memoryOf, rawPostgresCopy, rawSqliteBulkLoad, uploadToServer, writeCodesFile } from './upload.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
/** BENCH_ONLY=validations runs only the validation rows (and skips SQLite relaxed); BENCH_ONLY=uploads only the uploads. */
const VALIDATIONS_ONLY = process.env.BENCH_ONLY === 'validations';
const UPLOADS_ONLY = process.env.BENCH_ONLY === 'uploads';
/** BENCH_ONLY=neighbours runs only the noisy neighbour rows. */
const NEIGHBOURS_ONLY = process.env.BENCH_ONLY === 'neighbours';
const ADMIN_KEY = 'tsk_bench_admin_key_0123456789abcdef';
const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const root = path.resolve(import.meta.dirname, '..');

interface Row {
  scenario: string;
  connections: number | string;
  rate: number;
  p50?: number | undefined;
  p99?: number | undefined;
  note?: string;
}
const rows: Row[] = [];
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);

/** Runs `task` on a new PostgreSQL database, dropped after; without PostgreSQL, says so and skips it. */
async function inPostgresDatabase(what: string, task: (url: string) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
    const name = `tessera_bench_${what}_${Date.now()}`;
    await admin.query(`create database ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    await task(url.toString());
    await admin.query(`drop database ${name} with (force)`);
  } catch (error) {
    console.warn(`PostgreSQL ${what} skipped: ${(error as Error).message}`);
  } finally {
    await admin.end().catch(() => {});
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a server process on a free port and waits until it answers /healthz. */
async function start(command: string[], env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, command, { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let attempt = 0; attempt < 300; attempt++) {
    if (exited) throw new Error(`${command.join(' ')} exited before answering`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${command.join(' ')} did not answer on ${url}`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Load {
  method: 'GET' | 'POST';
  paths: string[];
  /** The same body for every request, or a new one each time. */
  body?: string | (() => string);
}

async function load(url: string, connections: number, options: Load) {
  let i = 0;
  const { body } = options;
  const result = await autocannon({
    url,
    connections,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    requests: [
      {
        method: options.method,
        ...(typeof body === 'string' ? { body } : {}),
        setupRequest: (request) => ({
          ...request,
          path: options.paths[i++ % options.paths.length]!,
          ...(typeof body === 'function' ? { body: body() } : {}),
        }),
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) console.warn(`  ${bad} failed requests (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function api(url: string, method: string, pathName: string, body?: unknown) {
  const response = await fetch(`${url}${pathName}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json() as Promise<any>;
}

async function benchServer(label: string, databaseUrl: string, durability: string) {
  const { url, child } = await start(['dist/main.js'], {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    TESSERA_DURABILITY: durability,
    TESSERA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
  });
  // Wait for the listening line then for readiness.
  const users: string[] = [];
  for (let i = 0; i < 200; i++) users.push((await api(url, 'POST', '/v1/users', { externalId: `bench-${i}` })).id);
  const reward = await api(url, 'POST', '/v1/rewards', {
    name: 'Bench coffee',
    pricePoints: 1,
    codeType: 'ONE_TIME',
    codeFormat: 'BENCH-{code}',
    incentives: [{ type: 'PERCENTAGE', value: 100 }],
  });
  if (!VALIDATIONS_ONLY) await benchPoints(label, url, users, reward.id);
  await benchValidations(label, url, databaseUrl, reward.id, users[0]!);
  await stop(child);
}

async function benchPoints(label: string, url: string, users: string[], rewardId: string): Promise<void> {
  const credit = { method: 'POST' as const, paths: users.map((u) => `/v1/users/${u}/points`), body: JSON.stringify({ delta: 1, reason: 'bench' }) };
  for (const connections of [1, 32]) {
    progress(`${label}: credits, ${connections} connection(s)`);
    const r = await load(url, connections, credit);
    rows.push({ scenario: `${label}: credit points (write)`, connections, ...r });
  }
  for (const u of users) await api(url, 'POST', `/v1/users/${u}/points`, { delta: 1_000_000, reason: 'bench' });
  progress(`${label}: purchases`);
  const purchase = { method: 'POST' as const, paths: users.map((u) => `/v1/users/${u}/purchases`), body: JSON.stringify({ rewardId }) };
  rows.push({ scenario: `${label}: buy a reward (debit + voucher + code + 2 events)`, connections: 32, ...(await load(url, 32, purchase)) });
  progress(`${label}: reads`);
  const r = await load(url, 32, { method: 'GET', paths: users.map((u) => `/v1/users/${u}`) });
  rows.push({ scenario: `${label}: read a member`, connections: 32, ...r });
}

const SEEDED_CODES = 150_000;
const codeOf = (i: number) => `BENCH-${String(i).padStart(8, '0')}`;

/**
 * Gives the member SEEDED_CODES ACTIVE vouchers of the reward straight in the database (the API
 * would take minutes to issue that many), so every burn can use a fresh code.
 */
async function seedVouchers(databaseUrl: string, rewardId: string, userId: string): Promise<void> {
  const now = new Date().toISOString();
  if (databaseUrl.startsWith('file:')) {
    const db = new SQLite(databaseUrl.slice('file:'.length));
    db.pragma('busy_timeout = 5000');
    const { program_id: programId } = db.prepare('select program_id from rewards where id = ?').get(rewardId) as { program_id: string };
    const voucher = db.prepare(
      `insert into vouchers (program_id, id, user_id, reward_id, status, code, activated_at, took_stock, created_at) values (?, ?, ?, ?, 'ACTIVE', ?, ?, 0, ?)`,
    );
    const code = db.prepare('insert into voucher_codes (program_id, code_normal, voucher_id) values (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < SEEDED_CODES; i++) {
        voucher.run(programId, `vch_bench${i}`, userId, rewardId, codeOf(i), now, now);
        code.run(programId, normalizeCode(codeOf(i)), `vch_bench${i}`);
      }
    })();
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('select program_id from rewards where id = $1', [rewardId]);
  const programId = rows[0].program_id;
  await client.query(
    `insert into vouchers (program_id, id, user_id, reward_id, status, code, activated_at, took_stock, created_at)
     select $1, 'vch_bench' || g, $2, $3, 'ACTIVE', 'BENCH-' || lpad(g::text, 8, '0'), $4, 0, $4 from generate_series(0, $5::int - 1) g`,
    [programId, userId, rewardId, now, SEEDED_CODES],
  );
  await client.query(
    `insert into voucher_codes (program_id, code_normal, voucher_id) select $1, 'BENCH' || lpad(g::text, 8, '0'), 'vch_bench' || g from generate_series(0, $2::int - 1) g`,
    [programId, SEEDED_CODES],
  );
  await client.query('analyze');
  await client.end();
}

async function benchValidations(label: string, url: string, databaseUrl: string, rewardId: string, userId: string): Promise<void> {
  progress(`${label}: seeding ${SEEDED_CODES.toLocaleString('en-US')} codes`);
  await seedVouchers(databaseUrl, rewardId, userId);
  const validations = ['/v1/voucher-validations'];
  // Dry runs cycle over codes the burns below never reach.
  let dry = 0;
  const dryBody = () => JSON.stringify({ code: codeOf(SEEDED_CODES - 1 - (dry++ % 1000)), dryRun: true });
  let next = 0;
  let ranOut = false;
  const burnBody = () => {
    if (next >= SEEDED_CODES - 1000) ranOut = true;
    return JSON.stringify({ code: codeOf(next++ % (SEEDED_CODES - 1000)), venue: 'bench' });
  };
  for (const connections of [1, 32]) {
    progress(`${label}: dry-run validations, ${connections} connection(s)`);
    rows.push({ scenario: `${label}: validate, dryRun`, connections, ...(await load(url, connections, { method: 'POST', paths: validations, body: dryBody })) });
  }
  for (const connections of [1, 32]) {
    progress(`${label}: burns, ${connections} connection(s)`);
    const r = await load(url, connections, { method: 'POST', paths: validations, body: burnBody });
    rows.push({ scenario: `${label}: validate and burn (fresh code each)`, connections, ...r, ...(ranOut ? { note: 'codes ran out: some answers were ALREADY_BURNED' } : {}) });
  }
}

/** A fresh server on `databaseUrl` uploads the codes file to a POOL reward; its peak memory is read off /proc. */
async function benchUpload(label: string, databaseUrl: string, codesFile: string, ceiling: number): Promise<void> {
  const { url, child } = await start(['dist/main.js'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', TESSERA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY });
  const reward = await api(url, 'POST', '/v1/rewards', { name: 'Partner codes', pricePoints: 1, codeType: 'POOL', incentives: [] });
  const before = memoryOf(child.pid!);
  progress(`${label}: uploading ${path.basename(codesFile)}`);
  const { rate, added, received } = await uploadToServer(url, ADMIN_KEY, reward.id, codesFile);
  const after = memoryOf(child.pid!);
  if (added !== received) console.warn(`  only ${added} of ${received} codes were added`);
  rows.push({
    scenario: `${label}: upload ${received.toLocaleString('en-US')} codes (text/plain, one request)`,
    connections: 1,
    rate,
    note: `${(rate / ceiling).toFixed(2)} of the ceiling; server peak RSS ${after.peakMb} MB, ${before.peakMb} MB before`,
  });
  await stop(child);
}

async function benchUploads(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-upload-'));
  const codesFile = writeCodesFile(dir);
  progress('raw SQLite bulk load');
  const sqliteCeiling = await rawSqliteBulkLoad(codesFile);
  rows.push({ scenario: `ceiling: raw better-sqlite3 bulk load of ${UPLOAD_CODES.toLocaleString('en-US')} codes (one prepared insert, one transaction)`, connections: 'loop', rate: sqliteCeiling });
  await benchUpload('SQLite strict', `file:${path.join(dir, 'upload.db')}`, codesFile, sqliteCeiling);
  // A tenth of the codes, on a fresh server: its peak memory beside the full upload's shows memory does not grow with the upload.
  await benchUpload('SQLite strict', `file:${path.join(dir, 'upload-small.db')}`, writeCodesFile(dir, UPLOAD_CODES / 10), sqliteCeiling);
  await inPostgresDatabase('uploads', async (url) => {
    progress('raw PostgreSQL COPY');
    const pgCeiling = await rawPostgresCopy(PG_ADMIN_URL, codesFile);
    rows.push({ scenario: `ceiling: raw pg COPY of ${UPLOAD_CODES.toLocaleString('en-US')} codes (one transaction)`, connections: 1, rate: pgCeiling });
    await benchUpload('PostgreSQL strict', url, codesFile, pgCeiling);
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

/** One program's till beside another program's upload, reports and webhooks, on one server. */
async function benchNeighbour(label: string, databaseUrl: string, storage: Storage, codesFile: string): Promise<void> {
  const { url, child } = await start(['dist/main.js'], {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    TESSERA_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  progress(`${label}: a till alone, then beside a noisy program`);
  const call = async (key: string, method: string, pathName: string, body?: unknown) => {
    const response = await fetch(`${url}${pathName}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response.json() as Promise<any>;
  };
  const { alone, beside, noise } = await benchNeighbours(url, storage, codesFile, call);
  rows.push({ scenario: `${label}: a till's dry runs, alone`, connections: 1, rate: alone.count / NEIGHBOUR_SECONDS, p50: round(alone.p50), p99: round(alone.p99) });
  rows.push({
    scenario: `${label}: the same till beside another program's ${noise}`,
    connections: 1,
    rate: beside.count / NEIGHBOUR_SECONDS,
    p50: round(beside.p50),
    p99: round(beside.p99),
    note: `p99 ${(beside.p99 / alone.p99).toFixed(1)}× alone; target 1.5×`,
  });
  await stop(child);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function benchNeighbourServers(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-neighbours-'));
  const codesFile = writeCodesFile(dir);
  const file = path.join(dir, 'neighbours.db');
  await benchNeighbour('SQLite strict', `file:${file}`, { engine: 'sqlite', file }, codesFile);
  await inPostgresDatabase('neighbours', (url) => benchNeighbour('PostgreSQL strict', url, { engine: 'postgres', url }, codesFile));
  fs.rmSync(dir, { recursive: true, force: true });
}

async function main() {
  console.log(`Tessera benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${DURATION_S} s per run\n`);

  const bare = await start(['--import', 'tsx', 'bench/bare-server.ts'], {});
  for (const connections of [1, 32]) {
    const r = await load(bare.url, connections, { method: 'POST', paths: ['/bare'], body: JSON.stringify({ delta: 1, reason: 'bench' }) });
    rows.push({ scenario: 'ceiling: bare Fastify POST', connections, ...r });
  }
  await stop(bare.child);

  if (UPLOADS_ONLY || NEIGHBOURS_ONLY) {
    await (UPLOADS_ONLY ? benchUploads() : benchNeighbourServers());
    printTable();
    return;
  }

  progress('raw SQLite');
  rows.push({ scenario: 'ceiling: raw better-sqlite3 credit, synchronous=FULL', connections: 'loop', rate: rawSqlite('FULL'), note: 'one fsync per commit' });
  rows.push({ scenario: 'ceiling: raw better-sqlite3 credit, synchronous=NORMAL', connections: 'loop', rate: rawSqlite('NORMAL') });
  rows.push({ scenario: 'ceiling: raw better-sqlite3 burn, synchronous=FULL', connections: 'loop', rate: await rawSqliteBurn('FULL'), note: 'one fsync per commit' });
  rows.push({ scenario: 'ceiling: raw better-sqlite3 burn, synchronous=NORMAL', connections: 'loop', rate: await rawSqliteBurn('NORMAL') });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  await benchServer('SQLite strict', `file:${path.join(dir, 'strict.db')}`, 'strict');
  if (!VALIDATIONS_ONLY) await benchServer('SQLite relaxed', `file:${path.join(dir, 'relaxed.db')}`, 'relaxed');
  fs.rmSync(dir, { recursive: true, force: true });

  await inPostgresDatabase('requests', async (url) => {
    rows.push({ scenario: 'ceiling: raw pg credit, pool 8', connections: 32, rate: await rawPostgres(url, 32, 8) });
    rows.push({ scenario: 'ceiling: raw pg burn, pool 8', connections: 32, rate: await rawPostgresBurn(PG_ADMIN_URL, 32, 8) });
    rows.push({ scenario: 'ceiling: raw pg burn, 1 connection', connections: 1, rate: await rawPostgresBurn(PG_ADMIN_URL, 1, 1) });
    await benchServer('PostgreSQL strict', url, 'strict');
  });
  if (!VALIDATIONS_ONLY) await benchUploads();
  if (!VALIDATIONS_ONLY) await benchNeighbourServers();
  printTable();
}

function printTable(): void {
  const bareRate = rows.find((r) => r.scenario.startsWith('ceiling: bare') && r.connections === 32)?.rate ?? 1;
  console.log('| scenario | connections | req/s (uploads: codes/s) | p50 ms | p99 ms | vs bare Fastify (32) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    // An upload's rate is codes, not requests: it compares with its own ceiling (in its note).
    const vsBare = r.scenario.includes(' codes') ? '' : (r.rate / bareRate).toFixed(2);
    console.log(
      `| ${r.scenario}${r.note ? ` (${r.note})` : ''} | ${r.connections} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.p50 ?? ''} | ${r.p99 ?? ''} | ${vsBare} |`,
    );
  }
}

await main();
