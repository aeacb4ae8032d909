import type { Kysely } from 'kysely';

/** The catalogue, purchases, vouchers, and the program-wide register of codes. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rewards')
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('price_points', 'bigint', (c) => c.notNull())
    .addColumn('code_type', 'text', (c) => c.notNull())
    .addColumn('code_format', 'text', (c) => c.notNull())
    .addColumn('code_length', 'integer', (c) => c.notNull())
    .addColumn('static_code', 'text')
    .addColumn('redemption_flow', 'text', (c) => c.notNull())
    .addColumn('validity_days', 'integer')
    .addColumn('valid_until', 'text')
    .addColumn('available_from', 'text')
    .addColumn('available_until', 'text')
    .addColumn('purchasable', 'integer', (c) => c.notNull())
    // Remaining stock; null is unlimited.
    .addColumn('stock', 'bigint')
    .addColumn('per_user_limit', 'integer')
    .addColumn('venues', 'text')
    .addColumn('low_stock_threshold', 'integer')
    .addColumn('incentives', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rewards_pk', ['program_id', 'id'])
    .execute();

  // How many vouchers of a reward each member holds (refunds give one back), counted whether or not
  // a limit is set, so a limit set later applies to what members already hold.
  await db.schema
    .createTable('reward_holdings')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('reward_holdings_pk', ['program_id', 'reward_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('purchases')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('voucher_id', 'text', (c) => c.notNull())
    .addColumn('price_points', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('refunded_at', 'text')
    .addPrimaryKeyConstraint('purchases_pk', ['program_id', 'id'])
    .execute();

  await db.schema
    .createTable('vouchers')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('purchase_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('activated_at', 'text')
    .addColumn('expires_at', 'text')
    // The end of its validityDays alone, kept so a change of the reward's validUntil can be applied.
    .addColumn('validity_ends_at', 'text')
    .addColumn('burned_at', 'text')
    .addColumn('voided_at', 'text')
    .addColumn('gift_comment', 'text')
    // Whether issuing it took a unit of the reward's stock, so a refund returns exactly that.
    .addColumn('took_stock', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('vouchers_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('vouchers_by_user').on('vouchers').columns(['program_id', 'user_id', 'id']).execute();
  await db.schema.createIndex('vouchers_by_reward').on('vouchers').columns(['program_id', 'reward_id', 'status']).execute();

  // Every distinct code of the program, in normal form: the database refuses a duplicate.
  await db.schema
    .createTable('voucher_codes')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('code_normal', 'text', (c) => c.notNull())
    .addColumn('voucher_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('voucher_codes_pk', ['program_id', 'code_normal'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['voucher_codes', 'vouchers', 'purchases', 'reward_holdings', 'rewards']) {
    await db.schema.dropTable(table).execute();
  }
}
