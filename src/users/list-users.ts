import type { Db } from '../db/tables.js';
import { type Page, pageOf } from '../pagination.js';
import { type UserView, toUserView } from './user-view.js';

/** Members, oldest first; `externalId` narrows it to the one member with that id. */
export async function listUsers(
  db: Db,
  programId: string,
  query: { limit: number; after: string | null; externalId?: string | undefined },
): Promise<Page<UserView>> {
  let select = db
    .selectFrom('users')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.after !== null) select = select.where('id', '>', query.after);
  if (query.externalId !== undefined) select = select.where('external_id', '=', query.externalId);
  const rows = await select.execute();
  const page = pageOf(rows, query.limit, (row) => row.id);
  return { data: page.data.map(toUserView), nextCursor: page.nextCursor };
}
