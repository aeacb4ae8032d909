import { prepared } from '../db/prepared.js';
import type { Db } from '../db/tables.js';
import { hashKey } from './key-secret.js';
import type { Caller, Role } from './roles.js';

/** A live key as presented: its caller, and what the request check needs to know of it. */
export interface PresentedKey {
  caller: Caller;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

// Every request runs it.
const liveKeyByHash = prepared((db: Db, keyHash: string) =>
  db
    .selectFrom('api_keys')
    .select(['program_id', 'id', 'role', 'venue', 'expires_at', 'last_used_at'])
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null),
);

/** The key a presented secret stands for, or null when it is unknown or revoked (expiry is the caller's to judge). */
export async function authenticate(db: Db, presentedKey: string): Promise<PresentedKey | null> {
  const [row] = (await liveKeyByHash(db, hashKey(presentedKey))).rows;
  if (!row) return null;
  return {
    caller: { programId: row.program_id, keyId: row.id, role: row.role as Role, venue: row.venue },
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}
