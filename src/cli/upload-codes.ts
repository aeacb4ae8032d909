import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../clock.js';
import type { Store } from '../db/store.js';
import { assertPoolReward } from '../pools/pool-reward.js';
import { receiveUpload, settleUpload } from '../pools/receive-upload.js';
import { DEFAULT_SPAN_CODES } from '../pools/upload-settings.js';
import type { CodesSummary } from '../pools/schemas.js';
import type { UploadFormat } from '../pools/upload-formats.js';
import type { Tally, UploadReport } from '../pools/upload-report.js';
import { loadReward } from '../rewards/get-reward.js';
import { type CodesBar, codesBar } from './codes-bar.js';
import { countCodes } from './count-codes.js';
import { type Server, callServer } from './server-client.js';

/** The format a file is read in: by its extension unless one is named. */
export function formatOf(file: string, named: string | undefined): UploadFormat {
  const choice = named ?? ({ '.csv': 'csv', '.json': 'json' } as Record<string, string>)[path.extname(file).toLowerCase()] ?? 'text';
  if (choice === 'csv') return 'text/csv';
  if (choice === 'json') return 'application/json';
  if (choice === 'text') return 'text/plain';
  throw new Error(`--format must be text, csv or json (got "${choice}")`);
}

/** How often the bar asks the server how far an upload has come. */
const POLL_MS = 400;

/**
 * Streams a file to a running server's upload endpoint and answers its report. The bar follows what
 * the server has stored, as its summary of the reward tells (the upload still arriving), so it
 * moves while the codes are written rather than while the bytes are sent, and ends with the report.
 */
export async function uploadThroughServer(options: { url: string; key: string; rewardId: string; file: string; format: UploadFormat }): Promise<UploadReport> {
  const server = { url: options.url, key: options.key };
  const reward = `/v1/rewards/${encodeURIComponent(options.rewardId)}`;
  // Asked first: a server out of reach, a wrong key or a reward that takes no codes is told before the file is read.
  const before = await callServer<CodesSummary>(server, 'GET', `${reward}/codes/summary`, { doing: "to show the reward's codes" });
  const bar = codesBar(await countCodes(options.file, options.format));
  const polling = new AbortController();
  const following = followUpload(server, `${reward}/codes/summary`, before.upload?.id, bar, polling.signal);
  let report: UploadReport | undefined;
  try {
    report = await callServer<UploadReport>(server, 'POST', `${reward}/codes`, {
      doing: 'the upload',
      body: Readable.toWeb(fs.createReadStream(options.file)) as ReadableStream,
      contentType: options.format,
    });
  } finally {
    polling.abort();
    await following;
    if (report === undefined) bar.stop();
  }
  bar.finish(report.received);
  return report;
}

/**
 * Moves the bar by the reward's upload in progress until `signal`. The first upload to appear that
 * was not already arriving before this one was sent is taken to be this one: uploads of a program
 * take turns, so another can come first only if it was sent in the same moment.
 */
async function followUpload(server: Server, summary: string, earlier: string | undefined, bar: CodesBar, signal: AbortSignal): Promise<void> {
  let ours: string | undefined;
  while (!signal.aborted) {
    try {
      await sleep(POLL_MS, undefined, { signal });
      const { upload } = await callServer<CodesSummary>(server, 'GET', summary, { doing: "to show the reward's codes", signal });
      if (upload === undefined || upload.id === earlier || signal.aborted) continue;
      ours ??= upload.id;
      if (upload.id === ours) bar.update(upload.received);
    } catch {
      // Stopped, or one look missed: the next one makes up for it, and the upload's own answer tells of a failure.
    }
  }
}

/** Reads a file straight into the database (no server needed), in batches as the endpoint does. */
export async function uploadStraightToDatabase(store: Store, options: { programId: string; rewardId: string; file: string; format: UploadFormat }): Promise<UploadReport> {
  const { programId, rewardId } = options;
  // Before the file is counted: a reward that takes no codes is told at once.
  assertPoolReward(await loadReward(store.db, programId, rewardId));
  const bar = codesBar(await countCodes(options.file, options.format));
  try {
    const received = await receiveUpload(store, systemClock, { programId, rewardId, keyId: null }, fs.createReadStream(options.file), options.format, {
      limitBytes: Number.MAX_SAFE_INTEGER,
      // A file never stalls the way a network sender can.
      idleMs: 2_147_483_647,
      spanCodes: DEFAULT_SPAN_CODES,
      onProgress: ({ received }) => bar.update(received),
    });
    const report = await settleUpload(store, systemClock, received.upload, (complete) => store.write(complete));
    bar.finish(report.received);
    return report;
  } finally {
    bar.stop();
  }
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
