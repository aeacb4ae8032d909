// Bulk loading of a generated program, the fastest way each engine offers, into a schema migrated
// only up to a given migration (so the migrations after it run over the loaded rows). While the
// rows go in, the tables' indexes (and on PostgreSQL their keys) are set aside; they are rebuilt
// afterwards from their own definitions.
import SQLite from 'better-sqlite3';
import { Migrator } from 'kysely';
import pg from 'pg';
import type { Storage } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import { openStore } from '../src/db/open-store.js';
import type { TableRows } from './scale-data.js';
import { copyLines } from './upload.js';

/** Told how many rows (or indexes) went in and how long it took. */
export type LoadReport = (what: string, count: number, ms: number) => void;

/** The schema as it stood after `migration`, recorded where migrateToLatest looks. */
export async function migrateUpTo(storage: Storage, migration: string): Promise<void> {
  const store = openStore({ storage, durability: 'relaxed', pgPoolSize: 1 });
  try {
    const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(migration);
    if (error) throw error;
  } finally {
    await store.close();
  }
}

function timed(report: LoadReport, what: string, work: () => number): void {
  const started = performance.now();
  report(what, work(), performance.now() - started);
}

/** SQLite: one prepared insert per row, a million rows a transaction, the journal in memory and no syncs. */
export function loadSqlite(file: string, tables: TableRows[], report: LoadReport): void {
  const db = new SQLite(file);
  try {
    // Nothing else has the file open; a crash would only cost this load. (journal_mode = OFF is
    // refused: better-sqlite3 opens databases in defensive mode.)
    const mode = db.pragma('journal_mode = MEMORY', { simple: true });
    if (mode !== 'memory') throw new Error(`SQLite kept journal mode ${String(mode)}`);
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576');
    db.pragma('foreign_keys = OFF');
    const names = tables.map((t) => t.table);
    const indexes = db
      .prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${names.map(() => '?').join(', ')})`)
      .all(...names) as { name: string; sql: string }[];
    for (const index of indexes) db.exec(`drop index "${index.name}"`);
    for (const { table, columns, rows } of tables) {
      timed(report, table, () => {
        const insert = db.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
        let count = 0;
        db.exec('begin');
        for (const row of rows()) {
          insert.run(...row); // spread: binding an array costs twice as much
          if (++count % 1_000_000 === 0) db.exec('commit; begin');
        }
        db.exec('commit');
        return count;
      });
    }
    timed(report, 'indexes rebuilt', () => {
      for (const index of indexes) db.exec(index.sql);
      return indexes.length;
    });
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyText = (value: unknown): string =>
  value === null ? '\\N' : typeof value === 'string' ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : String(value);

function* copyLinesOf(rows: Iterable<unknown[]>, counted: { count: number }): Generator<string> {
  for (const row of rows) {
    counted.count++;
    yield `${row.map(copyText).join('\t')}\n`;
  }
}

/** PostgreSQL: COPY per table; keys, foreign keys and indexes dropped first, restored after, then VACUUM ANALYZE. */
export async function loadPostgres(url: string, tables: TableRows[], report: LoadReport): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    await client.query(`set maintenance_work_mem = '1GB'`);
    const names = tables.map((t) => t.table);
    const { rows: keys } = await client.query<{ tbl: string; name: string; kind: string; def: string }>(
      `select conrelid::regclass::text as tbl, conname as name, contype as kind, pg_get_constraintdef(oid) as def from pg_constraint
       where contype in ('p', 'u', 'f') and (conrelid = any($1::regclass[]) or confrelid = any($1::regclass[]))`,
      [names],
    );
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index i
       where indrelid = any($1::regclass[])
         and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u'))`,
      [names],
    );
    // Foreign keys go first (they lean on the keys) and come back last.
    const foreign = keys.filter((k) => k.kind === 'f');
    const unique = keys.filter((k) => k.kind !== 'f');
    for (const k of [...foreign, ...unique]) await client.query(`alter table ${k.tbl} drop constraint "${k.name}"`);
    for (const index of indexes) await client.query(`drop index ${index.name}`);
    for (const { table, columns, rows } of tables) {
      const counted = { count: 0 };
      const started = performance.now();
      await copyLines(client, `${table} (${columns.join(', ')})`, copyLinesOf(rows(), counted));
      report(table, counted.count, performance.now() - started);
    }
    let started = performance.now();
    for (const k of unique) await client.query(`alter table ${k.tbl} add constraint "${k.name}" ${k.def}`);
    for (const index of indexes) await client.query(index.def);
    for (const k of foreign) await client.query(`alter table ${k.tbl} add constraint "${k.name}" ${k.def}`);
    report('keys and indexes rebuilt', keys.length + indexes.length, performance.now() - started);
    started = performance.now();
    await client.query(`vacuum analyze ${names.join(', ')}`);
    report('vacuum analyze', names.length, performance.now() - started);
  } finally {
    await client.end();
  }
}

/** Bytes each table takes with its indexes, and the whole database. */
export interface DatabaseSize {
  total: number;
  tables: Map<string, number>;
}

/** SQLite: pages per table and index from the dbstat virtual table. */
export function sqliteSize(file: string): DatabaseSize {
  const db = new SQLite(file, { readonly: true });
  try {
    const rows = db
      .prepare('select m.tbl_name as tbl, sum(s.pgsize) as bytes from dbstat s join sqlite_master m on m.name = s.name group by m.tbl_name')
      .all() as { tbl: string; bytes: number }[];
    const total = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    return { total, tables: new Map(rows.map((r) => [r.tbl, r.bytes])) };
  } finally {
    db.close();
  }
}

/** PostgreSQL: pg_total_relation_size (heap, indexes and TOAST) per table. */
export async function postgresSize(url: string): Promise<DatabaseSize> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tbl: string; bytes: string }>(
      `select relname as tbl, pg_total_relation_size(oid) as bytes from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace`,
    );
    const { rows: total } = await client.query<{ bytes: string }>('select pg_database_size(current_database()) as bytes');
    return { total: Number(total[0]!.bytes), tables: new Map(rows.map((r) => [r.tbl, Number(r.bytes)])) };
  } finally {
    await client.end();
  }
}
