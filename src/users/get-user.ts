import type { Db } from '../db/tables.js';
import { notFound } from '../errors.js';
import { type UserView, toUserView } from './user-view.js';

export async function getUser(db: Db, programId: string, userId: string): Promise<UserView> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('program_id', '=', programId)
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!row) throw notFound('User');
  return toUserView(row);
}
