import type { Kysely } from 'kysely';
import { engineOf } from '../engine.js';

/** Every check of a code at a till, and which one burned each voucher. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('validations')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    // Null when no voucher holds the code (a NOT_FOUND answer).
    .addColumn('voucher_id', 'text')
    // The code as the till sent it.
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('valid', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('burned', 'integer', (c) => c.notNull())
    .addColumn('venue', 'text')
    .addColumn('reference', 'text')
    .addColumn('key_id', 'text', (c) => c.notNull())
    // JSON: what the incentives took off the basket, when one was sent.
    .addColumn('discount', 'text')
    // JSON: the answer given for a burn with a reference, replayed to a retry with that reference.
    .addColumn('response', 'text')
    .addColumn('reversed_at', 'text')
    .addColumn('reversal_reason', 'text')
    .addColumn('reversed_by_key_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('validations_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('validations_by_voucher').on('validations').columns(['program_id', 'voucher_id', 'id']).execute();

  await db.schema.alterTable('vouchers').addColumn('burn_validation_id', 'text').execute();

  // PostgreSQL keeps the guessing counters every instance shares (in the layout the rate limiter
  // expects). SQLite keeps them in a file of their own: see validations/guess-limiter.ts.
  if (engineOf(db) === 'postgres') {
    await db.schema
      .createTable('guess_counters')
      .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expire', 'bigint')
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('guess_counters').ifExists().execute();
  await db.schema.alterTable('vouchers').dropColumn('burn_validation_id').execute();
  await db.schema.dropTable('validations').execute();
}
