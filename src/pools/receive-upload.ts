import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import { normalizeCode } from '../codes/normalize-code.js';
import type { Store } from '../db/store.js';
import { AppError, invalidField } from '../errors.js';
import { MAX_CODE_CHARS } from '../rewards/reward-rules.js';
import type { Db } from '../db/tables.js';
import {
  HEARTBEAT_EVERY_MS,
  type PendingUpload,
  type UploadEntry,
  abandonUpload,
  addBatch,
  beginUpload,
  completeUpload,
  isAbandoned,
  keepAlive,
  newPendingUpload,
} from './pending-upload.js';
import type { UploadSettings } from './upload-settings.js';
import { type UploadFormat, readUpload } from './upload-formats.js';
import { type InvalidReason, type UploadReport, count } from './upload-report.js';

/**
 * Codes written per transaction: enough to amortise a commit, few enough to keep others waiting
 * briefly. On SQLite a batch also holds the one connection, so every other program's reads wait for
 * it: 1,000 codes hold it about 40 ms where 10,000 held it 350 ms (another program's till p99 beside
 * a million-code upload: 42 ms instead of 359 ms), for a third less upload speed. PostgreSQL holds
 * nobody but the upload.
 */
const BATCH = { sqlite: 1_000, postgres: 10_000 } as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Why a code cannot go into a pool, or null when it can. */
export function codeProblem(raw: unknown): InvalidReason | null {
  if (typeof raw !== 'string') return 'notText';
  const code = raw.trim();
  // Nothing but separators is empty too: codes are compared without them.
  if (normalizeCode(code) === '') return 'empty';
  if (code.length > MAX_CODE_CHARS) return 'tooLong';
  if (!PRINTABLE_ASCII.test(code)) return 'notPrintable';
  return null;
}

const byNormalForm = (a: UploadEntry, b: UploadEntry): number => (a.normal < b.normal ? -1 : a.normal > b.normal ? 1 : 0);

/**
 * Counts and hashes the body as it passes, and stops it once it grows beyond `limitBytes` or sends
 * nothing for `idleMs` (a stalled sender would otherwise hold its program's turn to upload forever).
 */
function meter(body: Readable, limitBytes: number, idleMs: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  const idle = setTimeout(() => {
    stream.destroy(new AppError('REQUEST_TIMEOUT', `The upload sent nothing for ${idleMs / 1000} s and was given up (TESSERA_UPLOAD_IDLE_SECONDS)`));
  }, idleMs);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      idle.refresh();
      bytes += chunk.length;
      if (bytes > limitBytes) {
        done(new AppError('PAYLOAD_TOO_LARGE', `An upload may be at most ${limitBytes} bytes (TESSERA_UPLOAD_LIMIT_BYTES)`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  stream.once('close', () => clearTimeout(idle));
  body.on('error', (error) => stream.destroy(error));
  body.pipe(stream);
  return { stream, digest: () => hash.digest('hex') };
}

/** How often a waiting upload looks (a read) whether the program's upload in progress has ended. */
const TURN_POLL_MS = 250;

/**
 * Opens an upload once the program's upload in progress, if any, has ended (completed, failed, or
 * abandoned by a process that died, which is removed here). The body waits unread meanwhile; a
 * sender that goes away (`signal`) stops the wait.
 */
async function openUpload(store: Store, clock: Clock, target: UploadTarget, signal: AbortSignal | undefined): Promise<string> {
  for (;;) {
    if (signal?.aborted) throw new AppError('CONFLICT', 'The sender hung up while the upload waited for its turn');
    const opened = await store.write((trx) => beginUpload(trx, clock, target.programId, target.rewardId, target.keyId));
    if ('uploadId' in opened) return opened.uploadId;
    const { busyWith } = opened;
    if (busyWith && isAbandoned(busyWith.heartbeat_at, clock)) {
      await abandonUpload(store, { programId: target.programId, rewardId: busyWith.reward_id, uploadId: busyWith.id });
    } else if (busyWith) {
      await waitForTurn(store, clock, target.programId, busyWith.id, signal);
    }
  }
}

/** Waits, reading, until an upload in progress is no longer PENDING or is abandoned. */
async function waitForTurn(store: Store, clock: Clock, programId: string, uploadId: string, signal: AbortSignal | undefined): Promise<void> {
  while (!signal?.aborted) {
    await sleep(TURN_POLL_MS);
    const busy = await store.db
      .selectFrom('code_uploads')
      .select(['status', 'heartbeat_at'])
      .where('program_id', '=', programId)
      .where('id', '=', uploadId)
      .executeTakeFirst();
    if (busy?.status !== 'PENDING' || isAbandoned(busy.heartbeat_at, clock)) return;
  }
}

interface UploadTarget {
  programId: string;
  rewardId: string;
  keyId: string | null;
}

export interface ReceivedUpload {
  upload: PendingUpload;
  /** SHA-256 of the body as received: what makes a retry "the same upload". */
  digest: string;
}

/**
 * Reads an upload body to its end at the sender's pace, checking each code and writing them a batch
 * (one short transaction) at a time into a PENDING upload; memory stays flat however long it is
 * (at most a span of codes is held).
 * The caller completes it (`completeUpload`) or gives it up (`abandonUpload`). On any failure here
 * the upload is removed before the error is passed on.
 */
export async function receiveUpload(
  store: Store,
  clock: Clock,
  target: UploadTarget,
  body: Readable,
  format: UploadFormat,
  options: UploadSettings & {
    header?: boolean;
    signal?: AbortSignal;
    /** Told after each batch is committed: lines dealt with and codes added so far. */
    onProgress?: (progress: { received: number; added: number }) => void;
  },
): Promise<ReceivedUpload> {
  const { programId, rewardId } = target;
  const uploadId = await openUpload(store, clock, target, options.signal);
  const upload = newPendingUpload(programId, rewardId, uploadId);
  // Alive for as long as this request is, however slowly its body arrives.
  const heartbeat = setInterval(() => {
    store.write((trx) => keepAlive(trx, clock, upload)).catch(() => {});
  }, HEARTBEAT_EVERY_MS);
  const metered = meter(body, options.limitBytes, options.idleMs);
  const write = async (batch: UploadEntry[], waiting: number) => {
    const written = await store.write((trx) => addBatch(trx, clock, upload, batch, waiting));
    written.apply();
    options.onProgress?.(written.progress);
  };
  const writeSpan = async (span: UploadEntry[]) => {
    // Stable: lines of one normal form keep their order, so the first of them is the one added.
    if (store.engine === 'sqlite') span.sort(byNormalForm);
    const batch = BATCH[store.engine];
    for (let start = 0; start < span.length; start += batch) {
      await write(span.slice(start, start + batch), Math.max(span.length - start - batch, 0));
    }
  };
  try {
    let span: UploadEntry[] = [];
    const readOptions = options.header === undefined ? {} : { header: options.header };
    for await (const { line, raw } of readUpload(metered.stream, format, readOptions)) {
      upload.received++;
      const problem = codeProblem(raw);
      if (problem !== null) {
        count(upload.invalid, line);
        count(upload.invalid[problem], line);
        continue;
      }
      const code = (raw as string).trim();
      span.push({ line, code, normal: normalizeCode(code) });
      if (span.length === options.spanCodes) {
        await writeSpan(span);
        span = [];
      }
    }
    if (span.length > 0) await writeSpan(span);
    if (upload.received === 0) throw invalidField('/body', 'holds no codes');
  } catch (error) {
    metered.stream.destroy();
    await abandonUpload(store, upload);
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
  return { upload, digest: metered.digest() };
}

/**
 * Completes a received upload in the one transaction `finish` runs `complete` in (an idempotent
 * write, say), or removes it when that transaction failed or never ran `complete` (a replay, which
 * may call `giveUp` to remove it before answering).
 */
export async function settleUpload<T>(
  store: Store,
  clock: Clock,
  upload: PendingUpload,
  finish: (complete: (trx: Db) => Promise<UploadReport>, giveUp: () => Promise<void>) => Promise<T>,
): Promise<T> {
  let ran = false;
  let settled = false;
  const giveUp = () => abandonUpload(store, upload);
  try {
    const result = await finish(async (trx) => {
      const report = await completeUpload(trx, clock, upload);
      ran = true;
      return report;
    }, giveUp);
    settled = ran;
    return result;
  } finally {
    // An upload that did complete is not PENDING, and is left alone.
    if (!settled) await giveUp();
  }
}
