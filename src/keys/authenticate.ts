import { prepared } from '../db/prepared.js';
import type { Db } from '../db/tables.js';
import { hashKey } from './key-secret.js';
import type { Caller, Role } from './roles.js';

// Every request runs it.
const liveKeyByHash = prepared((db: Db, keyHash: string) =>
  db.selectFrom('api_keys').select(['program_id', 'id', 'role', 'venue']).where('key_hash', '=', keyHash).where('revoked_at', 'is', null),
);

/** The caller a presented key stands for, or null when it is unknown or revoked. */
export async function authenticate(db: Db, presentedKey: string): Promise<Caller | null> {
  const [row] = (await liveKeyByHash(db, hashKey(presentedKey))).rows;
  return row ? { programId: row.program_id, keyId: row.id, role: row.role as Role, venue: row.venue } : null;
}
