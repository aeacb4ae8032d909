import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Durability } from '../config.js';
import { GroupCommit } from './group-commit.js';
import type { Store } from './store.js';
import type { Db, Tables } from './tables.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

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

export interface SqliteOptions {
  file: string;
  durability: Durability;
}

/**
 * SQLite in WAL mode, safe for several processes on one file. Writes go through group commit:
 * `synchronous=FULL` syncs each commit, and one commit serves every request queued behind it.
 */
export function openSqliteStore({ file, durability }: SqliteOptions): Store {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${durability === 'strict' ? 'FULL' : 'NORMAL'}`);
  // Another process holding the write lock makes us wait, not fail.
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Checkpoints run in a worker thread instead of inside whichever commit crosses the threshold.
  database.pragma('wal_autocheckpoint = 0');
  const checkpointer = startWalCheckpointer(file);

  const db: Db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });

  const groupCommit = new GroupCommit<Db>({
    exclusive: (run) => db.connection().execute(run),
    // IMMEDIATE takes the write lock up front (waiting out other processes through busy_timeout),
    // so a transaction never fails half-way when it turns from reading to writing.
    begin: () => database.exec('BEGIN IMMEDIATE'),
    savepoint: () => database.exec('SAVEPOINT unit'),
    release: () => database.exec('RELEASE unit'),
    rollbackToSavepoint: () => database.exec('ROLLBACK TO unit'),
    commit: () => database.exec('COMMIT'),
    rollback: () => database.exec('ROLLBACK'),
  });

  return {
    engine: 'sqlite',
    db,
    write: (work) => groupCommit.run(work),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await groupCommit.flush();
      await checkpointer.stop();
      await db.destroy();
    },
  };
}
