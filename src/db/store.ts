import type { Db } from './tables.js';
import type { Engine } from './engine.js';

/**
 * The storage both engines offer. `db` serves reads; `write` runs a unit of work atomically and
 * resolves only once its commit is durable. On SQLite, units arriving together share one commit.
 */
export interface Store {
  readonly engine: Engine;
  readonly db: Db;
  write<T>(work: (trx: Db) => Promise<T>): Promise<T>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
