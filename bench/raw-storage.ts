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
