import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { systemClock } from '../clock.js';
import type { Store } from '../db/store.js';
import { receiveUpload, settleUpload } from '../pools/receive-upload.js';
import type { UploadFormat } from '../pools/upload-formats.js';
import type { Tally, UploadReport } from '../pools/upload-report.js';

/** The format a file is read in: by its extension unless one is named. */
export function formatOf(file: string, named: string | undefined): UploadFormat {
  const choice = named ?? ({ '.csv': 'csv', '.json': 'json' } as Record<string, string>)[path.extname(file).toLowerCase()] ?? 'text';
  if (choice === 'csv') return 'text/csv';
  if (choice === 'json') return 'application/json';
  if (choice === 'text') return 'text/plain';
  throw new Error(`--format must be text, csv or json (got "${choice}")`);
}

/**
 * The file as a stream that moves a progress bar as it is read: percentage, codes (lines) per
 * second and time left, on standard error so standard output keeps the report.
 */
function readWithProgress(file: string): { stream: Readable; done: () => void } {
  const size = fs.statSync(file).size;
  const bar = new SingleBar({
    format: '{bar} {percentage}% | {codes} codes | {rate} codes/s | {eta_formatted} left',
    stream: process.stderr,
    etaBuffer: 50,
    hideCursor: true,
    // Piped to a file or a CI log: a line every few seconds instead of a redrawn bar.
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  const started = Date.now();
  let bytes = 0;
  let codes = 0;
  bar.start(size, 0, { codes: 0, rate: 0 });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) codes++;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(bytes, { codes, rate: Math.round(codes / seconds) });
      done(null, chunk);
    },
  });
  return { stream: fs.createReadStream(file).pipe(counter), done: () => bar.stop() };
}

/** Streams a file to a running server's upload endpoint and answers its report. */
export async function uploadThroughServer(options: { url: string; key: string; rewardId: string; file: string; format: UploadFormat }): Promise<UploadReport> {
  const { stream, done } = readWithProgress(options.file);
  try {
    const response = await fetch(new URL(`/v1/rewards/${encodeURIComponent(options.rewardId)}/codes`, options.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.key}`, 'content-type': options.format },
      body: Readable.toWeb(stream) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const body = (await response.json()) as UploadReport & { detail?: string };
    if (!response.ok) throw new Error(`The server refused the upload (${response.status}): ${body.detail ?? JSON.stringify(body)}`);
    return body;
  } finally {
    done();
  }
}

/** Reads a file straight into the database (no server needed), in batches as the endpoint does. */
export async function uploadStraightToDatabase(store: Store, options: { programId: string; rewardId: string; file: string; format: UploadFormat }): Promise<UploadReport> {
  const { programId, rewardId } = options;
  // (The upload itself refuses a reward that is not a POOL one, before the file is read.)
  const { stream, done } = readWithProgress(options.file);
  let received;
  try {
    received = await receiveUpload(store, systemClock, { programId, rewardId, keyId: null }, stream, options.format, {
      limitBytes: Number.MAX_SAFE_INTEGER,
      // A file never stalls the way a network sender can.
      idleMs: 2_147_483_647,
    });
  } finally {
    done();
  }
  return settleUpload(store, systemClock, received.upload, (complete) => store.write(complete));
}

/** The report for a person. */
export function describeReport(report: UploadReport): string {
  const lines = (tally: Tally) => (tally.count > 0 ? ` (lines ${tally.lines.join(', ')}${tally.count > tally.lines.length ? ', …' : ''})` : '');
  return [
    `Upload ${report.uploadId} to reward ${report.rewardId}`,
    `  received:        ${report.received}`,
    `  added:           ${report.added}`,
    `  duplicated:      ${report.duplicated.count}${lines(report.duplicated)}`,
    `  already present: ${report.alreadyPresent.count}${lines(report.alreadyPresent)}`,
    `  invalid:         ${report.invalid.count}${lines(report.invalid)}`,
    `Pool: ${report.pool.total} codes, ${report.pool.available} available, ${report.pool.issued} issued`,
  ].join('\n');
}
