// The storage ceiling: the statements of one points credit, run in a loop straight through the
// driver, one transaction (one commit) each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import type { Storage } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/open-store.js';

const RUN_MS = 3000;

/** Runs `step` back to back for RUN_MS (at most `limit` times) and answers how many ran per second. */
function timedLoop(step: (n: number) => void, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  const started = performance.now();
  for (; performance.now() - started < RUN_MS && n < limit; n++) step(n);
  return n / ((performance.now() - started) / 1000);
}

/** The same with `inFlight` steps running at once, each numbered. */
async function timedWorkers(inFlight: number, step: (n: number) => Promise<void>, limit = Number.POSITIVE_INFINITY): Promise<number> {
  let n = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < RUN_MS && n < limit) await step(n++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return n / ((performance.now() - started) / 1000);
}

function ledgerStatements(ph: (n: number) => string) {
  return {
    create: [
      'create table users (program_id text, id text, balance bigint not null, primary key (program_id, id))',
      'create table ledger_entries (program_id text, id text, user_id text, delta bigint, balance_after bigint, reason text, created_at text, primary key (program_id, id))',
      'create table events (seq integer primary key, program_id text, id text, type text, user_id text, data text, occurred_at text)',
    ],
    update: `update users set balance = balance + 1 where program_id = ${ph(1)} and id = ${ph(2)} and balance + 1 >= 0 returning balance`,
    entry: `insert into ledger_entries values (${ph(1)}, ${ph(2)}, ${ph(3)}, 1, ${ph(4)}, 'bench', ${ph(5)})`,
    event: `insert into events (program_id, id, type, user_id, data, occurred_at) values (${ph(1)}, ${ph(2)}, 'POINTS_ADJUSTED', ${ph(3)}, '{}', ${ph(4)})`,
  };
}

export function rawSqlite(synchronous: 'FULL' | 'NORMAL'): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-raw-'));
  const db = new SQLite(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  const s = ledgerStatements(() => '?');
  for (const statement of s.create) db.exec(statement);
  const users = 1000;
  const insertUser = db.prepare('insert into users values (?, ?, 0)');
  for (let i = 0; i < users; i++) insertUser.run('p', `u${i}`);
  const update = db.prepare(s.update);
  const entry = db.prepare(s.entry);
  const event = db.prepare(s.event);
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const rate = timedLoop((n) => {
    const user = `u${n % users}`;
    const now = new Date().toISOString();
    begin.run();
    const { balance } = update.get('p', user) as { balance: number };
    entry.run('p', `e${n}`, user, balance, now);
    event.run('p', `v${n}`, user, now);
    commit.run();
  });
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

export async function rawPostgres(url: string, inFlight: number, poolSize: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => {}); // an idle connection closed by the database's drop at the end
  const s = ledgerStatements((n) => `$${n}`);
  const setup = await pool.connect();
  await setup.query('drop table if exists users, ledger_entries, events');
  for (const statement of s.create) await setup.query(statement.replace('seq integer primary key', 'seq bigint generated always as identity primary key'));
  await setup.query(`insert into users select 'p', 'u' || g, 0 from generate_series(0, 999) g`);
  setup.release();
  const rate = await timedWorkers(inFlight, async (i) => {
    const user = `u${i % 1000}`;
    const now = new Date().toISOString();
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(s.update, ['p', user]);
      await client.query(s.entry, ['p', `e${i}`, user, rows[0].balance, now]);
      await client.query(s.event, ['p', `v${i}`, user, now]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
  await pool.query('drop table if exists users, ledger_entries, events');
  await pool.end();
  return rate;
}

// The storage ceiling of a burn: the server's own statements on the server's own schema (migrated
// the same way), run straight through the driver: look up the API key, then in one transaction find
// the code's voucher with its reward, mark it burned, record the validation and the event. Every
// burn uses a fresh code.
const BURN_CODES = 100_000;
const KEY_HASH = 'bench-key-hash';

function burnStatements(ph: (n: number) => string) {
  const params = (from: number, count: number) => Array.from({ length: count }, (_, i) => ph(from + i)).join(', ');
  return {
    key: `select program_id, id, role, venue from api_keys where key_hash = ${ph(1)} and revoked_at is null`,
    find: `select v.id, v.user_id, v.reward_id, v.status, v.code, v.expires_at, v.burn_validation_id, r.name, r.venues, r.incentives
      from voucher_codes c join vouchers v on v.program_id = c.program_id and v.id = c.voucher_id
      join rewards r on r.program_id = v.program_id and r.id = v.reward_id where c.program_id = ${ph(1)} and c.code_normal = ${ph(2)}`,
    burn: `update vouchers set status = 'BURNED', burned_at = ${ph(1)}, burn_validation_id = ${ph(2)} where program_id = ${ph(3)} and id = ${ph(4)} and status = 'ACTIVE'`,
    record: `insert into validations (program_id, id, voucher_id, code, valid, reason, burned, venue, reference, key_id, discount, response, created_at) values (${params(1, 13)})`,
    event: `insert into events (program_id, id, type, user_id, data, occurred_at) values (${params(1, 6)})`,
  };
}

/** The schema as the server makes it, then one program, key, member, reward and BURN_CODES active vouchers. */
async function prepareBurnDatabase(storage: Storage): Promise<void> {
  const store = openStore({ storage, durability: 'relaxed', pgPoolSize: 2 });
  try {
    await migrateToLatest(store);
    const now = new Date().toISOString();
    await store.db.insertInto('programs').values({ id: 'prg_bench', name: 'bench', created_at: now }).execute();
    await store.db
      .insertInto('api_keys')
      .values({ program_id: 'prg_bench', id: 'key_bench', role: 'pos', name: 'till', venue: null, key_hash: KEY_HASH, key_prefix: 'tsk_', created_at: now, revoked_at: null })
      .execute();
    await store.db
      .insertInto('rewards')
      .values({
        program_id: 'prg_bench', id: 'rwd_bench', status: 'ACTIVE', name: 'Coffee', description: null, price_points: 1, code_type: 'ONE_TIME',
        code_format: '{code}', code_length: 8, static_code: null, redemption_flow: 'ONE_STEP', validity_days: null, valid_until: null,
        available_from: null, available_until: null, purchasable: 1, stock: null, per_user_limit: null, venues: null,
        low_stock_threshold: null, incentives: '[{"type":"PERCENTAGE","value":100}]', created_at: now, updated_at: now,
        pool_codes_total: 0, pool_codes_issued: 0,
      })
      .execute();
    const seed = storage.engine === 'postgres'
      ? [
          sql`insert into vouchers (program_id, id, user_id, reward_id, status, code, took_stock, created_at)
              select 'prg_bench', 'vch_' || g, 'usr_bench', 'rwd_bench', 'ACTIVE', 'C' || g, 0, ${now} from generate_series(0, ${BURN_CODES - 1}) g`,
          sql`insert into voucher_codes (program_id, code_normal, voucher_id) select 'prg_bench', 'C' || g, 'vch_' || g from generate_series(0, ${BURN_CODES - 1}) g`,
          sql`analyze`,
        ]
      : [
          sql`with recursive g(n) as (select 0 union all select n + 1 from g where n < ${BURN_CODES - 1})
              insert into vouchers (program_id, id, user_id, reward_id, status, code, took_stock, created_at)
              select 'prg_bench', 'vch_' || n, 'usr_bench', 'rwd_bench', 'ACTIVE', 'C' || n, 0, ${now} from g`,
          sql`insert into voucher_codes (program_id, code_normal, voucher_id) select 'prg_bench', code, id from vouchers`,
        ];
    for (const statement of seed) await statement.execute(store.db);
  } finally {
    await store.close();
  }
}

const validationRow = (i: number, voucherId: string, now: string) =>
  ['prg_bench', `val_${i}`, voucherId, `C${i}`, 1, null, 1, null, null, 'key_bench', null, '{"valid":true,"burned":true}', now];
const eventRow = (i: number, userId: string, now: string) =>
  ['prg_bench', `evt_${i}`, 'BURNED_VOUCHER', userId, '{"voucherId":"x"}', now];

export async function rawSqliteBurn(synchronous: 'FULL' | 'NORMAL'): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-raw-'));
  const file = path.join(dir, 'raw.db');
  await prepareBurnDatabase({ engine: 'sqlite', file });
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('cache_size = -65536');
  const s = burnStatements(() => '?');
  const [key, find, burn, record, event] = [s.key, s.find, s.burn, s.record, s.event].map((text) => db.prepare(text));
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const rate = timedLoop((n) => {
    const now = new Date().toISOString();
    key!.get(KEY_HASH);
    begin.run();
    const v = find!.get('prg_bench', `C${n}`) as { id: string; user_id: string };
    burn!.run(now, `val_${n}`, 'prg_bench', v.id);
    record!.run(...validationRow(n, v.id, now));
    event!.run(...eventRow(n, v.user_id, now));
    commit.run();
  }, BURN_CODES);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

export async function rawPostgresBurn(adminUrl: string, inFlight: number, poolSize: number): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `tessera_bench_raw_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await prepareBurnDatabase({ engine: 'postgres', url: url.toString() });
  const pool = new pg.Pool({ connectionString: url.toString(), max: poolSize });
  pool.on('error', () => {}); // an idle connection closed by the database's drop at the end
  const s = burnStatements((n) => `$${n}`);
  const rate = await timedWorkers(inFlight, async (i) => {
    const now = new Date().toISOString();
    // Named statements, planned once per connection, as the server sends its hot statements.
    await pool.query({ name: 'key', text: s.key, values: [KEY_HASH] });
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query({ name: 'find', text: `${s.find} for update of v`, values: ['prg_bench', `C${i}`] });
      await client.query({ name: 'burn', text: s.burn, values: [now, `val_${i}`, 'prg_bench', rows[0].id] });
      await client.query({ name: 'record', text: s.record, values: validationRow(i, rows[0].id, now) });
      await client.query({ name: 'event', text: s.event, values: eventRow(i, rows[0].user_id, now) });
      await client.query('commit');
    } finally {
      client.release();
    }
  }, BURN_CODES);
  await pool.end();
  await admin.query(`drop database ${name} with (force)`);
  await admin.end();
  return rate;
}
