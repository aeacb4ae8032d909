import type { Db } from '../db/tables.js';
import { type ValidationView, toValidationView } from './validation.js';

/** How many of a voucher's validations its page shows: the most recent ones. */
export const VALIDATIONS_SHOWN = 100;

/** A voucher's most recent validations, oldest first. */
export async function listValidationsOf(db: Db, programId: string, voucherId: string): Promise<ValidationView[]> {
  const rows = await db
    .selectFrom('validations')
    .selectAll()
    .where('program_id', '=', programId)
    .where('voucher_id', '=', voucherId)
    .orderBy('id', 'desc')
    .limit(VALIDATIONS_SHOWN)
    .execute();
  return rows.reverse().map(toValidationView);
}
