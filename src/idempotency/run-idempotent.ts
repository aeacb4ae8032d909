import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';

export interface Response {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** How long a key is remembered. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Runs `work` once per (program, API key, Idempotency-Key), inside the caller's transaction: a key is
 * the caller's own, so two tills that happen to send the same one never share an answer. The key is claimed by an
 * insert in that same transaction, so a second request with the key (even one arriving at the same
 * moment) waits for the first to commit and then receives its stored response. Only successes are
 * stored: a failed request leaves nothing behind, and retrying it runs it again.
 */
export async function runIdempotent(
  db: Db,
  clock: Clock,
  claim: { programId: string; apiKeyId: string; key: string; fingerprint: string },
  work: (db: Db) => Promise<{ status: number; body: unknown; stored: unknown }>,
): Promise<Response> {
  // Stored as the API key's id and the caller's key, in the one column the keys have always had.
  const key = `${claim.apiKeyId} ${claim.key}`;
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({
      program_id: claim.programId,
      key,
      fingerprint: claim.fingerprint,
      status_code: 0,
      response_body: '',
      created_at: isoNow(clock),
    })
    .onConflict((oc) => oc.columns(['program_id', 'key']).doNothing())
    .executeTakeFirst();

  if (claimed.numInsertedOrUpdatedRows === 0n) {
    const stored = await db
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'status_code', 'response_body'])
      .where('program_id', '=', claim.programId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (stored.fingerprint !== claim.fingerprint) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different request; use a new key for a new request',
      );
    }
    return { status: stored.status_code, body: JSON.parse(stored.response_body), replayed: true };
  }

  const response = await work(db);
  await db
    .updateTable('idempotency_keys')
    .set({ status_code: response.status, response_body: JSON.stringify(response.stored ?? null) })
    .where('program_id', '=', claim.programId)
    .where('key', '=', key)
    .execute();
  return { status: response.status, body: response.body, replayed: false };
}

/** Forgets keys older than the TTL; returns how many. */
export async function sweepIdempotencyKeys(db: Db, clock: Clock): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - IDEMPOTENCY_KEY_TTL_MS).toISOString();
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
