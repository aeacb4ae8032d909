import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * The report tallies gain two coarser tiers beside the quarter hours: each scope's hours (scope
 * 'H:…', bucket 'YYYY-MM-DDTHH:00') and UTC days ('D:…', bucket 'YYYY-MM-DDT00:00'), built here
 * from the quarter hours, with every slot folded into one. The live-voucher rows by day ('L:…')
 * give way to the day tier, which holds the same counts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const [prefix, bucket] of [
    ['H:', "substr(bucket, 1, 14) || '00'"],
    ['D:', "substr(bucket, 1, 11) || '00:00'"],
  ] as const) {
    await sql`
      insert into report_tallies (program_id, scope, bucket, slot, issued, burned, voided, expiring, points_credited, points_debited, points_spent)
      select program_id, ${prefix} || scope, ${sql.raw(bucket)}, 0,
        sum(issued), sum(burned), sum(voided), sum(expiring), sum(points_credited), sum(points_debited), sum(points_spent)
      from report_tallies
      where scope = '' or scope like 'r:%' or scope like 'v:%'
      group by program_id, scope, ${sql.raw(bucket)}`.execute(db);
  }
  await sql`delete from report_tallies where scope like 'L:%'`.execute(db);
  // PostgreSQL plans from statistics, and a table filled by a migration has none until autovacuum
  // comes by: without them it may scan the tallies a report should seek.
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`analyze report_tallies`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    insert into report_tallies (program_id, scope, bucket, slot, issued, burned, voided, expiring, points_credited, points_debited, points_spent)
    select program_id, 'L:' || scope, substr(bucket, 1, 10), 0, 0, 0, 0, sum(expiring), 0, 0, 0
    from report_tallies
    where scope = '' or scope like 'r:%'
    group by program_id, scope, substr(bucket, 1, 10)
    having sum(expiring) <> 0`.execute(db);
  await sql`delete from report_tallies where scope like 'H:%' or scope like 'D:%'`.execute(db);
}
