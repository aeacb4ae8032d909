import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import { type CreatedProgram, createProgram } from './create-program.js';

const BOOTSTRAP_LOCK = 7_310_425_113;

/**
 * On an empty database, creates the first program and its admin key; returns it so the caller can
 * show the key once. Returns null when a program exists. Instances starting together create one.
 */
export async function bootstrapFirstProgram(
  store: Store,
  clock: Clock,
  presetKey: string | undefined,
): Promise<CreatedProgram | null> {
  return store.write(async (trx) => {
    if (store.engine === 'postgres') await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
    const existing = await trx.selectFrom('programs').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    return createProgram(trx, clock, 'Default program', presetKey);
  });
}
