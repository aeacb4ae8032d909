import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Logger, SqliteDialect, sql } from 'kysely';
import type { Durability } from '../config.js';
import { GroupCommit } from './group-commit.js';
import type { Store } from './store.js';
import type { Db, Tables } from './tables.js';
import { startWalCheckpointer } from './wal-checkpointer.js';
import { WalSync } from './wal-sync.js';

/**
 * Kysely prepares every statement anew; preparing costs more than running a simple indexed query,
 * so prepared statements are kept by their SQL text (queries are parameterised, so the set is small).
 */
function withStatementCache(database: SQLite.Database, limit = 2000) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare: (text: string) => {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = database.prepare(text);
        if (statements.size < limit) statements.set(text, statement);
      }
      return statement;
    },
  };
}

const WRITE_LOCK_WAIT_MS = 5000;

/**
 * Takes the write lock up front, so a transaction never fails half-way when it turns from reading
 * to writing. While another process holds the lock, retries with growing pauses for up to 5 s.
 */
async function beginImmediate(database: SQLite.Database): Promise<void> {
  const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      database.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

export interface SqliteOptions {
  file: string;
  durability: Durability;
  /** Told of every statement; absent, Kysely adds no logging to the connection. */
  log?: Logger | undefined;
}

/**
 * SQLite in WAL mode, safe for several processes on one file. Writes go through group commit: one
 * commit serves every request queued behind it, and in strict mode one sync of the log, made off
 * the event loop, makes the batch durable before any of them is answered.
 */
export function openSqliteStore({ file, durability, log }: SqliteOptions): Store {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  // Another process may be opening the same file at this moment (turning it to WAL, recovering its
  // log): setting up waits for it rather than failing with "database is locked".
  database.pragma(`busy_timeout = ${WRITE_LOCK_WAIT_MS}`);
  const mode = database.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`SQLite refused write-ahead logging for ${file} (journal mode "${String(mode)}")`);
  // Commits reach the operating system (surviving kill -9); in strict mode WalSync then puts the
  // log on disk off the event loop before anyone is answered (surviving power loss too).
  database.pragma('synchronous = NORMAL');
  const walSync = durability === 'strict' ? new WalSync(`${file}-wal`) : null;
  // A short wait inside SQLite (which blocks the thread); longer waits for another process's write
  // lock happen in beginImmediate below, without blocking the event loop.
  database.pragma('busy_timeout = 20');
  database.pragma('foreign_keys = ON');
  // A larger page cache keeps the hot indexes (codes, vouchers, keys) in memory instead of reading
  // them back from the operating system on every request.
  database.pragma('cache_size = -65536');
  // Checkpoints run in a worker thread instead of inside whichever commit crosses the threshold.
  database.pragma('wal_autocheckpoint = 0');
  const checkpointer = startWalCheckpointer(file);

  const db: Db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), ...(log && { log }) });

  const groupCommit = new GroupCommit<Db>({
    exclusive: (run) => db.connection().execute(run),
    begin: () => beginImmediate(database),
    savepoint: () => database.exec('SAVEPOINT unit'),
    release: () => database.exec('RELEASE unit'),
    rollbackToSavepoint: () => database.exec('ROLLBACK TO unit'),
    commit: () => database.exec('COMMIT'),
    rollback: () => database.exec('ROLLBACK'),
    ...(walSync ? { durable: () => walSync.sync() } : {}),
  });

  return {
    engine: 'sqlite',
    db,
    write: (work) => groupCommit.run(work),
    ping: async () => {
      walSync?.assertHealthy();
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await groupCommit.flush();
      walSync?.close();
      await checkpointer.stop();
      await db.destroy();
    },
  };
}
