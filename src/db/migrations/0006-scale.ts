import { type Kysely, sql } from 'kysely';

/**
 * Size never shows: an index for every filter and order the API offers, running tallies for the
 * reports and the live-code counts, and a pool's counts kept on its reward. The tallies and counts
 * are built once here from the rows already present; from then on the writes keep them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('rewards_by_status').on('rewards').columns(['program_id', 'status', 'id']).execute();
  await db.schema.createIndex('events_by_type').on('events').columns(['program_id', 'type', 'tx_order', 'seq']).execute();

  // Vouchers are listed oldest first (by id) under any one filter.
  await db.schema.dropIndex('vouchers_by_reward').execute();
  await db.schema.createIndex('vouchers_by_reward').on('vouchers').columns(['program_id', 'reward_id', 'id']).execute();
  await db.schema.createIndex('vouchers_by_reward_status').on('vouchers').columns(['program_id', 'reward_id', 'status', 'id']).execute();
  await db.schema.createIndex('vouchers_by_status').on('vouchers').columns(['program_id', 'status', 'id']).execute();

  await db.schema
    .createIndex('webhook_deliveries_by_webhook')
    .on('webhook_deliveries')
    .columns(['program_id', 'webhook_id', 'id'])
    .execute();

  // One row per scope (the program '', a reward 'r:<id>', a venue 'v:<venue>'), quarter hour of UTC
  // (text 'YYYY-MM-DDTHH:MM', so every timezone's days are whole buckets) and slot; and the live
  // vouchers again by the day they expire on (scope 'L:<scope>', bucket 'YYYY-MM-DD'). PostgreSQL
  // spreads concurrent writers of one bucket over a few slots so they do not queue on one row lock.
  await db.schema
    .createTable('report_tallies')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    // Vouchers created (bought or given), burned (net of reversals, at the burn's time) and voided.
    .addColumn('issued', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('burned', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('voided', 'bigint', (c) => c.notNull().defaultTo(0))
    // ACTIVE vouchers by the quarter hour they expire in ('9999-12-31T23:45' for never): past
    // buckets are the expired ones, buckets from now on the live ones.
    .addColumn('expiring', 'bigint', (c) => c.notNull().defaultTo(0))
    // Points added and taken by adjustments, and spent on rewards net of refunds.
    .addColumn('points_credited', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points_debited', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('points_spent', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('report_tallies_pk', ['program_id', 'scope', 'bucket', 'slot'])
    .execute();

  // Every venue a burn was counted for, so reports can list them without reading the tallies.
  await db.schema
    .createTable('report_venues')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('venue', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('report_venues_pk', ['program_id', 'venue'])
    .execute();

  await db.schema.alterTable('rewards').addColumn('pool_codes_total', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('rewards').addColumn('pool_codes_issued', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  await backfillTallies(db);
  await sql`
    update rewards set
      pool_codes_total = (select coalesce(sum(u.added), 0) from code_uploads u
        where u.program_id = rewards.program_id and u.reward_id = rewards.id and u.status = 'COMPLETE'),
      pool_codes_issued = (select count(*) from voucher_codes c
        where c.program_id = rewards.program_id and c.reward_id = rewards.id and c.kind = 'POOL' and c.voucher_id is not null)
    where code_type = 'POOL'`.execute(db);
}

/** The quarter hour an ISO time falls in, as the tallies' bucket text (written out: migrations are frozen). */
const bucketOf = (column: string) => sql.raw(`
  substr(${column}, 1, 14) || case
    when substr(${column}, 15, 2) < '15' then '00'
    when substr(${column}, 15, 2) < '30' then '15'
    when substr(${column}, 15, 2) < '45' then '30'
    else '45' end`);

async function backfillTallies(db: Kysely<any>): Promise<void> {
  await sql`
    with facts (program_id, reward_id, venue, bucket, issued, burned, voided, expiring, credited, debited, spent) as (
      select program_id, reward_id, null, ${bucketOf('created_at')}, 1, 0, 0, 0, 0, 0, 0 from vouchers
      union all
      select v.program_id, v.reward_id, b.venue, ${bucketOf('v.burned_at')}, 0, 1, 0, 0, 0, 0, 0
        from vouchers v left join validations b on b.program_id = v.program_id and b.id = v.burn_validation_id
        where v.status = 'BURNED'
      union all
      select program_id, reward_id, null, ${bucketOf('voided_at')}, 0, 0, 1, 0, 0, 0, 0 from vouchers where status = 'VOIDED'
      union all
      select program_id, reward_id, null, coalesce(${bucketOf('expires_at')}, '9999-12-31T23:45'), 0, 0, 0, 1, 0, 0, 0
        from vouchers where status = 'ACTIVE'
      union all
      select program_id, reward_id, null, ${bucketOf('created_at')}, 0, 0, 0, 0, 0, 0, price_points from purchases
      union all
      select program_id, reward_id, null, ${bucketOf('refunded_at')}, 0, 0, 0, 0, 0, 0, -price_points from purchases where status = 'REFUNDED'
      union all
      select program_id, null, null, ${bucketOf('created_at')}, 0, 0, 0, 0,
          case when delta > 0 then delta else 0 end, case when delta < 0 then -delta else 0 end, 0
        from ledger_entries where kind = 'ADJUSTMENT'
    ),
    scoped as (
      select program_id, '' as scope, bucket, issued, burned, voided, expiring, credited, debited, spent from facts
      union all
      select program_id, 'r:' || reward_id, bucket, issued, burned, voided, expiring, credited, debited, spent from facts where reward_id is not null
      union all
      select program_id, 'v:' || venue, bucket, issued, burned, voided, expiring, credited, debited, spent from facts where venue is not null
      union all
      select program_id, 'L:', substr(bucket, 1, 10), 0, 0, 0, expiring, 0, 0, 0 from facts where expiring <> 0
      union all
      select program_id, 'L:r:' || reward_id, substr(bucket, 1, 10), 0, 0, 0, expiring, 0, 0, 0 from facts where expiring <> 0
    )
    insert into report_tallies (program_id, scope, bucket, slot, issued, burned, voided, expiring, points_credited, points_debited, points_spent)
    select program_id, scope, bucket, 0, sum(issued), sum(burned), sum(voided), sum(expiring), sum(credited), sum(debited), sum(spent)
    from scoped group by program_id, scope, bucket`.execute(db);
  await sql`
    insert into report_venues (program_id, venue)
    select distinct program_id, venue from validations where burned = 1 and venue is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rewards').dropColumn('pool_codes_issued').execute();
  await db.schema.alterTable('rewards').dropColumn('pool_codes_total').execute();
  await db.schema.dropTable('report_venues').execute();
  await db.schema.dropTable('report_tallies').execute();
  await db.schema.dropIndex('webhook_deliveries_by_webhook').execute();
  await db.schema.dropIndex('vouchers_by_status').execute();
  await db.schema.dropIndex('vouchers_by_reward_status').execute();
  await db.schema.dropIndex('vouchers_by_reward').execute();
  await db.schema.createIndex('vouchers_by_reward').on('vouchers').columns(['program_id', 'reward_id', 'status']).execute();
  await db.schema.dropIndex('events_by_type').execute();
  await db.schema.dropIndex('rewards_by_status').execute();
}
