import { type Kysely, sql } from 'kysely';
import { engineOf } from '../engine.js';

/**
 * The code register becomes the one list of every code of a program, whatever its kind: generated
 * codes (as before), pool codes uploaded by an administrator (with no voucher until one is issued)
 * and static codes. Its primary key keeps all three unique per program in normal form.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    await sql`alter table voucher_codes alter column voucher_id drop not null`.execute(db);
    for (const column of ['reward_id', 'code', 'upload_id']) {
      await db.schema.alterTable('voucher_codes').addColumn(column, 'text').execute();
    }
    await db.schema.alterTable('voucher_codes').addColumn('line', 'integer').execute();
    await db.schema.alterTable('voucher_codes').addColumn('kind', 'text', (c) => c.notNull().defaultTo('GENERATED')).execute();
  } else {
    // SQLite cannot drop a NOT NULL: the table is rebuilt.
    await createRegister(db, 'voucher_codes_next');
    await sql`insert into voucher_codes_next (program_id, code_normal, voucher_id) select program_id, code_normal, voucher_id from voucher_codes`.execute(db);
    await db.schema.dropTable('voucher_codes').execute();
    await sql`alter table voucher_codes_next rename to voucher_codes`.execute(db);
  }
  // The pool codes still to hand out, in the order they were uploaded: issuing takes the first.
  await db.schema
    .createIndex('pool_codes_available')
    .on('voucher_codes')
    .columns(['program_id', 'reward_id', 'upload_id', 'line'])
    .where(sql.ref('kind'), '=', 'POOL')
    .where(sql.ref('voucher_id'), 'is', null)
    .execute();

  // Static codes of rewards created before the register held them, in the normal form of the time
  // (written out: migrations are frozen; 0009 takes the separators out later).
  const normalForm = (code: string) => code.toUpperCase().replace(/\s+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const statics = await db.selectFrom('rewards').select(['program_id', 'id', 'static_code']).where('code_type', '=', 'STATIC').execute();
  for (const reward of statics) {
    await db
      .insertInto('voucher_codes')
      .values({ program_id: reward.program_id, code_normal: normalForm(reward.static_code), kind: 'STATIC', reward_id: reward.id, code: reward.static_code })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  await db.schema
    .createTable('code_uploads')
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    // PENDING while its batches arrive (its codes are held in the register, not handed out), then COMPLETE.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('received', 'bigint', (c) => c.notNull())
    .addColumn('added', 'bigint', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('code_uploads_pk', ['program_id', 'id'])
    .execute();
  await db.schema.createIndex('code_uploads_by_reward').on('code_uploads').columns(['program_id', 'reward_id', 'id']).execute();
  await db.schema.createIndex('code_uploads_pending').on('code_uploads').columns(['status', 'heartbeat_at']).execute();
  // One upload of a program arrives at a time: no code is ever held by two uploads still arriving.
  await db.schema
    .createIndex('code_uploads_one_pending')
    .on('code_uploads')
    .column('program_id')
    .unique()
    .where(sql.ref('status'), '=', sql.lit('PENDING'))
    .execute();
}

async function createRegister(db: Kysely<any>, name: string): Promise<void> {
  await db.schema
    .createTable(name)
    .addColumn('program_id', 'text', (c) => c.notNull())
    .addColumn('code_normal', 'text', (c) => c.notNull())
    // The voucher holding the code; null for a pool code not handed out yet, and for a static code.
    .addColumn('voucher_id', 'text')
    // POOL and STATIC: the reward the code belongs to, and the code as it was given to us.
    .addColumn('reward_id', 'text')
    .addColumn('code', 'text')
    // POOL: the upload it came in and its line there.
    .addColumn('upload_id', 'text')
    .addColumn('line', 'integer')
    // GENERATED, POOL or STATIC. (Columns in the order PostgreSQL's added ones take.)
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('GENERATED'))
    .addPrimaryKeyConstraint('voucher_codes_pk', ['program_id', 'code_normal'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('code_uploads').execute();
  await db.schema.dropIndex('pool_codes_available').execute();
  await db.deleteFrom('voucher_codes').where('voucher_id', 'is', null).execute();
}
