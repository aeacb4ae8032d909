import { sql } from 'kysely';
import { engineOf } from './engine.js';
import type { Db } from './tables.js';

/**
 * Serialises the rare writes that must see a whole program at once (for example "is this the last
 * admin key?"). SQLite write transactions are already exclusive; PostgreSQL locks the program row
 * (NO KEY: rows that merely reference the program can still be written meanwhile).
 */
export async function lockProgram(db: Db, programId: string): Promise<void> {
  if (engineOf(db) === 'postgres') {
    await sql`select id from programs where id = ${programId} for no key update`.execute(db);
  }
}
