import fs from 'node:fs';
import { sql } from 'kysely';
import { type Storage, loadConfig } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openStore } from '../db/open-store.js';
import type { Store } from '../db/store.js';
import { describeCause } from './describe-cause.js';

/**
 * Whether a command may create the database it opens. Only those that set one up may (`migrate`,
 * `programs create`); any other, run from the wrong folder, would make an empty database there and
 * then report on it as if it were the real one.
 */
export type Opening = 'may create' | 'must exist';

/** Opens the configured database, brings its schema up to date, runs `task` (told the migrations applied), and closes it. */
export async function withStore<T>(opening: Opening, task: (store: Store, applied: string[]) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (opening === 'must exist' && config.storage.engine === 'sqlite') mustExist(config.storage.file);
  const store = openStore(config);
  try {
    await reach(store, config.storage);
    const applied = await migrateToLatest(store);
    return await task(store, applied);
  } finally {
    await store.close();
  }
}

/** The configured SQLite file; PostgreSQL has its own tools. */
export function sqliteFile(opening: Opening): string {
  const { storage } = loadConfig();
  if (storage.engine !== 'sqlite') throw new Error('For PostgreSQL use its own tools (pg_dump and pg_restore, or base backups): see the README');
  if (opening === 'must exist') mustExist(storage.file);
  return storage.file;
}

function mustExist(file: string): void {
  if (fs.existsSync(file)) return;
  const setting = process.env.DATABASE_URL ? `DATABASE_URL=${process.env.DATABASE_URL}` : 'DATABASE_URL is not set: data/tessera.db in this folder';
  throw new Error(
    `No database at ${file} (${setting}). Run from the server's folder, set DATABASE_URL, or create it with \`tessera migrate\`.`,
  );
}

/** Connects once, so that a database that cannot be opened is named with the reason. */
async function reach(store: Store, storage: Storage): Promise<void> {
  if (storage.engine !== 'postgres') return;
  try {
    await sql`select 1`.execute(store.db);
  } catch (error) {
    throw new Error(`Cannot open the database ${withoutPassword(storage.url)} (DATABASE_URL): ${describeCause(error)}`);
  }
}

const withoutPassword = (url: string): string => {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
};

/** The program a command acts on: the one named, or the only one there is. */
export async function programOf(store: Store, named: string | undefined): Promise<string> {
  const programs = await store.db.selectFrom('programs').select('id').execute();
  if (programs.length === 0) throw new Error('There are no programs in this database: create one with `tessera programs create NAME`');
  const programId = named ?? (programs.length === 1 ? programs[0]!.id : undefined);
  if (programId === undefined) throw new Error('There are several programs: choose one with --program');
  if (!programs.some((p) => p.id === programId)) throw new Error(`No program ${programId}`);
  return programId;
}
