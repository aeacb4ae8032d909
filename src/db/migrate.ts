import { Migrator, sql } from 'kysely';
import { migrations } from './migrations/index.js';
import type { Store } from './store.js';

// Any constant shared by every instance: the key of the advisory lock that serialises migrations.
const MIGRATION_LOCK = 7_310_425_112;

/**
 * Brings the schema up to date. Safe when several instances start at once: on PostgreSQL they
 * queue on an advisory lock; on SQLite a stale snapshot is refused by the engine and retried.
 */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const provider = { getMigrations: async () => migrations };
  if (store.engine === 'postgres') {
    return store.db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
      try {
        return await run(new Migrator({ db: conn, provider }));
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
      }
    });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(new Migrator({ db: store.db, provider }));
    } catch (error) {
      if (attempt >= 10 || !String((error as { code?: string }).code).startsWith('SQLITE_BUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function run(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).map((r) => r.migrationName);
}
