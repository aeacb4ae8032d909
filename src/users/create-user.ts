import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError, fieldError } from '../errors.js';
import { newId } from '../ids.js';
import { type UserView, toUserView } from './user-view.js';

export interface NewUser {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
}

/** Registers a member; their `externalId` is unique in the program. */
export async function createUser(db: Db, clock: Clock, programId: string, input: NewUser): Promise<UserView> {
  const row = await db
    .insertInto('users')
    .values({
      program_id: programId,
      id: newId('user'),
      external_id: input.externalId,
      email: input.email ?? null,
      name: input.name ?? null,
      balance: 0,
      created_at: isoNow(clock),
    })
    .onConflict((oc) => oc.columns(['program_id', 'external_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const existing = await db
      .selectFrom('users')
      .select('id')
      .where('program_id', '=', programId)
      .where('external_id', '=', input.externalId)
      .executeTakeFirst();
    const who = existing ? ` (${existing.id})` : '';
    throw new AppError('CONFLICT', `A member with externalId "${input.externalId}" already exists${who}`, [
      fieldError('/body/externalId', `is already taken by ${existing?.id ?? 'another member'}`),
    ]);
  }
  return toUserView(row);
}
