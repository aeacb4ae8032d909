import type { Tables } from '../db/tables.js';
import type { Role } from './roles.js';

export interface ApiKeyView {
  id: string;
  role: Role;
  name: string;
  venue: string | null;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export const toApiKeyView = (row: Tables['api_keys']): ApiKeyView => ({
  id: row.id,
  role: row.role as Role,
  name: row.name,
  venue: row.venue,
  prefix: row.key_prefix,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
});
