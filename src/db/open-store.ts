import type { Config } from '../config.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export function openStore(config: Pick<Config, 'storage' | 'durability' | 'pgPoolSize'>): Store {
  const { storage } = config;
  return storage.engine === 'postgres'
    ? openPostgresStore({ url: storage.url, durability: config.durability, poolSize: config.pgPoolSize })
    : openSqliteStore({ file: storage.file, durability: config.durability });
}
