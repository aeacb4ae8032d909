import type { Logger } from 'kysely';
import type { Config } from '../config.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** Sees every statement the store runs, after it succeeds, with the values bound to it. */
export type QueryObserver = (sql: string, parameters: readonly unknown[]) => void;

export interface StoreOptions {
  /** For tests that check what the API asks of the database (query plans, say). */
  onQuery?: QueryObserver | undefined;
}

export function openStore(config: Pick<Config, 'storage' | 'durability' | 'pgPoolSize'>, { onQuery }: StoreOptions = {}): Store {
  const { storage } = config;
  const log = onQuery && loggerFor(onQuery);
  return storage.engine === 'postgres'
    ? openPostgresStore({ url: storage.url, durability: config.durability, poolSize: config.pgPoolSize, log })
    : openSqliteStore({ file: storage.file, durability: config.durability, log });
}

// Given any logger, Kysely times and reports every statement on every connection: without an
// observer, none is made.
const loggerFor =
  (onQuery: QueryObserver): Logger =>
  (event) => {
    if (event.level === 'query') onQuery(event.query.sql, event.query.parameters);
  };
