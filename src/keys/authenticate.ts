import type { Db } from '../db/tables.js';
import { hashKey } from './key-secret.js';
import type { Caller, Role } from './roles.js';

/** The caller a presented key stands for, or null when it is unknown or revoked. */
export async function authenticate(db: Db, presentedKey: string): Promise<Caller | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['program_id', 'id', 'role', 'venue'])
    .where('key_hash', '=', hashKey(presentedKey))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { programId: row.program_id, keyId: row.id, role: row.role as Role, venue: row.venue } : null;
}
