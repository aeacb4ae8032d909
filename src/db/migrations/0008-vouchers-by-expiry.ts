import { type Kysely, sql } from 'kysely';

/**
 * ACTIVE vouchers by expiry, for the program, each reward and each member: listing the ACTIVE or the
 * EXPIRED ones (both stored as ACTIVE, told apart by the clock) is one seek at any size. Partial, so
 * they hold only ACTIVE vouchers.
 */
const INDEXES = [
  ['vouchers_active_by_expiry', ['program_id', 'expires_at', 'id']],
  ['vouchers_active_by_reward_expiry', ['program_id', 'reward_id', 'expires_at', 'id']],
  ['vouchers_active_by_user_expiry', ['program_id', 'user_id', 'expires_at', 'id']],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, columns] of INDEXES) {
    await db.schema.createIndex(name).on('vouchers').columns([...columns]).where(sql<boolean>`status = 'ACTIVE'`).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name] of INDEXES) await db.schema.dropIndex(name).execute();
}
