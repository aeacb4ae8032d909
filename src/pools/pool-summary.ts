import { sql } from 'kysely';
import type { Db } from '../db/tables.js';

export interface PoolSummary {
  /** Every code ever added to the pool. */
  total: number;
  /** Not handed out yet. */
  available: number;
  /** Handed to a voucher (never returned: someone has seen it). */
  issued: number;
}

/**
 * The condition of the partial index `pool_codes_available`, written out literally: an index on a
 * condition serves only queries that state the same condition, not a bound parameter.
 */
export const isAvailablePoolCode = sql<boolean>`kind = 'POOL' and voucher_id is null`;

/** Codes of uploads still arriving are in the register but not in the pool yet. */
export const ofCompleteUpload = sql<boolean>`exists (select 1 from code_uploads u where u.program_id = voucher_codes.program_id and u.id = voucher_codes.upload_id and u.status = 'COMPLETE')`;

/** A pool's codes, counting only completed uploads: counts its reward keeps as codes arrive and leave. */
export async function poolSummary(db: Db, programId: string, rewardId: string): Promise<PoolSummary> {
  const counts = await db
    .selectFrom('rewards')
    .select(['pool_codes_total', 'pool_codes_issued'])
    .where('program_id', '=', programId)
    .where('id', '=', rewardId)
    .executeTakeFirstOrThrow();
  const total = Number(counts.pool_codes_total);
  const issued = Number(counts.pool_codes_issued);
  return { total, available: total - issued, issued };
}
