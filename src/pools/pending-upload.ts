import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { engineOf } from '../db/engine.js';
import type { Store } from '../db/store.js';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { loadReward } from '../rewards/get-reward.js';
import { assertPoolReward } from './pool-reward.js';
import { isAvailablePoolCode, poolSummary } from './pool-summary.js';
import type { UploadInProgress } from './schemas.js';
import { type InvalidTallies, type Tally, type UploadReport, count, emptyInvalidTallies, emptyTally } from './upload-report.js';

/**
 * An upload arrives in batches, each written in a short transaction of its own, so a large upload
 * never holds the database (other writes, SQLite's one writer, PostgreSQL's event horizon) for
 * more than a batch. Its codes enter the register at once, which keeps them unique, but stay out of
 * the pool until the upload completes: a PENDING upload's codes are never handed out, and a failed
 * or abandoned one is removed whole. So an upload adds all its codes, or none.
 */
export interface PendingUpload {
  programId: string;
  rewardId: string;
  uploadId: string;
  received: number;
  added: number;
  duplicated: Tally;
  alreadyPresent: Tally;
  invalid: InvalidTallies;
}

/** A code ready to be added: where it stood, as given (trimmed), and in normal form. */
export interface UploadEntry {
  line: number;
  code: string;
  normal: string;
}

/** How often a receiving upload says it is alive, whether or not a batch has arrived. */
export const HEARTBEAT_EVERY_MS = 10_000;
/** A PENDING upload silent this long is taken to be abandoned (the process receiving it died). */
export const ABANDONED_AFTER_MS = 60_000;

/**
 * Opens a PENDING upload, or answers the one of the program already arriving: uploads of a program
 * take turns (a unique index allows one PENDING upload a program), so a code held by an upload is
 * never contested by another still arriving, whose outcome is not known yet.
 */
export async function beginUpload(
  db: Db,
  clock: Clock,
  programId: string,
  rewardId: string,
  keyId: string | null,
): Promise<{ uploadId: string } | { busyWith: { id: string; reward_id: string; heartbeat_at: string } | undefined }> {
  assertPoolReward(await loadReward(db, programId, rewardId));
  const id = newId('upload');
  const now = isoNow(clock);
  const opened = await db
    .insertInto('code_uploads')
    .values({ program_id: programId, id, reward_id: rewardId, status: 'PENDING', received: 0, added: 0, key_id: keyId, created_at: now, heartbeat_at: now })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (opened.numInsertedOrUpdatedRows !== 0n) return { uploadId: id };
  const busyWith = await db
    .selectFrom('code_uploads')
    .select(['id', 'reward_id', 'heartbeat_at'])
    .where('program_id', '=', programId)
    .where('status', '=', 'PENDING')
    .executeTakeFirst();
  // Undefined when it ended between the two statements: the caller simply tries again.
  return { busyWith };
}

/** Whether an upload has sent nothing for so long that its sender must be gone. */
export const isAbandoned = (heartbeatAt: string, clock: Clock): boolean => clock.now().getTime() - new Date(heartbeatAt).getTime() > ABANDONED_AFTER_MS;

/**
 * Adds what it can of a batch to the register in one statement (a code whose normal form is taken is
 * skipped); answers the normal forms it added.
 */
async function insertBatch(db: Db, upload: PendingUpload, entries: UploadEntry[]): Promise<Set<string>> {
  const rows = JSON.stringify(entries.map((e) => ({ l: e.line, c: e.code, n: e.normal })));
  const { programId, rewardId, uploadId } = upload;
  const query =
    engineOf(db) === 'postgres'
      ? sql<{ code_normal: string }>`
          insert into voucher_codes (program_id, code_normal, kind, reward_id, code, upload_id, line)
          select ${programId}, x.n, 'POOL', ${rewardId}, x.c, ${uploadId}, x.l
          from json_to_recordset(${rows}::json) as x(l integer, c text, n text)
          on conflict do nothing
          returning code_normal`
      : // "where true" tells SQLite's parser that "on conflict" belongs to the insert, not a join.
        sql<{ code_normal: string }>`
          insert into voucher_codes (program_id, code_normal, kind, reward_id, code, upload_id, line)
          select ${programId}, value ->> 'n', 'POOL', ${rewardId}, value ->> 'c', ${uploadId}, value ->> 'l'
          from json_each(${rows}) where true
          on conflict do nothing
          returning code_normal`;
  const { rows: added } = await query.execute(db);
  return new Set(added.map((row) => row.code_normal));
}

/** For normal forms that are taken: the upload holding each (null: not a pool code). */
async function holdersOf(db: Db, programId: string, normals: string[]): Promise<Map<string, string | null>> {
  if (normals.length === 0) return new Map();
  const rows = await db
    .selectFrom('voucher_codes')
    .select(['code_normal', 'upload_id'])
    .where('program_id', '=', programId)
    .where('code_normal', 'in', normals)
    .execute();
  return new Map(rows.map((row) => [row.code_normal, row.upload_id]));
}

/**
 * Writes one batch in the caller's transaction and tallies it into `upload`: each line is added,
 * duplicated (an earlier line of this upload added its normal form) or already present (another
 * code of the program has it). Tallies change only once the batch is committed: see `receiveUpload`.
 * `waiting` is how many of the lines received so far are still to be written after this batch; the
 * upload's record shows, with the batch, how many lines are dealt with and how many codes added.
 */
export async function addBatch(db: Db, clock: Clock, upload: PendingUpload, batch: UploadEntry[], waiting = 0) {
  // The first line of each normal form in the batch speaks for the rest of them.
  const first = new Map<string, UploadEntry>();
  for (const entry of batch) if (!first.has(entry.normal)) first.set(entry.normal, entry);
  const inserted = await insertBatch(db, upload, [...first.values()]);
  const holders = await holdersOf(db, upload.programId, [...first.keys()].filter((normal) => !inserted.has(normal)));
  const progress = { received: upload.received - waiting, added: upload.added + inserted.size };
  // One write of the upload's row says it is alive and how far it has come; an upload given up
  // meanwhile is refused here, and the caller's transaction takes the batch back with it.
  await keepAlive(db, clock, upload, progress);
  return {
    progress,
    apply: () => {
      upload.added += inserted.size;
      for (const entry of batch) {
        const addedHere = inserted.has(entry.normal);
        if (addedHere && first.get(entry.normal) === entry) continue;
        const ours = addedHere || holders.get(entry.normal) === upload.uploadId;
        count(ours ? upload.duplicated : upload.alreadyPresent, entry.line);
      }
    },
  };
}

/**
 * The reward's upload still arriving, with how far it has come; not one abandoned, which the next
 * upload takes over from. A program receives one upload at a time, so this is a seek of the index
 * that keeps it so (its condition written out literally, for the index to serve).
 */
export async function uploadInProgress(db: Db, clock: Clock, programId: string, rewardId: string): Promise<UploadInProgress | undefined> {
  const pending = await db
    .selectFrom('code_uploads')
    .select(['id', 'reward_id', 'received', 'added', 'created_at', 'heartbeat_at'])
    .where('program_id', '=', programId)
    .where(sql<boolean>`status = 'PENDING'`)
    .executeTakeFirst();
  if (pending === undefined || pending.reward_id !== rewardId || isAbandoned(pending.heartbeat_at, clock)) return undefined;
  return { id: pending.id, status: 'PENDING', received: Number(pending.received), added: Number(pending.added), createdAt: pending.created_at };
}

/**
 * Says the upload is alive, with its progress when given; refused (CONFLICT) when it was given up
 * meanwhile, so nothing more is added to it.
 */
export async function keepAlive(
  db: Db,
  clock: Clock,
  upload: Pick<PendingUpload, 'programId' | 'uploadId'>,
  progress?: { received: number; added: number },
): Promise<void> {
  const alive = await db
    .updateTable('code_uploads')
    .set({ heartbeat_at: isoNow(clock), ...progress })
    .where('program_id', '=', upload.programId)
    .where('id', '=', upload.uploadId)
    .where('status', '=', 'PENDING')
    .executeTakeFirst();
  if (alive.numUpdatedRows === 0n) throw givenUp(upload.uploadId);
}

const givenUp = (uploadId: string) =>
  new AppError('CONFLICT', `Upload ${uploadId} was given up before it completed (nothing was heard of it for ${ABANDONED_AFTER_MS / 1000} s); send it again`);

/**
 * Puts a received upload's codes into the pool, in the caller's transaction: the upload becomes
 * COMPLETE and the reward's stock grows by what it added. Refused if the upload was given up meanwhile.
 */
export async function completeUpload(db: Db, clock: Clock, upload: PendingUpload): Promise<UploadReport> {
  const now = isoNow(clock);
  const completed = await db
    .updateTable('code_uploads')
    .set({ status: 'COMPLETE', received: upload.received, added: upload.added, heartbeat_at: now })
    .where('program_id', '=', upload.programId)
    .where('id', '=', upload.uploadId)
    .where('status', '=', 'PENDING')
    .executeTakeFirst();
  if (completed.numUpdatedRows === 0n) throw givenUp(upload.uploadId);
  if (upload.added > 0) {
    await db
      .updateTable('rewards')
      .set((eb) => ({ stock: eb('stock', '+', upload.added), pool_codes_total: eb('pool_codes_total', '+', upload.added), updated_at: now }))
      .where('program_id', '=', upload.programId)
      .where('id', '=', upload.rewardId)
      .execute();
  }
  return {
    uploadId: upload.uploadId,
    rewardId: upload.rewardId,
    received: upload.received,
    added: upload.added,
    duplicated: upload.duplicated,
    alreadyPresent: upload.alreadyPresent,
    invalid: upload.invalid,
    pool: await poolSummary(db, upload.programId, upload.rewardId),
    createdAt: now,
  };
}

const REMOVE_BATCH = 10_000;

/**
 * Removes a PENDING upload and its codes, a batch at a time. A COMPLETE upload is left alone; the
 * codes of one whose record is already gone (given up while a batch was being written) are removed.
 */
export async function abandonUpload(store: Store, upload: { programId: string; rewardId: string; uploadId: string }): Promise<void> {
  const { programId, rewardId, uploadId } = upload;
  const found = await store.db.selectFrom('code_uploads').select('status').where('program_id', '=', programId).where('id', '=', uploadId).executeTakeFirst();
  if (found?.status === 'COMPLETE') return;
  for (;;) {
    const removed = await store.write(async (trx) => {
      const batch = trx
        .selectFrom('voucher_codes')
        .select('code_normal')
        .where('program_id', '=', programId)
        .where('reward_id', '=', rewardId)
        .where('upload_id', '=', uploadId)
        .where(isAvailablePoolCode)
        .limit(REMOVE_BATCH);
      const result = await trx.deleteFrom('voucher_codes').where('program_id', '=', programId).where('code_normal', 'in', batch).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
    if (removed < REMOVE_BATCH) break;
  }
  await store.write((trx) =>
    trx.deleteFrom('code_uploads').where('program_id', '=', programId).where('id', '=', uploadId).where('status', '=', 'PENDING').execute(),
  );
}

/** Removes the uploads whose sender stopped sending long ago (a process killed mid-upload). */
export async function sweepAbandonedUploads(store: Store, clock: Clock): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - ABANDONED_AFTER_MS).toISOString();
  const stale = await store.db
    .selectFrom('code_uploads')
    .select(['program_id', 'reward_id', 'id'])
    .where('status', '=', 'PENDING')
    .where('heartbeat_at', '<', cutoff)
    .execute();
  for (const upload of stale) await abandonUpload(store, { programId: upload.program_id, rewardId: upload.reward_id, uploadId: upload.id });
  return stale.length;
}

export const newPendingUpload = (programId: string, rewardId: string, uploadId: string): PendingUpload => ({
  programId,
  rewardId,
  uploadId,
  received: 0,
  added: 0,
  duplicated: emptyTally(),
  alreadyPresent: emptyTally(),
  invalid: emptyInvalidTallies(),
});
