import fs from 'node:fs';
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import { normalizeCode } from '../codes/normalize-code.js';
import { engineOf } from '../db/engine.js';
import type { Db } from '../db/tables.js';
import { newId } from '../ids.js';
import { loadReward } from '../rewards/get-reward.js';
import { assertPoolReward } from './pool-reward.js';
import { poolSummary } from './pool-summary.js';
import type { StagedUpload } from './stage-upload.js';
import { readUpload } from './upload-formats.js';
import { type UploadReport, count, emptyTally } from './upload-report.js';

/** Codes written per statement: large enough to amortise a round trip, small enough to stay flat. */
const BATCH = 5000;

interface Entry {
  line: number;
  code: string;
  normal: string;
}

/** The staged codes, a batch at a time. */
async function* batchesOf(file: string): AsyncGenerator<Entry[]> {
  let batch: Entry[] = [];
  for await (const { raw } of readUpload(fs.createReadStream(file), 'text/plain')) {
    const text = raw as string;
    const tab = text.indexOf('\t');
    const code = text.slice(tab + 1);
    batch.push({ line: Number(text.slice(0, tab)), code, normal: normalizeCode(code) });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Adds what it can of a batch to the register in one statement (a code whose normal form is taken is
 * skipped); answers the normal forms it added.
 */
async function insertBatch(db: Db, ids: { programId: string; rewardId: string; uploadId: string }, entries: Entry[]): Promise<Set<string>> {
  const rows = JSON.stringify(entries.map((e) => ({ l: e.line, c: e.code, n: e.normal })));
  const { programId, rewardId, uploadId } = ids;
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

/** For codes that were not added: the upload each taken normal form belongs to (null: not a pool code). */
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
 * Adds a staged upload to a POOL reward's pool, all of it in the caller's one transaction: the codes,
 * the reward's stock, and the upload's record with its report. Each line ends as exactly one of
 * added, duplicated (an earlier line of this upload added the same normal form) or already present
 * (another code of the program has it). Reads the staged file again if the transaction is retried.
 */
export async function addPoolCodes(
  db: Db,
  clock: Clock,
  programId: string,
  rewardId: string,
  staged: StagedUpload,
  keyId: string | null,
): Promise<UploadReport> {
  const reward = await loadReward(db, programId, rewardId, true);
  assertPoolReward(reward);
  const uploadId = newId('upload');
  const ids = { programId, rewardId, uploadId };
  const duplicated = emptyTally();
  const alreadyPresent = emptyTally();
  let added = 0;

  for await (const batch of batchesOf(staged.file)) {
    // The first line of each normal form in the batch speaks for the rest of them.
    const first = new Map<string, Entry>();
    for (const entry of batch) if (!first.has(entry.normal)) first.set(entry.normal, entry);
    const inserted = await insertBatch(db, ids, [...first.values()]);
    added += inserted.size;
    const holders = await holdersOf(db, programId, [...first.keys()].filter((normal) => !inserted.has(normal)));
    for (const entry of batch) {
      const addedHere = inserted.has(entry.normal);
      if (addedHere && first.get(entry.normal) === entry) continue;
      // Added here by an earlier line, or earlier in this upload: a duplicate; otherwise someone else's.
      const ours = addedHere || holders.get(entry.normal) === uploadId;
      count(ours ? duplicated : alreadyPresent, entry.line);
    }
  }

  const now = isoNow(clock);
  if (added > 0) {
    await db
      .updateTable('rewards')
      .set((eb) => ({ stock: eb('stock', '+', added), updated_at: now }))
      .where('program_id', '=', programId)
      .where('id', '=', rewardId)
      .execute();
  }
  // Recorded before the summary is read, which counts the codes of every upload.
  await db
    .insertInto('code_uploads')
    .values({ program_id: programId, id: uploadId, reward_id: rewardId, received: staged.received, added, key_id: keyId, created_at: now })
    .execute();
  return {
    uploadId,
    rewardId,
    received: staged.received,
    added,
    duplicated,
    alreadyPresent,
    invalid: staged.invalid,
    pool: await poolSummary(db, programId, rewardId),
    createdAt: now,
  };
}
