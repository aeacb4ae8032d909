import { type Kysely, sql } from 'kysely';
import { engineOf } from '../engine.js';

/** Programs, API keys, users, the points ledger, the event log and idempotency records. */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = engineOf(db) === 'postgres';

  await db.schema
    .createTable('programs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('venue', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addPrimaryKeyConstraint('api_keys_pk', ['program_id', 'id'])
    .execute();
  // A key arrives before its program is known, so this is the one lookup not scoped by program.
  await db.schema.createIndex('api_keys_by_hash').on('api_keys').column('key_hash').unique().execute();

  await db.schema
    .createTable('users')
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`balance >= 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('users_pk', ['program_id', 'id'])
    .addUniqueConstraint('users_external_id_unique', ['program_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('delta', 'bigint', (c) => c.notNull())
    .addColumn('balance_after', 'bigint', (c) => c.notNull().check(sql`balance_after >= 0`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_entries_pk', ['program_id', 'id'])
    .addForeignKeyConstraint('ledger_entries_user_fk', ['program_id', 'user_id'], 'users', ['program_id', 'id'])
    .execute();
  await db.schema
    .createIndex('ledger_entries_by_user')
    .on('ledger_entries')
    .columns(['program_id', 'user_id', 'id'])
    .execute();

  // The log's order is (tx_order, seq). On PostgreSQL tx_order is the writing transaction's id, so a
  // reader can hold back rows of transactions that may still commit behind ones it has already shown.
  let events = db.schema.createTable('events');
  events = postgres
    ? events
        .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
        .addColumn('tx_order', 'bigint', (c) => c.notNull().defaultTo(sql`(pg_current_xact_id()::text::bigint)`))
    : events
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('tx_order', 'integer', (c) => c.notNull().defaultTo(0));
  events = events
    .addColumn('program_id', 'text', (c) => c.notNull().references('programs.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull());
  if (postgres) events = events.addPrimaryKeyConstraint('events_pk', ['program_id', 'seq'] as never[]);
  await events.execute();
  await db.schema.createIndex('events_by_id').on('events').columns(['program_id', 'id']).unique().execute();
  await db.schema.createIndex('events_in_order').on('events').columns(['program_id', 'tx_order', 'seq']).execute();
  await db.schema
    .createIndex('events_by_user')
    .on('events')
    .columns(['program_id', 'user_id', 'tx_order', 'seq'])
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['program_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_by_age').on('idempotency_keys').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['idempotency_keys', 'events', 'ledger_entries', 'users', 'api_keys', 'programs']) {
    await db.schema.dropTable(table).execute();
  }
}
