import { type Kysely, Migrator, sql } from 'kysely';
import { migrations } from './migrations/index.js';
import type { Store } from './store.js';

// Any constant shared by every instance: the key of the advisory lock that serialises migrations.
const MIGRATION_LOCK = 7_310_425_112;
// PostgreSQL's advisory lock waits as long as it takes; on SQLite, instances starting together on a
// loaded machine may hold the write lock for a while (migrating, creating the first program).
const SQLITE_LOCK_WAIT_MS = 60_000;

/**
 * Brings the schema up to date. Safe when several instances start at once: each takes a lock held
 * for the whole run (PostgreSQL: an advisory lock; SQLite: the write lock, through BEGIN IMMEDIATE,
 * which also makes the run one transaction), so the others wait and then find nothing left to do.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      return await migrateUnderLock(store);
    } catch (error) {
      // Another SQLite connection held the write lock past the busy timeout: wait, then try again.
      if (Date.now() > deadline || !String((error as { code?: string }).code).startsWith('SQLITE_BUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function migrateUnderLock(store: Store): Promise<string[]> {
  const provider = { getMigrations: async () => migrations };
  const postgres = store.engine === 'postgres';
  return store.db.connection().execute(async (conn: Kysely<any>) => {
    await (postgres ? sql`select pg_advisory_lock(${MIGRATION_LOCK})` : sql`begin immediate`).execute(conn);
    let done = false;
    try {
      const applied = await run(new Migrator({ db: conn, provider }));
      done = true;
      return applied;
    } finally {
      if (postgres) await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
      else await (done ? sql`commit` : sql`rollback`).execute(conn);
    }
  });
}

async function run(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).map((r) => r.migrationName);
}
