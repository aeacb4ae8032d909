import type { Db } from '../db/tables.js';
import { type Page, pageOf } from '../pagination.js';
import { type ApiKeyView, toApiKeyView } from './api-key-view.js';

/** The program's live keys, oldest first. */
export async function listApiKeys(
  db: Db,
  programId: string,
  page: { limit: number; after: string | null },
): Promise<Page<ApiKeyView>> {
  let query = db
    .selectFrom('api_keys')
    .selectAll()
    .where('program_id', '=', programId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.after !== null) query = query.where('id', '>', page.after);
  const rows = await query.execute();
  return pageOf(rows.map(toApiKeyView), page.limit, (key) => key.id);
}
