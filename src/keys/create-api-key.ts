import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { newId } from '../ids.js';
import { instantOf } from '../instant.js';
import { type ApiKeyView, toApiKeyView } from './api-key-view.js';
import { hashKey, keyPrefix, newKeySecret } from './key-secret.js';
import type { Role } from './roles.js';

export interface NewApiKey {
  role: Role;
  name: string;
  venue?: string | undefined;
  /** When the key stops working; absent, never. */
  expiresAt?: string | undefined;
}

/** Creates a key and returns its secret, which is never stored and cannot be read again. */
export async function createApiKey(
  db: Db,
  clock: Clock,
  programId: string,
  input: NewApiKey,
  presetSecret?: string,
): Promise<ApiKeyView & { key: string }> {
  if (input.venue !== undefined && input.role !== 'pos') {
    throw invalidField('/body/venue', 'applies to pos keys only: an admin or app key is not bound to a venue');
  }
  const createdAt = isoNow(clock);
  const expiresAt = instantOf('expiresAt', input.expiresAt);
  if (expiresAt !== null && expiresAt <= createdAt) throw invalidField('/body/expiresAt', `must be in the future (it is ${createdAt} now)`);
  const key = presetSecret ?? newKeySecret();
  const row: Tables['api_keys'] = {
    program_id: programId,
    id: newId('apiKey'),
    role: input.role,
    name: input.name,
    venue: input.venue ?? null,
    key_hash: hashKey(key),
    key_prefix: keyPrefix(key),
    created_at: createdAt,
    revoked_at: null,
    expires_at: expiresAt,
    last_used_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { ...toApiKeyView(row), key };
}
