import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { once } from 'node:events';
import { AppError, invalidField } from '../errors.js';
import { MAX_CODE_CHARS } from '../rewards/reward-rules.js';
import { type UploadFormat, readUpload } from './upload-formats.js';
import { type InvalidReason, type InvalidTallies, count, emptyInvalidTallies } from './upload-report.js';

/** An upload read, checked and set down on local disk, ready to be added in one short transaction. */
export interface StagedUpload {
  /** One accepted code a line: `line<TAB>code`. */
  file: string;
  received: number;
  invalid: InvalidTallies;
  /** SHA-256 of the body as received: what makes a retry "the same upload". */
  digest: string;
  discard(): Promise<void>;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Why a code cannot go into a pool, or null when it can. */
export function codeProblem(raw: unknown): InvalidReason | null {
  if (typeof raw !== 'string') return 'notText';
  const code = raw.trim();
  if (code === '') return 'empty';
  if (code.length > MAX_CODE_CHARS) return 'tooLong';
  if (!PRINTABLE_ASCII.test(code)) return 'notPrintable';
  return null;
}

/** Counts and hashes the body as it passes, and stops it once it grows beyond `limitBytes`. */
function meter(limitBytes: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limitBytes) {
        done(new AppError('PAYLOAD_TOO_LARGE', `An upload may be at most ${limitBytes} bytes (TESSERA_UPLOAD_LIMIT_BYTES)`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/**
 * Reads an upload body to its end, checking each code, and writes the acceptable ones to a scratch
 * file. Reading happens at the client's pace and outside any transaction; memory stays flat however
 * long the upload is. Nothing in the database changes here.
 */
export async function stageUpload(
  body: Readable,
  format: UploadFormat,
  options: { limitBytes: number; header?: boolean },
): Promise<StagedUpload> {
  const file = path.join(os.tmpdir(), `tessera-upload-${randomUUID()}.tsv`);
  const out = fs.createWriteStream(file);
  const discard = () => fs.promises.rm(file, { force: true });
  const metered = meter(options.limitBytes);
  body.on('error', (error) => metered.stream.destroy(error));
  body.pipe(metered.stream);
  const invalid = emptyInvalidTallies();
  let received = 0;
  try {
    const readOptions = options.header === undefined ? {} : { header: options.header };
    for await (const { line, raw } of readUpload(metered.stream, format, readOptions)) {
      received++;
      const problem = codeProblem(raw);
      if (problem !== null) {
        count(invalid, line);
        count(invalid[problem], line);
        continue;
      }
      if (!out.write(`${line}\t${(raw as string).trim()}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await discard();
    throw error;
  }
  if (received === 0) {
    await discard();
    throw invalidField('/body', 'holds no codes');
  }
  return { file, received, invalid, digest: metered.digest(), discard };
}
