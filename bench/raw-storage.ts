// The storage ceiling: the statements of one points credit, run in a loop straight through the
// driver, one transaction (one commit) each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';

const RUN_MS = 3000;

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
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < RUN_MS) {
    const user = `u${n % users}`;
    const now = new Date().toISOString();
    begin.run();
    const { balance } = update.get('p', user) as { balance: number };
    entry.run('p', `e${n}`, user, balance, now);
    event.run('p', `v${n}`, user, now);
    commit.run();
    n++;
  }
  const rate = n / ((performance.now() - started) / 1000);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

export async function rawPostgres(url: string, inFlight: number, poolSize: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const s = ledgerStatements((n) => `$${n}`);
  const setup = await pool.connect();
  await setup.query('drop table if exists users, ledger_entries, events');
  for (const statement of s.create) await setup.query(statement.replace('seq integer primary key', 'seq bigint generated always as identity primary key'));
  await setup.query(`insert into users select 'p', 'u' || g, 0 from generate_series(0, 999) g`);
  setup.release();
  let n = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < RUN_MS) {
      const i = n++;
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
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = n / ((performance.now() - started) / 1000);
  await pool.query('drop table if exists users, ledger_entries, events');
  await pool.end();
  return rate;
}

// The storage ceiling of a burn: find the code's voucher with its reward, mark it burned, record the
// validation and the event, one transaction (one commit) each, every burn a fresh code.
function burnStatements(ph: (n: number) => string) {
  return {
    create: [
      'create table rewards (program_id text, id text, name text, venues text, incentives text, primary key (program_id, id))',
      'create table vouchers (program_id text, id text, user_id text, reward_id text, status text, code text, expires_at text, burned_at text, burn_validation_id text, primary key (program_id, id))',
      'create table voucher_codes (program_id text, code_normal text, voucher_id text, primary key (program_id, code_normal))',
      'create table validations (program_id text, id text, voucher_id text, code text, valid integer, burned integer, key_id text, response text, created_at text, primary key (program_id, id))',
      'create table events (seq integer primary key, program_id text, id text, type text, user_id text, data text, occurred_at text)',
    ],
    find: `select v.*, r.name, r.venues, r.incentives from voucher_codes c join vouchers v on v.program_id = c.program_id and v.id = c.voucher_id join rewards r on r.program_id = v.program_id and r.id = v.reward_id where c.program_id = ${ph(1)} and c.code_normal = ${ph(2)}`,
    burn: `update vouchers set status = 'BURNED', burned_at = ${ph(1)}, burn_validation_id = ${ph(2)} where program_id = ${ph(3)} and id = ${ph(4)} and status = 'ACTIVE'`,
    record: `insert into validations values (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, 1, 1, 'key', ${ph(5)}, ${ph(6)})`,
    event: `insert into events (program_id, id, type, user_id, data, occurred_at) values (${ph(1)}, ${ph(2)}, 'BURNED_VOUCHER', ${ph(3)}, ${ph(4)}, ${ph(5)})`,
  };
}

const BURN_CODES = 200_000;

export function rawSqliteBurn(synchronous: 'FULL' | 'NORMAL'): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-raw-'));
  const db = new SQLite(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  const s = burnStatements(() => '?');
  for (const statement of s.create) db.exec(statement);
  db.prepare(`insert into rewards values ('p', 'r', 'Coffee', null, '[{"type":"PERCENTAGE","value":100}]')`).run();
  const seed = db.transaction(() => {
    const voucher = db.prepare(`insert into vouchers values ('p', ?, 'u', 'r', 'ACTIVE', ?, null, null, null)`);
    const code = db.prepare(`insert into voucher_codes values ('p', ?, ?)`);
    for (let i = 0; i < BURN_CODES; i++) {
      voucher.run(`v${i}`, `C${i}`);
      code.run(`C${i}`, `v${i}`);
    }
  });
  seed();
  const [find, burn, record, event] = [s.find, s.burn, s.record, s.event].map((sql) => db.prepare(sql));
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < RUN_MS && n < BURN_CODES) {
    const now = new Date().toISOString();
    begin.run();
    const v = find!.get('p', `C${n}`) as { id: string; user_id: string };
    burn!.run(now, `val${n}`, 'p', v.id);
    record!.run('p', `val${n}`, v.id, `C${n}`, '{"valid":true}', now);
    event!.run('p', `e${n}`, v.user_id, '{}', now);
    commit.run();
    n++;
  }
  const rate = n / ((performance.now() - started) / 1000);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

export async function rawPostgresBurn(url: string, inFlight: number, poolSize: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const s = burnStatements((n) => `$${n}`);
  const tables = 'rewards, vouchers, voucher_codes, validations, events';
  await pool.query(`drop table if exists ${tables}`);
  for (const statement of s.create) await pool.query(statement.replace('seq integer primary key', 'seq bigint generated always as identity primary key'));
  await pool.query(`insert into rewards values ('p', 'r', 'Coffee', null, '[{"type":"PERCENTAGE","value":100}]')`);
  await pool.query(`insert into vouchers select 'p', 'v' || g, 'u', 'r', 'ACTIVE', 'C' || g, null, null, null from generate_series(0, 99999) g`);
  await pool.query(`insert into voucher_codes select 'p', 'C' || g, 'v' || g from generate_series(0, 99999) g`);
  let n = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < RUN_MS && n < 100_000) {
      const i = n++;
      const now = new Date().toISOString();
      const client = await pool.connect();
      try {
        await client.query('begin');
        const { rows } = await client.query(`${s.find} for update of v`, ['p', `C${i}`]);
        await client.query(s.burn, [now, `val${i}`, 'p', rows[0].id]);
        await client.query(s.record, ['p', `val${i}`, rows[0].id, `C${i}`, '{"valid":true}', now]);
        await client.query(s.event, ['p', `e${i}`, rows[0].user_id, '{}', now]);
        await client.query('commit');
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const rate = n / ((performance.now() - started) / 1000);
  await pool.query(`drop table if exists ${tables}`);
  await pool.end();
  return rate;
}
