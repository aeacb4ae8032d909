import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { newId } from '../ids.js';
import { createApiKey } from '../keys/create-api-key.js';

export interface CreatedProgram {
  programId: string;
  name: string;
  adminKeyId: string;
  /** The first admin key's secret: shown once, never stored. */
  adminKey: string;
}

/** A new tenant with its first admin key (`presetKey` lets automation choose that key). */
export async function createProgram(db: Db, clock: Clock, name: string, presetKey?: string): Promise<CreatedProgram> {
  const programId = newId('program');
  await db.insertInto('programs').values({ id: programId, name, created_at: isoNow(clock) }).execute();
  const key = await createApiKey(db, clock, programId, { role: 'admin', name: 'First admin key' }, presetKey);
  return { programId, name, adminKeyId: key.id, adminKey: key.key };
}
