// Uploading a partner's file of codes: the server's streamed upload beside the engine's own bulk-load
// ceiling on the same schema (migrated the same way), measured in the same run.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CODE_ALPHABET } from '../src/codes/generate-code.js';
import { normalizeCode } from '../src/codes/normalize-code.js';
import type { Storage } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/open-store.js';

export const UPLOAD_CODES = Number(process.env.BENCH_UPLOAD_CODES ?? 1_000_000);

/** A file of `codes` random partner codes (`PARTNER-` and 10 symbols), one a line. */
export function writeCodesFile(dir: string, codes = UPLOAD_CODES): string {
  const file = path.join(dir, `codes-${codes}.txt`);
  const out = fs.openSync(file, 'w');
  for (let done = 0; done < codes; done += 10_000) {
    const bytes = randomBytes(10_000 * 10);
    let chunk = '';
    for (let i = 0; i < Math.min(10_000, codes - done); i++) {
      let code = 'PARTNER-';
      for (let j = 0; j < 10; j++) code += CODE_ALPHABET[bytes[i * 10 + j]! & 31];
      chunk += `${code}\n`;
    }
    fs.writeSync(out, chunk);
  }
  fs.closeSync(out);
  return file;
}

const ROW = { program: 'prg_01m8bench0000000000000000', reward: 'rwd_01m8bench0000000000000000', upload: 'upl_01m8bench0000000000000000' };

/** The migrated schema, empty, to load into. */
async function migrated(storage: Storage): Promise<void> {
  const store = openStore({ storage, durability: 'strict', pgPoolSize: 1 });
  await migrateToLatest(store);
  await store.close();
}

function* linesOf(file: string): Generator<string> {
  const text = fs.readFileSync(file, 'utf8');
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) yield text.slice(start, end);
}

/** Ceiling: every code inserted by one prepared statement, all in one transaction, synchronous=FULL. Codes per second. */
export async function rawSqliteBulkLoad(file: string): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-load-'));
  const dbFile = path.join(dir, 'load.db');
  await migrated({ engine: 'sqlite', file: dbFile });
  const db = new SQLite(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -65536');
  const insert = db.prepare(
    `insert into voucher_codes (program_id, code_normal, kind, reward_id, code, upload_id, line) values (?, ?, 'POOL', ?, ?, ?, ?)`,
  );
  const started = performance.now();
  let line = 0;
  db.transaction(() => {
    for (const code of linesOf(file)) insert.run(ROW.program, normalizeCode(code), ROW.reward, code, ROW.upload, ++line);
  })();
  const rate = line / ((performance.now() - started) / 1000);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** Ceiling: every code sent with COPY into the register, in one transaction. Codes per second. */
export async function rawPostgresCopy(adminUrl: string, file: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `tessera_bench_load_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrated({ engine: 'postgres', url: url.toString() });
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  let line = 0;
  function* rows(): Generator<string> {
    for (const code of linesOf(file)) yield `${ROW.program}\t${normalizeCode(code)}\tPOOL\t${ROW.reward}\t${code}\t${ROW.upload}\t${++line}\n`;
  }
  const started = performance.now();
  await client.query('begin');
  await copyLines(client, 'voucher_codes (program_id, code_normal, kind, reward_id, code, upload_id, line)', rows());
  await client.query('commit');
  const rate = line / ((performance.now() - started) / 1000);
  await client.end();
  await admin.query(`drop database ${name} with (force)`);
  await admin.end();
  return rate;
}

/** COPY of lines in its text format (each ending in a newline) into `target`, "table (columns)", sent in chunks of about 64 kB. */
export async function copyLines(client: pg.ClientBase, target: string, lines: Iterable<string>): Promise<void> {
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length > 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`copy ${target} from stdin`)));
}

/** Peak and current resident memory of a process, in MB (Linux). */
export function memoryOf(pid: number): { peakMb: number; nowMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peakMb: Math.round(kb('VmHWM') / 1024), nowMb: Math.round(kb('VmRSS') / 1024) };
}

/** Streams the file to the server's upload endpoint, as `tessera codes upload` does. Codes per second. */
export async function uploadToServer(url: string, key: string, rewardId: string, file: string): Promise<{ rate: number; added: number; received: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/rewards/${rewardId}/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
    body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const report = (await response.json()) as { added: number; received: number };
  if (!response.ok) throw new Error(`upload refused: ${JSON.stringify(report)}`);
  return { rate: report.received / ((performance.now() - started) / 1000), added: report.added, received: report.received };
}
