// npm run bench: throughput and latency of the running server beside ceilings measured in the same
// run (a bare Fastify route; the raw driver running the same statements). Not part of npm test.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { rawPostgres, rawSqlite } from './raw-storage.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
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

async function load(url: string, connections: number, options: { method: 'GET' | 'POST'; paths: string[]; body?: string }) {
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    requests: [
      {
        method: options.method,
        ...(options.body ? { body: options.body } : {}),
        setupRequest: (request) => ({ ...request, path: options.paths[i++ % options.paths.length]! }),
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
  const credit = { method: 'POST' as const, paths: users.map((u) => `/v1/users/${u}/points`), body: JSON.stringify({ delta: 1, reason: 'bench' }) };
  for (const connections of [1, 32]) {
    progress(`${label}: credits, ${connections} connection(s)`);
    const r = await load(url, connections, credit);
    rows.push({ scenario: `${label}: credit points (write)`, connections, ...r });
  }
  const reward = await api(url, 'POST', '/v1/rewards', {
    name: 'Bench coffee',
    pricePoints: 1,
    codeType: 'ONE_TIME',
    codeFormat: 'BENCH-{code}',
    incentives: [{ type: 'PERCENTAGE', value: 100 }],
  });
  for (const u of users) await api(url, 'POST', `/v1/users/${u}/points`, { delta: 1_000_000, reason: 'bench' });
  progress(`${label}: purchases`);
  const purchase = { method: 'POST' as const, paths: users.map((u) => `/v1/users/${u}/purchases`), body: JSON.stringify({ rewardId: reward.id }) };
  rows.push({ scenario: `${label}: buy a reward (debit + voucher + code + 2 events)`, connections: 32, ...(await load(url, 32, purchase)) });
  progress(`${label}: reads`);
  const r = await load(url, 32, { method: 'GET', paths: users.map((u) => `/v1/users/${u}`) });
  rows.push({ scenario: `${label}: read a member`, connections: 32, ...r });
  await stop(child);
}

async function main() {
  console.log(`Tessera benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${DURATION_S} s per run\n`);

  const bare = await start(['--import', 'tsx', 'bench/bare-server.ts'], {});
  for (const connections of [1, 32]) {
    const r = await load(bare.url, connections, { method: 'POST', paths: ['/bare'], body: JSON.stringify({ delta: 1, reason: 'bench' }) });
    rows.push({ scenario: 'ceiling: bare Fastify POST', connections, ...r });
  }
  await stop(bare.child);

  progress('raw SQLite');
  rows.push({ scenario: 'ceiling: raw better-sqlite3 credit, synchronous=FULL', connections: 'loop', rate: rawSqlite('FULL'), note: 'one fsync per commit' });
  rows.push({ scenario: 'ceiling: raw better-sqlite3 credit, synchronous=NORMAL', connections: 'loop', rate: rawSqlite('NORMAL') });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  await benchServer('SQLite strict', `file:${path.join(dir, 'strict.db')}`, 'strict');
  await benchServer('SQLite relaxed', `file:${path.join(dir, 'relaxed.db')}`, 'relaxed');
  fs.rmSync(dir, { recursive: true, force: true });

  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
    const name = `tessera_bench_${Date.now()}`;
    await admin.query(`create database ${name}`);
    const dbUrl = new URL(PG_ADMIN_URL);
    dbUrl.pathname = `/${name}`;
    rows.push({ scenario: 'ceiling: raw pg credit, pool 8', connections: 32, rate: await rawPostgres(dbUrl.toString(), 32, 8) });
    await benchServer('PostgreSQL strict', dbUrl.toString(), 'strict');
    await admin.query(`drop database ${name} with (force)`);
  } catch (error) {
    console.warn(`PostgreSQL skipped: ${(error as Error).message}`);
  } finally {
    await admin.end().catch(() => {});
  }

  const bareRate = rows.find((r) => r.scenario.startsWith('ceiling: bare') && r.connections === 32)?.rate ?? 1;
  console.log('| scenario | connections | req/s | p50 ms | p99 ms | vs bare Fastify (32) |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario}${r.note ? ` (${r.note})` : ''} | ${r.connections} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.p50 ?? ''} | ${r.p99 ?? ''} | ${(r.rate / bareRate).toFixed(2)} |`,
    );
  }
}

await main();
