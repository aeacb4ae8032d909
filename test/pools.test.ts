import http from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeCode } from '../src/codes/normalize-code.js';
import { addBatch, beginUpload, newPendingUpload, sweepAbandonedUploads } from '../src/pools/pending-upload.js';
import { MAX_FIELD_BYTES } from '../src/pools/upload-formats.js';
import { TEST_UPLOAD_LIMIT_BYTES, TEST_UPLOAD_SETTINGS, type Response, type TestApp, type TestDatabase, createKey, createMember, createTestDatabase, describeEachEngine, engines, useTestApp } from './harness.js';
import { balanceOf, boughtBy, buy, countRows, expectUnchanged, inBatches, memberWith, newReward } from './fixtures.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, startServer } from './server-process.js';
import { until } from './until.js';

/** Codes a test app gathers before writing them. */
const SPAN = TEST_UPLOAD_SETTINGS.spanCodes;

const DAY = 86_400_000;
const UNKNOWN_REWARD = 'rwd_01jz0000000000000000000000';
const NONE = { count: 0, lines: [] };

interface UploadOptions {
  contentType?: string;
  /** Appended to the URL as is, e.g. "?header=false". */
  query?: string;
  headers?: Record<string, string>;
}

/** Uploads to a reward's pool: an array goes as `{ "codes": [...] }`, a string as the raw body (text/plain unless told). */
const upload = (t: TestApp, key: string, rewardId: string, body: string | unknown[], options: UploadOptions = {}): Promise<Response> =>
  t.request('POST', `/v1/rewards/${rewardId}/codes${options.query ?? ''}`, undefined, {
    key,
    payload: typeof body === 'string' ? body : JSON.stringify({ codes: body }),
    contentType: options.contentType ?? (typeof body === 'string' ? 'text/plain' : 'application/json'),
    ...(options.headers ? { headers: options.headers } : {}),
  });

/**
 * Sends a body that arrives in pieces, as one does over a network: the app reads the first pieces
 * (and writes their codes) before the last one arrives. Answers the status and the parsed body.
 */
async function uploadInPieces(t: TestApp, key: string, rewardId: string, pieces: string[], contentType: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: `/v1/rewards/${rewardId}/codes`,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    payload: Readable.from(pieces.map((piece) => Buffer.from(piece))),
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

/**
 * Starts an upload whose body stops after `head` until `finish()` is called, then sends `tail` and
 * ends: the upload stays in progress, with what `head` held already received, meanwhile.
 */
function uploadHeldOpen(t: TestApp, key: string, rewardId: string, head: string, contentType: string, headers: Record<string, string> = {}) {
  let finish!: (tail?: string) => void;
  const released = new Promise<string>((resolve) => {
    finish = (tail = '') => resolve(tail);
  });
  async function* pieces() {
    yield Buffer.from(head);
    const tail = await released;
    if (tail !== '') yield Buffer.from(tail);
  }
  const answer = t.app
    .inject({
      method: 'POST',
      url: `/v1/rewards/${rewardId}/codes`,
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType, ...headers },
      payload: Readable.from(pieces()),
    })
    .then((response) => ({ status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) }));
  return { answer, finish };
}

/**
 * Starts an upload whose body is sent a piece at a time: `next()` sends the next piece, `end()`
 * sends the rest and ends it.
 */
function uploadPieceByPiece(t: TestApp, key: string, rewardId: string, pieces: string[], contentType: string) {
  const released: Array<() => void> = [];
  const turns = pieces.map(() => new Promise<void>((resolve) => released.push(resolve)));
  let sent = 0;
  async function* body() {
    for (let i = 0; i < pieces.length; i++) {
      await turns[i];
      yield Buffer.from(pieces[i]!);
    }
  }
  const answer = t.app
    .inject({
      method: 'POST',
      url: `/v1/rewards/${rewardId}/codes`,
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
      payload: Readable.from(body()),
    })
    .then((response) => ({ status: response.statusCode, body: JSON.parse(response.body) }));
  return {
    answer,
    next: () => released[sent++]?.(),
    end: () => {
      while (sent < released.length) released[sent++]!();
    },
  };
}

/** How many of a reward's codes are in the register, whatever their upload's state. */
const registered = (t: TestApp, programId: string, rewardId: string) => poolRows(t, programId, rewardId).then((rows) => rows.length);

/** Errors nobody caught (a crash, in a server process) while `action` ran and shortly after. */
async function uncaughtDuring(action: () => Promise<void>): Promise<string[]> {
  const caught: string[] = [];
  const listener = (error: Error) => caught.push(`${(error as { code?: string }).code ?? ''} ${error.message}`);
  process.on('uncaughtException', listener);
  try {
    await action();
    await new Promise((resolve) => setTimeout(resolve, 250));
  } finally {
    process.off('uncaughtException', listener);
  }
  return caught;
}

/** Uploads codes one a line and answers the report, failing loudly on anything but 201. */
async function uploaded(t: TestApp, key: string, rewardId: string, codes: string[]) {
  const response = await upload(t, key, rewardId, `${codes.join('\n')}\n`);
  if (response.status !== 201) throw new Error(`could not upload: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A POOL reward (an empty pool), `fields` laid over it. */
const poolReward = (t: TestApp, key: string, fields: Record<string, unknown> = {}) =>
  newReward(t, key, { name: 'Partner voucher', codeType: 'POOL', codeFormat: undefined, pricePoints: 10, ...fields });

/** A STATIC reward with `staticCode`, `fields` laid over it. */
const staticReward = (t: TestApp, key: string, staticCode: string, fields: Record<string, unknown> = {}) =>
  newReward(t, key, { name: 'Summer offer', codeType: 'STATIC', codeFormat: undefined, staticCode, pricePoints: 5, ...fields });

const summaryOf = async (t: TestApp, key: string, rewardId: string) => {
  const response = await t.request('GET', `/v1/rewards/${rewardId}/codes/summary`, undefined, { key });
  if (response.status !== 200) throw new Error(`could not read the summary: ${JSON.stringify(response.body)}`);
  return response.body;
};

const stockOf = async (t: TestApp, key: string, rewardId: string): Promise<number | null> =>
  (await t.request('GET', `/v1/rewards/${rewardId}`, undefined, { key })).body.stock;

interface Event {
  id: string;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

const eventsOfType = async (t: TestApp, key: string, type: string): Promise<Event[]> =>
  (await t.request('GET', `/v1/events?type=${type}&limit=200`, undefined, { key })).body.data;

const validate = (t: TestApp, key: string, body: Record<string, unknown>) => t.request('POST', '/v1/voucher-validations', body, { key });

const refund = (t: TestApp, key: string, purchaseId: string) => t.request('POST', `/v1/purchases/${purchaseId}/refund`, undefined, { key });

const reveal = (t: TestApp, key: string, voucherId: string) => t.request('POST', `/v1/vouchers/${voucherId}/reveal`, undefined, { key });

/** The same code as a careless cashier might type it: lower case, spaced, O for 0 and l for 1. */
const misspelled = (code: string) => ` ${code.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l').split('').join(' ')}\t`;

/** A reward's register rows (pool codes), in upload order, read straight from the database. */
const poolRows = (t: TestApp, programId: string, rewardId: string) =>
  t.store.db
    .selectFrom('voucher_codes')
    .select(['code', 'code_normal', 'kind', 'line', 'upload_id', 'voucher_id'])
    .where('program_id', '=', programId)
    .where('reward_id', '=', rewardId)
    .orderBy('upload_id')
    .orderBy('line')
    .execute();

/** What an upload could change in a program, read straight from the database. */
async function footprint(t: TestApp, programId: string) {
  const db = t.store.db;
  return {
    rewards: await db.selectFrom('rewards').select(['id', 'stock', 'static_code']).where('program_id', '=', programId).orderBy('id').execute(),
    codes: await db
      .selectFrom('voucher_codes')
      .select(['code_normal', 'kind', 'voucher_id', 'reward_id', 'code', 'upload_id', 'line'])
      .where('program_id', '=', programId)
      .orderBy('code_normal')
      .execute(),
    uploads: await db.selectFrom('code_uploads').select(['id', 'reward_id', 'status', 'added']).where('program_id', '=', programId).orderBy('id').execute(),
    vouchers: await db.selectFrom('vouchers').select(['id', 'code', 'status']).where('program_id', '=', programId).orderBy('id').execute(),
    events: await countRows(t, 'events', programId),
    idempotencyKeys: await countRows(t, 'idempotency_keys', programId),
  };
}

const expectNothingBehind = (t: TestApp, programId: string, action: () => Promise<void>) => expectUnchanged(() => footprint(t, programId), action);


const numbered = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}-${String(from + i).padStart(6, '0')}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeEachEngine('code pools', (t) => {
  describe('POST /v1/rewards/{id}/codes: the upload report', () => {
    it('sorts every line into added, duplicated, already present or invalid, with line numbers, and the summary and stock agree', async () => {
      const { programId, adminKey } = await t.newProgram();
      // A generated code and another reward's pool code, already in the program's register.
      const oneTime = await newReward(t, adminKey, { pricePoints: 1 });
      const { voucher: generated } = await boughtBy(t, adminKey, oneTime);
      const other = await poolReward(t, adminKey);
      await uploaded(t, adminKey, other.id, ['OTHER-1']);
      const reward = await poolReward(t, adminKey);

      const lines = [
        'GOOD-0001', //                   1 added
        '', //                            2 empty
        'X'.repeat(129), //               3 too long
        'CAFÉ', //                        4 not printable ASCII
        'TAB\tINSIDE', //                 5 not printable (a tab)
        ' g o o d - o o o l ', //         6 duplicate of line 1 in another spelling
        'other-l', //                     7 already in another reward's pool
        misspelled(generated.code), //    8 already a generated ONE_TIME code
        '   ', //                         9 blank: empty
        '  PADDED-2  ', //                10 added, trimmed
        'Y'.repeat(128), //               11 added: exactly the longest allowed
        'GOOD-0001', //                   12 duplicate again
        'OTHER-1', //                     13 already present (no earlier line of this upload added it)
      ];
      const response = await upload(t, adminKey, reward.id, `${lines.join('\n')}\n`);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        uploadId: expect.stringMatching(/^upl_[0-9a-z]{26}$/),
        rewardId: reward.id,
        received: 13,
        added: 3,
        duplicated: { count: 2, lines: [6, 12] },
        alreadyPresent: { count: 3, lines: [7, 8, 13] },
        invalid: {
          count: 5,
          lines: [2, 3, 4, 5, 9],
          empty: { count: 2, lines: [2, 9] },
          tooLong: { count: 1, lines: [3] },
          notPrintable: { count: 2, lines: [4, 5] },
          notText: NONE,
        },
        pool: { total: 3, available: 3, issued: 0 },
        createdAt: expect.any(String),
      });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 3, available: 3, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(3);

      const rows = await poolRows(t, programId, reward.id);
      expect(rows.map((r) => ({ ...r, line: Number(r.line) }))).toEqual([
        { code: 'GOOD-0001', code_normal: 'G00D0001', kind: 'POOL', line: 1, upload_id: response.body.uploadId, voucher_id: null },
        { code: 'PADDED-2', code_normal: 'PADDED2', kind: 'POOL', line: 10, upload_id: response.body.uploadId, voucher_id: null },
        { code: 'Y'.repeat(128), code_normal: 'Y'.repeat(128), kind: 'POOL', line: 11, upload_id: response.body.uploadId, voucher_id: null },
      ]);
      // Nothing else moved: the other pool and the generated code are as they were.
      expect(await summaryOf(t, adminKey, other.id)).toEqual({ total: 1, available: 1, issued: 0 });
      expect((await t.request('GET', `/v1/vouchers/${generated.id}`, undefined, { key: adminKey })).body).toMatchObject({ code: generated.code, status: 'ACTIVE' });
    });

    it('lists only the first 20 line numbers of each kind, but counts them all', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const lines = ['CAP-1', ...Array(30).fill('cap-l'), ...Array(25).fill('')];
      const report = (await upload(t, adminKey, reward.id, `${lines.join('\n')}\n`)).body;
      expect(report).toMatchObject({
        received: 56,
        added: 1,
        duplicated: { count: 30, lines: range(2, 21) },
        alreadyPresent: NONE,
        invalid: { count: 25, lines: range(32, 51), empty: { count: 25, lines: range(32, 51) }, tooLong: NONE, notPrintable: NONE, notText: NONE },
      });
    });

    it('tells duplicates from codes already present across the batches and spans of a long upload', async () => {
      const { programId, adminKey } = await t.newProgram();
      const other = await poolReward(t, adminKey);
      await uploaded(t, adminKey, other.id, ['ELSEWHERE-1']);
      const reward = await poolReward(t, adminKey);
      // A span and 2,000 lines more: line 1,001 repeats line 1 (in the same span), line 3,001 is
      // another pool's code, and the last line repeats line 1 from the next span.
      const lines = numbered('LONG', 0, SPAN + 2_000);
      lines.splice(1_000, 0, 'long-oooooo');
      lines[3_000] = 'elsewhere-l';
      lines.push('LONG-000000');
      const report = (await upload(t, adminKey, reward.id, lines.join('\n'))).body;
      const kept = SPAN + 1_999;
      expect(report).toMatchObject({
        received: SPAN + 2_002,
        added: kept,
        duplicated: { count: 2, lines: [1_001, SPAN + 2_002] },
        alreadyPresent: { count: 1, lines: [3_001] },
        invalid: { count: 0 },
        pool: { total: kept, available: kept, issued: 0 },
      });
      expect(await stockOf(t, adminKey, reward.id)).toBe(kept);
      expect(await countRows(t, 'voucher_codes', programId)).toBe(kept + 1);
    });

    it('lists the first line numbers of each kind, though codes are written in another order', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      // Lines 31 to 60 repeat lines 1 to 30 backwards: the last line holds the first code.
      const codes = numbered('ORDER', 0, 30);
      const report = (await upload(t, adminKey, reward.id, [...codes, ...[...codes].reverse()].join('\n'))).body;
      expect(report.added).toBe(30);
      expect(report.duplicated).toEqual({ count: 30, lines: Array.from({ length: 20 }, (_, i) => 31 + i) });
    });

    it('keeps codes unique per program only: another program may hold the same code', async () => {
      const mine = await t.newProgram();
      const theirs = await t.newProgram();
      const their = await poolReward(t, theirs.adminKey);
      await uploaded(t, theirs.adminKey, their.id, ['SHARED-1']);
      const reward = await poolReward(t, mine.adminKey);
      expect((await upload(t, mine.adminKey, reward.id, 'shared-l')).body).toMatchObject({ added: 1, alreadyPresent: NONE });
      expect(await summaryOf(t, theirs.adminKey, their.id)).toEqual({ total: 1, available: 1, issued: 0 });
    });
  });

  describe('upload formats', () => {
    it('reads text/plain with CRLF line ends and no final newline', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const response = await upload(t, adminKey, reward.id, 'CR-1\r\nCR-2\r\n\r\n  CR-3 \r\nCR-4', { contentType: 'text/plain; charset=utf-8' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ received: 5, added: 4, duplicated: NONE, alreadyPresent: NONE, invalid: { count: 1, empty: { count: 1, lines: [3] } } });
      const rows = await poolRows(t, programId, reward.id);
      expect(rows.map((r) => [r.code, Number(r.line)])).toEqual([
        ['CR-1', 1],
        ['CR-2', 2],
        ['CR-3', 4],
        ['CR-4', 5],
      ]);
    });

    it('reads the first column of text/csv, skipping a header whose first field reads "code", with quoted fields holding commas', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const csv = 'Code,label\r\nCSV-1,first\r\n"CSV-2, with a comma","second, also"\r\n"CSV-""3""",third\r\nCSV-4\r\n,empty first field\r\n';
      const response = await upload(t, adminKey, reward.id, csv, { contentType: 'text/csv' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ received: 5, added: 4, invalid: { count: 1, lines: [6], empty: { count: 1, lines: [6] } } });
      const rows = await poolRows(t, programId, reward.id);
      expect(rows.map((r) => [r.code, Number(r.line)])).toEqual([
        ['CSV-1', 2],
        ['CSV-2, with a comma', 3],
        ['CSV-"3"', 4],
        ['CSV-4', 5],
      ]);
    });

    it('reads text/csv without a header, and follows ?header=true|false over the guess', async () => {
      const { programId, adminKey } = await t.newProgram();
      const plain = await poolReward(t, adminKey);
      const noHeader = await upload(t, adminKey, plain.id, 'NH-1,a\nNH-2,b', { contentType: 'text/csv' });
      expect(noHeader.body).toMatchObject({ received: 2, added: 2 });
      expect((await poolRows(t, programId, plain.id)).map((r) => [r.code, Number(r.line)])).toEqual([
        ['NH-1', 1],
        ['NH-2', 2],
      ]);

      const forced = await poolReward(t, adminKey);
      const headerTrue = await upload(t, adminKey, forced.id, 'partner code\nHT-1\nHT-2\n', { contentType: 'text/csv', query: '?header=true' });
      expect(headerTrue.body).toMatchObject({ received: 2, added: 2 });
      expect((await poolRows(t, programId, forced.id)).map((r) => [r.code, Number(r.line)])).toEqual([
        ['HT-1', 2],
        ['HT-2', 3],
      ]);

      const literal = await poolReward(t, adminKey);
      const headerFalse = await upload(t, adminKey, literal.id, 'code\nHF-1\n', { contentType: 'text/csv', query: '?header=false' });
      expect(headerFalse.body).toMatchObject({ received: 2, added: 2 });
      expect((await poolRows(t, programId, literal.id)).map((r) => r.code)).toEqual(['code', 'HF-1']);

      const bad = await upload(t, adminKey, literal.id, 'HX-1\n', { contentType: 'text/csv', query: '?header=perhaps' });
      expect(bad.status).toBe(400);
    });

    it('reads { "codes": [...] }, counting an element that is not a string as notText by its position', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const body = JSON.stringify({ partner: 'acme', codes: ['J-1', 42, null, { code: 'J-2' }, ['J-3'], true, '  J-4  ', '', 'J-5'], note: 'after' });
      const response = await upload(t, adminKey, reward.id, body, { contentType: 'application/json; charset=utf-8' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        received: 9,
        added: 3,
        invalid: { count: 6, lines: [2, 3, 4, 5, 6, 8], notText: { count: 5, lines: [2, 3, 4, 5, 6] }, empty: { count: 1, lines: [8] } },
        pool: { total: 3, available: 3, issued: 0 },
      });
      expect((await poolRows(t, programId, reward.id)).map((r) => [r.code, Number(r.line)])).toEqual([
        ['J-1', 1],
        ['J-4', 7],
        ['J-5', 9],
      ]);
    });

    it('ignores a byte-order mark at the start of a text or CSV file', async () => {
      const { programId, adminKey } = await t.newProgram();
      const text = await poolReward(t, adminKey);
      expect((await upload(t, adminKey, text.id, '\uFEFFBOM-1\nBOM-2\n')).body).toMatchObject({ received: 2, added: 2, invalid: { count: 0 } });
      const csv = await poolReward(t, adminKey);
      expect((await upload(t, adminKey, csv.id, '\uFEFFcode,note\nBOM-3,x\n', { contentType: 'text/csv' })).body).toMatchObject({ received: 1, added: 1 });
      expect((await poolRows(t, programId, text.id)).map((r) => r.code)).toEqual(['BOM-1', 'BOM-2']);
      expect((await poolRows(t, programId, csv.id)).map((r) => [r.code, Number(r.line)])).toEqual([['BOM-3', 2]]);
    });

    it('refuses a body it cannot read (broken JSON, an unclosed CSV quote) with 400 at /body, adding nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['KEEP-1']);
      await expectNothingBehind(t, programId, async () => {
        for (const [payload, contentType] of [
          ['{"codes": ["A-1", "A-2"', 'application/json'],
          ['{"codes": ["A-1", "A-2",]}', 'application/json'],
          ['{"codes": ["A-1" "A-2"]}', 'application/json'],
          ['not json at all', 'application/json'],
          ['A-1,x\n"A-2,y\nA-3,z\n', 'text/csv'],
        ] as const) {
          const response = await upload(t, adminKey, reward.id, payload, { contentType });
          expect(response.status, payload).toBe(400);
          expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: '/body' })] });
        }
      });
    });
  });

  describe('hostile uploads cost bounded memory', () => {
    it('reads lines ended by CR alone, as spreadsheet programs of old wrote them', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const codes = numbered('MAC', 0, 5_000);
      const response = await upload(t, adminKey, reward.id, codes.join('\r'));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ received: 5_000, added: 5_000, invalid: { count: 0 } });
    });

    it('counts a line four times the longest field kept as one code too long, and reads on', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const long = 'X'.repeat(MAX_FIELD_BYTES);
      const response = await uploadInPieces(t, adminKey, reward.id, ['OK-1\n', ...Array.from({ length: 4 }, () => long), '\nOK-2\n'], 'text/plain');
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ received: 3, added: 2, invalid: { count: 1, tooLong: { count: 1, lines: [2] } } });
    });

    it('refuses JSON nested deeper than a code list, a string longer than any code, and a CSV record of 1 MB, with 400 at /body', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await expectNothingBehind(t, programId, async () => {
        for (const [pieces, contentType, detail] of [
          [['{"codes":', ...Array.from({ length: 64 }, () => '['.repeat(16 * 1024))], 'application/json', /nests deeper than 16 levels/],
          [['{"codes":["', ...Array.from({ length: 64 }, () => 'A'.repeat(16 * 1024)), '"]}'], 'application/json', /longer than 65536 bytes/],
          [['code\nOK-1\n"', ...Array.from({ length: 64 }, () => 'A'.repeat(16 * 1024)), '"\n'], 'text/csv', /cannot be read/],
        ] as const) {
          const response = await uploadInPieces(t, adminKey, reward.id, [...pieces], contentType);
          expect(response.status, contentType).toBe(400);
          expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: '/body', message: expect.stringMatching(detail) })] });
        }
      });
    });
  });

  describe('refusals', () => {
    it('answers 400 at /body for no body and for a body with no codes, adding nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await expectNothingBehind(t, programId, async () => {
        const noBody = await t.request('POST', `/v1/rewards/${reward.id}/codes`, undefined, { key: adminKey });
        expect(noBody.status).toBe(400);
        expect(noBody.body.errors).toEqual([expect.objectContaining({ path: '/body' })]);
        for (const [payload, contentType] of [
          ['', 'text/plain'],
          ['{"codes": []}', 'application/json'],
          ['{"other": ["A-1"]}', 'application/json'],
          ['code\n', 'text/csv'],
          ['', 'text/csv'],
        ] as const) {
          const response = await upload(t, adminKey, reward.id, payload, { contentType });
          expect(response.status, `${contentType}: ${payload}`).toBe(400);
          expect(response.body.errors).toEqual([expect.objectContaining({ path: '/body' })]);
        }
      });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 0, available: 0, issued: 0 });
    });

    it('answers 415 for a content type it does not read', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await expectNothingBehind(t, programId, async () => {
        for (const contentType of ['application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
          const response = await upload(t, adminKey, reward.id, 'A-1\n', { contentType });
          expect(response.status, contentType).toBe(415);
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
      });
    });

    it('answers INVALID_STATE for a ONE_TIME or STATIC reward, on upload and summary', async () => {
      const { programId, adminKey } = await t.newProgram();
      const oneTime = await newReward(t, adminKey);
      const fixed = await staticReward(t, adminKey, 'FIXED-1');
      await expectNothingBehind(t, programId, async () => {
        for (const reward of [oneTime, fixed]) {
          const response = await upload(t, adminKey, reward.id, 'A-1\n');
          expect(response.status).toBe(409);
          expect(response.body.code).toBe('INVALID_STATE');
          const summary = await t.request('GET', `/v1/rewards/${reward.id}/codes/summary`, undefined, { key: adminKey });
          expect(summary.status).toBe(409);
          expect(summary.body.code).toBe('INVALID_STATE');
        }
      });
    });

    it('is for admin keys only: app and pos keys get 403, no key 401', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const app = await createKey(t, adminKey, 'app');
      const pos = await createKey(t, adminKey, 'pos');
      await expectNothingBehind(t, programId, async () => {
        for (const key of [app.key, pos.key]) {
          const sent = await upload(t, key, reward.id, 'A-1\n');
          expect(sent.status).toBe(403);
          expect(sent.body.code).toBe('FORBIDDEN');
          const summary = await t.request('GET', `/v1/rewards/${reward.id}/codes/summary`, undefined, { key });
          expect(summary.status).toBe(403);
        }
        const anonymous = await upload(t, null as unknown as string, reward.id, 'A-1\n');
        expect(anonymous.status).toBe(401);
        expect(anonymous.body.code).toBe('UNAUTHENTICATED');
        expect((await t.request('GET', `/v1/rewards/${reward.id}/codes/summary`)).status).toBe(401);
      });
      // The app key still reads the reward and its stock.
      expect((await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: app.key })).body.stock).toBe(0);
    });

    it('answers NOT_FOUND for another program’s reward and for an unknown one, touching neither program', async () => {
      const mine = await t.newProgram();
      const theirs = await t.newProgram();
      const reward = await poolReward(t, theirs.adminKey);
      await uploaded(t, theirs.adminKey, reward.id, ['THEIRS-1']);
      const theirsBefore = await footprint(t, theirs.programId);
      await expectNothingBehind(t, mine.programId, async () => {
        for (const rewardId of [reward.id, UNKNOWN_REWARD]) {
          const sent = await upload(t, mine.adminKey, rewardId, 'MINE-1\n');
          expect(sent.status).toBe(404);
          expect(sent.body.code).toBe('NOT_FOUND');
          expect((await t.request('GET', `/v1/rewards/${rewardId}/codes/summary`, undefined, { key: mine.adminKey })).status).toBe(404);
        }
      });
      expect(await footprint(t, theirs.programId)).toEqual(theirsBefore);
    });
  });

  describe('a failed upload adds nothing', () => {
    it('refuses JSON valid for thousands of codes but broken at the end, leaving pool and stock as they were', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['BEFORE-1', 'BEFORE-2']);
      const codes = JSON.stringify(numbered('BROKEN', 0, 20_000));
      await expectNothingBehind(t, programId, async () => {
        for (const payload of [`{"codes":${codes.slice(0, -1)}`, `{"codes":${codes.slice(0, -1)},"BROKEN-LAST]}`, `{"codes":${codes.slice(0, -1)},}`]) {
          const response = await upload(t, adminKey, reward.id, payload, { contentType: 'application/json' });
          expect(response.status).toBe(400);
          expect(response.body.errors).toEqual([expect.objectContaining({ path: '/body' })]);
        }
        const csv = `${numbered('BROKEN', 0, 20_000).join('\n')}\n"BROKEN-LAST\n`;
        expect((await upload(t, adminKey, reward.id, csv, { contentType: 'text/csv' })).status).toBe(400);
      });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 2, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(2);
    });

    it('fails cleanly when the body breaks after part of it was already received: no stray error, nothing added', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['BEFORE-1']);
      const codes = numbered('PIECES', 0, 20_000);
      const cases: Array<[string[], string, number]> = [
        [[`{"codes":${JSON.stringify(codes).slice(0, -1)}`, ',"PIECES-LAST]}'], 'application/json', 400],
        [[`${codes.join('\n')}\n`, '"PIECES-LAST\n'], 'text/csv', 400],
        // Over the limit only with its last piece.
        [[`${numbered('PIECES', 0, 35_000).join('\n')}\n`, `${numbered('LATE', 0, 5_000).join('\n')}\n`], 'text/plain', 413],
      ];
      const [over] = cases.filter(([, , status]) => status === 413).map(([pieces]) => pieces.map((piece) => Buffer.byteLength(piece)));
      expect([over![0]! < TEST_UPLOAD_LIMIT_BYTES, over![0]! + over![1]! > TEST_UPLOAD_LIMIT_BYTES]).toEqual([true, true]);
      await expectNothingBehind(t, programId, async () => {
        for (const [pieces, contentType, status] of cases) {
          const uncaught = await uncaughtDuring(async () => {
            const response = await uploadInPieces(t, adminKey, reward.id, pieces, contentType);
            expect(response.status, contentType).toBe(status);
          });
          expect(uncaught, `uncaught errors after a ${contentType} upload answered ${status}`).toEqual([]);
        }
      });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 1, available: 1, issued: 0 });
    });

    it('refuses an upload over the size limit with 413 PAYLOAD_TOO_LARGE in every format, leaving nothing', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['BEFORE-1']);
      const codes = numbered('OVER', 0, 60_000); // 11 characters and a separator each: over the limit
      const bodies = [
        [codes.join('\n'), 'text/plain'],
        [`code\n${codes.join('\n')}`, 'text/csv'],
        [JSON.stringify({ codes }), 'application/json'],
      ] as const;
      await expectNothingBehind(t, programId, async () => {
        for (const [payload, contentType] of bodies) {
          expect(Buffer.byteLength(payload)).toBeGreaterThan(TEST_UPLOAD_LIMIT_BYTES);
          const response = await upload(t, adminKey, reward.id, payload, { contentType });
          expect(response.status, contentType).toBe(413);
          expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
        }
      });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 1, available: 1, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first report for the same key and body, adding nothing; another body is IDEMPOTENCY_KEY_REUSED', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const other = await poolReward(t, adminKey);
      const headers = { 'idempotency-key': 'upload-1' };
      const body = 'IDEM-1\nIDEM-2\nidem-l\n';
      const first = await upload(t, adminKey, reward.id, body, { headers });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ added: 2, duplicated: { count: 1, lines: [3] } });
      const after = await footprint(t, programId);

      const retry = await upload(t, adminKey, reward.id, body, { headers });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(await footprint(t, programId)).toEqual(after);

      for (const [rewardId, payload, contentType] of [
        [reward.id, 'IDEM-1\nIDEM-2\nIDEM-3\n', 'text/plain'],
        [reward.id, body, 'text/csv'],
        [other.id, body, 'text/plain'],
      ] as const) {
        const reused = await upload(t, adminKey, rewardId, payload, { headers, contentType });
        expect(reused.status).toBe(422);
        expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      expect(await footprint(t, programId)).toEqual(after);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 2, issued: 0 });
      expect(await stockOf(t, adminKey, other.id)).toBe(0);
    });

    it('makes one upload of five simultaneous requests with the same key', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const body = numbered('SAME', 0, 500).join('\n');
      const results = await Promise.all(Array.from({ length: 5 }, () => upload(t, adminKey, reward.id, body, { headers: { 'idempotency-key': 'same' } })));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill(201));
      expect(new Set(results.map((r) => r.body.uploadId)).size).toBe(1);
      expect(results.every((r) => r.body.added === 500)).toBe(true);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 500, available: 500, issued: 0 });
      expect(await countRows(t, 'voucher_codes', programId)).toBe(500);
    });

    it('does not remember a refused upload: the same key succeeds once the body is right', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const headers = { 'idempotency-key': 'fix-me' };
      expect((await upload(t, adminKey, reward.id, '{"codes": ["F-1"', { headers, contentType: 'application/json' })).status).toBe(400);
      const fixed = await upload(t, adminKey, reward.id, ['F-1'], { headers });
      expect(fixed.status).toBe(201);
      expect(fixed.body.added).toBe(1);
    });
  });

  describe('uploads at the same time', () => {
    it('counts each code of two overlapping uploads to one reward once as added and once as already present', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const first = numbered('OVERLAP', 0, 3_000);
      // The second runs through the overlap the other way round, so the two meet in the middle.
      const second = numbered('OVERLAP', 2_000, 5_000).reverse();
      const [a, b] = await Promise.all([upload(t, adminKey, reward.id, first.join('\n')), upload(t, adminKey, reward.id, second.join('\n'))]);
      expect([a!.status, b!.status]).toEqual([201, 201]);
      expect(a!.body.added + b!.body.added).toBe(5_000);
      expect(a!.body.alreadyPresent.count + b!.body.alreadyPresent.count).toBe(1_000);
      expect(a!.body.duplicated.count + b!.body.duplicated.count).toBe(0);
      expect(a!.body.added + a!.body.alreadyPresent.count).toBe(3_000);
      expect(b!.body.added + b!.body.alreadyPresent.count).toBe(3_000);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 5_000, available: 5_000, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(5_000);

      const rows = await poolRows(t, programId, reward.id);
      expect(rows).toHaveLength(5_000);
      expect(new Set(rows.map((r) => r.code))).toEqual(new Set([...first, ...second]));
      expect(rows.filter((r) => r.upload_id === a!.body.uploadId)).toHaveLength(a!.body.added);
      expect(rows.filter((r) => r.upload_id === b!.body.uploadId)).toHaveLength(b!.body.added);
    });

    it('keeps two uploads to two rewards apart, a code both sent going to one of them', async () => {
      const { programId, adminKey } = await t.newProgram();
      const x = await poolReward(t, adminKey);
      const y = await poolReward(t, adminKey);
      const shared = numbered('BOTH', 0, 500);
      const [ax, ay] = await Promise.all([
        upload(t, adminKey, x.id, [...numbered('X', 0, 2_000), ...shared].join('\n')),
        upload(t, adminKey, y.id, [...shared, ...numbered('Y', 0, 2_000)].join('\n')),
      ]);
      expect([ax!.status, ay!.status]).toEqual([201, 201]);
      expect(ax!.body.added + ay!.body.added).toBe(4_500);
      expect(ax!.body.alreadyPresent.count + ay!.body.alreadyPresent.count).toBe(500);
      expect(await summaryOf(t, adminKey, x.id)).toEqual({ total: ax!.body.added, available: ax!.body.added, issued: 0 });
      expect(await summaryOf(t, adminKey, y.id)).toEqual({ total: ay!.body.added, available: ay!.body.added, issued: 0 });
      expect(await stockOf(t, adminKey, x.id)).toBe(ax!.body.added);
      expect(await stockOf(t, adminKey, y.id)).toBe(ay!.body.added);
      const xs = await poolRows(t, programId, x.id);
      const ys = await poolRows(t, programId, y.id);
      expect(xs.filter((r) => r.code!.startsWith('X-'))).toHaveLength(2_000);
      expect(ys.filter((r) => r.code!.startsWith('Y-'))).toHaveLength(2_000);
      expect(xs.filter((r) => r.code!.startsWith('BOTH-')).length + ys.filter((r) => r.code!.startsWith('BOTH-')).length).toBe(500);
    });
  });

  describe('an upload still arriving', () => {
    it('takes over from an upload whose process died once nothing has been heard of it for a minute', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      // What a process killed mid-upload leaves: a PENDING upload holding codes, and no one to finish it.
      const opened = await t.store.write((trx) => beginUpload(trx, t.clock, programId, reward.id, null));
      if (!('uploadId' in opened)) throw new Error('could not open an upload');
      const dead = newPendingUpload(programId, reward.id, opened.uploadId);
      await t.store.write(async (trx) => (await addBatch(trx, t.clock, dead, [{ line: 1, code: 'DEAD-1', normal: 'DEAD-1' }])).apply());

      const waiting = upload(t, adminKey, reward.id, 'DEAD-1\nNEW-2\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await registered(t, programId, reward.id)).toBe(1);
      t.clock.advance(61_000);
      const answer = await waiting;
      expect(answer.status).toBe(201);
      // The dead upload's code was not someone else's: it is added now.
      expect(answer.body).toMatchObject({ received: 2, added: 2, alreadyPresent: { count: 0 } });
      const uploads = await t.store.db.selectFrom('code_uploads').select(['id', 'status']).where('program_id', '=', programId).execute();
      expect(uploads).toEqual([{ id: answer.body.uploadId, status: 'COMPLETE' }]);
    });

    it('refuses to go on with an upload given up while it arrived, leaving none of its codes behind', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const before = await footprint(t, programId);
      const held = uploadHeldOpen(t, adminKey, reward.id, `${numbered('SLOW', 0, SPAN).join('\n')}\n`, 'text/plain');
      try {
        await until('the first span is in', () => registered(t, programId, reward.id), (n) => n === SPAN);
        // Its process looked dead to the sweep (the clock ran past a minute with no word from it).
        t.clock.advance(61_000);
        expect(await sweepAbandonedUploads(t.store, t.clock)).toBe(1);
      } finally {
        held.finish(`${numbered('SLOW', SPAN, SPAN + 10_000).join('\n')}\n`);
      }
      const answer = await held.answer;
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('CONFLICT');
      await until('its codes are removed', () => registered(t, programId, reward.id), (n) => n === 0);
      expect(await footprint(t, programId)).toEqual(before);
    });

    it('keeps its codes out of the pool until it completes: not counted, sold, found or validated', async () => {
      const { programId, adminKey } = await t.newProgram();
      const pos = await createKey(t, adminKey, 'pos');
      const reward = await poolReward(t, adminKey, { pricePoints: 1 });
      const userId = await memberWith(t, adminKey, 10);
      // A span of codes is written before the body ends.
      const codes = numbered('ARRIVING', 0, SPAN);
      const held = uploadHeldOpen(t, adminKey, reward.id, `${codes.join('\n')}\n`, 'text/plain');
      try {
        await until('the first span is in', () => registered(t, programId, reward.id), (n) => n === SPAN);
        expect(await summaryOf(t, adminKey, reward.id)).toEqual({
          total: 0,
          available: 0,
          issued: 0,
          upload: { id: expect.stringMatching(/^upl_/), status: 'PENDING', received: SPAN, added: SPAN, createdAt: expect.any(String) },
        });
        expect(await stockOf(t, adminKey, reward.id)).toBe(0);
        expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('OUT_OF_STOCK');
        expect((await validate(t, pos.key, { code: 'ARRIVING-000000' })).body).toMatchObject({ valid: false, reason: 'NOT_FOUND' });
        expect((await t.request('GET', '/v1/vouchers/lookup?code=ARRIVING-000000', undefined, { key: adminKey })).status).toBe(404);
      } finally {
        held.finish();
      }
      const done = await held.answer;
      expect(done.status).toBe(201);
      expect(done.body).toMatchObject({ received: SPAN, added: SPAN, pool: { total: SPAN, available: SPAN, issued: 0 } });
      expect(await stockOf(t, adminKey, reward.id)).toBe(SPAN);
      expect((await buy(t, adminKey, userId, reward.id)).body.voucher.code).toBe('ARRIVING-000000');
    });

    it('shows in the pool summary how far it has come as its batches are stored, and is gone from it once complete', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const other = await poolReward(t, adminKey);
      const spans = [numbered('FIRST', 0, SPAN), numbered('SECOND', 0, SPAN)];
      // A span is stored once it is full: each piece but the last fills one. A blank line is dealt
      // with (received) as invalid, and the second span repeats a code of the first.
      spans[1]![0] = spans[0]![0]!;
      const pieces = [`\n${spans[0]!.join('\n')}\n`, `${spans[1]!.join('\n')}\n`, 'LAST-1\n'];
      const sending = uploadPieceByPiece(t, adminKey, reward.id, pieces, 'text/plain');
      const seen: number[] = [];
      const progress = async (received: number) => {
        let upload: any;
        await until(`the summary shows ${received} lines received`, async () => {
          upload = (await summaryOf(t, adminKey, reward.id)).upload;
          if (upload) seen.push(upload.received);
          return upload?.received === received;
        });
        return upload;
      };
      let first: any;
      try {
        sending.next();
        first = await progress(SPAN + 1);
        expect(first).toEqual({ id: expect.stringMatching(/^upl_/), status: 'PENDING', received: SPAN + 1, added: SPAN, createdAt: expect.any(String) });
        // Its codes are not in the pool yet, and another pool of the program shows no upload.
        expect(await summaryOf(t, adminKey, reward.id)).toMatchObject({ total: 0, available: 0 });
        expect(await summaryOf(t, adminKey, other.id)).toEqual({ total: 0, available: 0, issued: 0 });
        sending.next();
        expect(await progress(2 * SPAN + 1)).toEqual({ ...first, received: 2 * SPAN + 1, added: 2 * SPAN - 1 });
      } finally {
        sending.end();
      }
      const answer = await sending.answer;
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ uploadId: first.id, received: 2 * SPAN + 2, added: 2 * SPAN, duplicated: { count: 1 } });
      expect(seen, 'the count never goes back').toEqual([...seen].sort((a, b) => a - b));
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2 * SPAN, available: 2 * SPAN, issued: 0 });
    });

    it('is no longer shown in the summary once nothing has been heard of it for a minute', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      // What a process killed mid-upload leaves: three lines read, the first two written, and no one to go on.
      const opened = await t.store.write((trx) => beginUpload(trx, t.clock, programId, reward.id, null));
      if (!('uploadId' in opened)) throw new Error('could not open an upload');
      const dead = newPendingUpload(programId, reward.id, opened.uploadId);
      dead.received = 3;
      const batch = [
        { line: 1, code: 'DEAD1', normal: 'DEAD1' },
        { line: 2, code: 'DEAD2', normal: 'DEAD2' },
      ];
      await t.store.write(async (trx) => (await addBatch(trx, t.clock, dead, batch, 1)).apply());
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({
        total: 0,
        available: 0,
        issued: 0,
        upload: { id: opened.uploadId, status: 'PENDING', received: 2, added: 2, createdAt: expect.any(String) },
      });
      t.clock.advance(61_000);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 0, available: 0, issued: 0 });
    });

    it('removes every code of an upload that fails after some of its batches were written', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['BEFORE-1']);
      const before = await footprint(t, programId);
      const held = uploadHeldOpen(t, adminKey, reward.id, `{"codes":${JSON.stringify(numbered('HALF', 0, SPAN + 5_000)).slice(0, -1)},`, 'application/json');
      try {
        await until('a span is in', () => registered(t, programId, reward.id), (n) => n >= SPAN);
      } finally {
        held.finish('}');
      }
      expect((await held.answer).status).toBe(400);
      expect(await footprint(t, programId)).toEqual(before);
    });

    it('lets an upload beside one still arriving wait its turn, so it adds the codes the other one then fails to', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const codes = numbered('CONTESTED', 0, SPAN);
      const failing = uploadHeldOpen(t, adminKey, reward.id, `{"codes":${JSON.stringify(codes).slice(0, -1)},`, 'application/json');
      let beside: Promise<Response> | undefined;
      try {
        await until('the failing upload’s span is in', () => registered(t, programId, reward.id), (n) => n === SPAN);
        beside = upload(t, adminKey, reward.id, `${codes.join('\n')}\n`);
        // It waits while the first is arriving: nothing of it is in yet.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await registered(t, programId, reward.id)).toBe(SPAN);
      } finally {
        failing.finish('}'); // broken JSON: this upload fails and is removed
      }
      expect((await failing.answer).status).toBe(400);
      const answer = await beside!;
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ received: SPAN, added: SPAN, alreadyPresent: { count: 0 } });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: SPAN, available: SPAN, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(SPAN);
    });

    it('removes every code of an upload whose body is cut off part-way', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['BEFORE-1']);
      const before = await footprint(t, programId);
      async function* cutOff() {
        yield Buffer.from(`${numbered('CUT', 0, 15_000).join('\n')}\n`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('the connection was lost');
      }
      const answer = await t.app
        .inject({
          method: 'POST',
          url: `/v1/rewards/${reward.id}/codes`,
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/plain' },
          payload: Readable.from(cutOff()),
        })
        .then((response) => response.statusCode)
        .catch(() => 'no answer');
      expect(answer === 'no answer' || (typeof answer === 'number' && answer >= 400 && answer < 500), `answered ${answer}`).toBe(true);
      // Nothing may stay behind once the upload has been dealt with (its removal may end after the answer).
      await until('the cut-off upload is removed', async () => JSON.stringify(await footprint(t, programId)) === JSON.stringify(before)).catch(() => {});
      expect(await footprint(t, programId)).toEqual(before);
    });

    it('keeps the codes when a retry with the same Idempotency-Key arrives while the first is still being received', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey);
      const body = `${numbered('RETRIED', 0, SPAN).join('\n')}\n`;
      const headers = { 'idempotency-key': 'slow-upload' };
      const first = uploadHeldOpen(t, adminKey, reward.id, body, 'text/plain', headers);
      let retrying: Promise<Response> | undefined;
      try {
        await until('the first attempt’s span is in', () => registered(t, programId, reward.id), (n) => n === SPAN);
        // The client gave up waiting and sent the same upload again, with the same key: it waits its turn.
        retrying = upload(t, adminKey, reward.id, body, { headers });
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        first.finish();
      }
      const original = await first.answer;
      expect(original.status).toBe(201);
      const retry = await retrying!;
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      // One upload happened, and both answers tell of it.
      expect(original.body).toEqual(retry.body);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: SPAN, available: SPAN, issued: 0 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(SPAN);
    });
  });

  describe('handing out pool codes', () => {
    it('starts a POOL reward out of stock, and gives each sale one code in upload order, spelled as the partner did', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 1 });
      expect(reward.stock).toBe(0);
      const userId = await memberWith(t, adminKey, 100);
      expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('OUT_OF_STOCK');

      await uploaded(t, adminKey, reward.id, ['  Zeta-Code 1 ', 'alpha-2', 'MIDDLE-3']);
      await uploaded(t, adminKey, reward.id, ['Aardvark-4', 'ZZ-5']);
      expect(await stockOf(t, adminKey, reward.id)).toBe(5);

      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await buy(t, adminKey, userId, reward.id);
        expect(response.status).toBe(201);
        expect(response.body.voucher).toMatchObject({ status: 'ACTIVE', rewardId: reward.id });
        codes.push(response.body.voucher.code);
      }
      const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
      expect(gift.status).toBe(201);
      codes.push(gift.body.code);
      expect(codes).toEqual(['Zeta-Code 1', 'alpha-2', 'MIDDLE-3', 'Aardvark-4', 'ZZ-5']);

      expect(await stockOf(t, adminKey, reward.id)).toBe(0);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 5, available: 0, issued: 5 });
      expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('OUT_OF_STOCK');
      expect((await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey })).body.code).toBe('OUT_OF_STOCK');
      expect(await balanceOf(t, adminKey, userId)).toBe(96);

      // The register ties each code to its voucher; REDEEMED_VOUCHER carries it as shown.
      const vouchers = await t.store.db.selectFrom('vouchers').select(['id', 'code']).where('program_id', '=', programId).execute();
      const rows = await poolRows(t, programId, reward.id);
      expect(new Map(rows.map((r) => [r.voucher_id, r.code]))).toEqual(new Map(vouchers.map((v) => [v.id, v.code])));
      const redeemed = await eventsOfType(t, adminKey, 'REDEEMED_VOUCHER');
      expect(redeemed.map((e) => e.data.code)).toEqual(codes);
    });

    it('hands out exactly 300 codes to 600 simultaneous buyers of a pool of 300', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 5, lowStockThreshold: 100 });
      const pool = numbered('DRAIN', 0, 300);
      await uploaded(t, adminKey, reward.id, pool);
      const buyers = await inBatches(600, 200, () => memberWith(t, adminKey, 5));

      const results = await Promise.all(buyers.map((userId) => buy(t, adminKey, userId, reward.id)));
      const sold = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 409 && r.body.code === 'OUT_OF_STOCK');
      expect(sold).toHaveLength(300);
      expect(refused).toHaveLength(300);

      const codes = sold.map((r) => r.body.voucher.code as string);
      expect(new Set(codes).size).toBe(300);
      expect(new Set(codes)).toEqual(new Set(pool));
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 300, available: 0, issued: 300 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(0);

      // Every code went to the voucher that shows it, and only the buyers who got a code paid.
      const rows = await poolRows(t, programId, reward.id);
      expect(new Map(rows.map((r) => [r.voucher_id, r.code]))).toEqual(new Map(sold.map((r) => [r.body.voucher.id, r.body.voucher.code])));
      const paid = await t.store.db.selectFrom('users').select(['id', 'balance']).where('program_id', '=', programId).execute();
      const winners = new Set(sold.map((r) => r.body.purchase.userId));
      expect(paid.filter((u) => u.balance !== (winners.has(u.id) ? 0 : 5))).toEqual([]);

      const empty = await eventsOfType(t, adminKey, 'CODE_POOL_EMPTY');
      expect(empty).toEqual([
        expect.objectContaining({ userId: null, data: { rewardId: reward.id, rewardName: 'Partner voucher', remaining: 0, lowStockThreshold: 100 } }),
      ]);
      const low = await eventsOfType(t, adminKey, 'CODE_POOL_LOW');
      expect(low.map((e) => e.data)).toEqual([{ rewardId: reward.id, rewardName: 'Partner voucher', remaining: 100, lowStockThreshold: 100 }]);
    });

    it('gives 200 simultaneous reveals of TWO_STEP vouchers 200 distinct codes of the pool', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 1, redemptionFlow: 'TWO_STEP' });
      const pool = numbered('REVEAL', 0, 200);
      await uploaded(t, adminKey, reward.id, pool);
      const buyers = await inBatches(200, 100, () => memberWith(t, adminKey, 1));
      const bought = await Promise.all(buyers.map((userId) => buy(t, adminKey, userId, reward.id)));
      expect(bought.every((r) => r.status === 201 && r.body.voucher.status === 'PURCHASED' && r.body.voucher.code === null)).toBe(true);
      expect(await stockOf(t, adminKey, reward.id)).toBe(0);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 200, available: 200, issued: 0 });

      const revealed = await Promise.all(bought.map((r) => reveal(t, adminKey, r.body.voucher.id)));
      expect(revealed.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(new Set(revealed.map((r) => r.body.code))).toEqual(new Set(pool));
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 200, available: 0, issued: 200 });
      const rows = await poolRows(t, programId, reward.id);
      expect(new Set(rows.map((r) => r.voucher_id))).toEqual(new Set(bought.map((r) => r.body.voucher.id)));
    });
  });

  describe('CODE_POOL_LOW and CODE_POOL_EMPTY', () => {
    it('emits CODE_POOL_LOW once per crossing of the threshold and CODE_POOL_EMPTY when the last code goes', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { name: 'Cinema ticket', pricePoints: 1, lowStockThreshold: 2 });
      const userId = await memberWith(t, adminKey, 100);
      const levels = async () => ({
        low: (await eventsOfType(t, adminKey, 'CODE_POOL_LOW')).map((e) => e.data.remaining),
        empty: (await eventsOfType(t, adminKey, 'CODE_POOL_EMPTY')).map((e) => e.data.remaining),
      });
      const sell = async () => expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);

      await uploaded(t, adminKey, reward.id, ['CT-1', 'CT-2', 'CT-3', 'CT-4']);
      await sell(); // 3 left
      expect(await levels()).toEqual({ low: [], empty: [] });
      await sell(); // 2 left: the threshold
      expect(await levels()).toEqual({ low: [2], empty: [] });
      await sell(); // 1 left
      expect(await levels()).toEqual({ low: [2], empty: [] });

      await uploaded(t, adminKey, reward.id, ['CT-5', 'CT-6', 'CT-7']); // 4 left
      expect(await levels()).toEqual({ low: [2], empty: [] });
      await sell(); // 3
      await sell(); // 2 again, after a refill: a new crossing
      expect(await levels()).toEqual({ low: [2, 2], empty: [] });
      const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey }); // 1
      expect(gift.status).toBe(201);
      await sell(); // 0
      expect(await levels()).toEqual({ low: [2, 2], empty: [0] });
      expect((await buy(t, adminKey, userId, reward.id)).body.code).toBe('OUT_OF_STOCK');
      expect(await levels()).toEqual({ low: [2, 2], empty: [0] });

      await uploaded(t, adminKey, reward.id, ['CT-8']);
      await sell();
      expect(await levels()).toEqual({ low: [2, 2], empty: [0, 0] });

      const [low] = await eventsOfType(t, adminKey, 'CODE_POOL_LOW');
      expect(low).toMatchObject({ userId: null, data: { rewardId: reward.id, rewardName: 'Cinema ticket', remaining: 2, lowStockThreshold: 2 } });
      const [empty] = await eventsOfType(t, adminKey, 'CODE_POOL_EMPTY');
      expect(empty!.data).toEqual({ rewardId: reward.id, rewardName: 'Cinema ticket', remaining: 0, lowStockThreshold: 2 });
    });

    it('with no threshold (or 0) emits only CODE_POOL_EMPTY', async () => {
      const { adminKey } = await t.newProgram();
      const none = await poolReward(t, adminKey, { pricePoints: 0 });
      const zero = await poolReward(t, adminKey, { pricePoints: 0, lowStockThreshold: 0 });
      const userId = await memberWith(t, adminKey, 0);
      for (const reward of [none, zero]) {
        await uploaded(t, adminKey, reward.id, [`${reward.id}-1`, `${reward.id}-2`]);
        expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
        expect((await buy(t, adminKey, userId, reward.id)).status).toBe(201);
      }
      expect(await eventsOfType(t, adminKey, 'CODE_POOL_LOW')).toEqual([]);
      expect((await eventsOfType(t, adminKey, 'CODE_POOL_EMPTY')).map((e) => [e.data.rewardId, e.data.lowStockThreshold])).toEqual([
        [none.id, null],
        [zero.id, 0],
      ]);
    });

    it('emits nothing, and keeps the code, when the sale that would take the last code fails', async () => {
      const { programId, adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 50, lowStockThreshold: 1 });
      await uploaded(t, adminKey, reward.id, ['LAST-1']);
      const poor = await memberWith(t, adminKey, 10);
      await expectNothingBehind(t, programId, async () => {
        expect((await buy(t, adminKey, poor, reward.id)).body.code).toBe('INSUFFICIENT_POINTS');
      });
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      const rich = await memberWith(t, adminKey, 50);
      expect((await buy(t, adminKey, rich, reward.id)).body.voucher.code).toBe('LAST-1');
      expect((await eventsOfType(t, adminKey, 'CODE_POOL_EMPTY')).map((e) => e.data.remaining)).toEqual([0]);
    });
  });

  describe('refunds of pool vouchers', () => {
    it('refunding an ACTIVE voucher gives the points back but neither its code nor the stock', async () => {
      const { adminKey } = await t.newProgram();
      const pos = await createKey(t, adminKey, 'pos');
      const reward = await poolReward(t, adminKey, { pricePoints: 10 });
      await uploaded(t, adminKey, reward.id, ['SEEN-1', 'NEXT-2']);
      const { userId, purchase, voucher } = await boughtBy(t, adminKey, reward);
      expect(voucher.code).toBe('SEEN-1');
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);

      const refunded = await refund(t, adminKey, purchase.id);
      expect(refunded.status).toBe(200);
      expect(refunded.body.voucher).toMatchObject({ status: 'VOIDED', code: 'SEEN-1' });
      expect(await balanceOf(t, adminKey, userId)).toBe(10);
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 1, issued: 1 });
      expect((await validate(t, pos.key, { code: 'seen-l' })).body).toMatchObject({ valid: false, reason: 'VOIDED', voucher: { id: voucher.id } });

      const next = await buy(t, adminKey, userId, reward.id);
      expect(next.body.voucher.code).toBe('NEXT-2');
      expect((await buy(t, adminKey, await memberWith(t, adminKey, 10), reward.id)).body.code).toBe('OUT_OF_STOCK');
    });

    it('TWO_STEP: voiding an unrevealed voucher gives its reserved code back to the stock, once', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 10, redemptionFlow: 'TWO_STEP' });
      await uploaded(t, adminKey, reward.id, ['VOID-1']);
      const bought = await boughtBy(t, adminKey, reward);
      expect(await stockOf(t, adminKey, reward.id)).toBe(0);
      expect((await t.request('POST', `/v1/vouchers/${bought.voucher.id}/void`, {}, { key: adminKey })).status).toBe(200);
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      // The purchase refunded afterwards gives the points back, but not a second unit of stock.
      expect((await refund(t, adminKey, bought.purchase.id)).status).toBe(200);
      expect(await balanceOf(t, adminKey, bought.userId)).toBe(10);
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      // The code nobody saw goes to the next buyer.
      const next = await boughtBy(t, adminKey, reward);
      expect((await reveal(t, adminKey, next.voucher.id)).body).toMatchObject({ status: 'ACTIVE', code: 'VOID-1' });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 1, available: 0, issued: 1 });
    });

    it('TWO_STEP: a purchase reserves stock, the code is taken at reveal, and refunding before the reveal returns the stock', async () => {
      const { adminKey } = await t.newProgram();
      const reward = await poolReward(t, adminKey, { pricePoints: 10, redemptionFlow: 'TWO_STEP' });
      await uploaded(t, adminKey, reward.id, ['TS-1', 'TS-2']);

      const first = await boughtBy(t, adminKey, reward);
      const second = await boughtBy(t, adminKey, reward);
      expect(first.voucher).toMatchObject({ status: 'PURCHASED', code: null });
      expect(await stockOf(t, adminKey, reward.id)).toBe(0);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 2, issued: 0 });
      // Both codes are spoken for, though neither is taken yet.
      expect((await buy(t, adminKey, await memberWith(t, adminKey, 10), reward.id)).body.code).toBe('OUT_OF_STOCK');

      // Refunded unrevealed: the reservation comes back, no code was used.
      expect((await refund(t, adminKey, second.purchase.id)).status).toBe(200);
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 2, issued: 0 });
      expect(await balanceOf(t, adminKey, second.userId)).toBe(10);
      expect((await reveal(t, adminKey, second.voucher.id)).body.code).toBe('INVALID_STATE');

      // Revealed: it takes the first code; refunding then returns neither code nor stock.
      const revealed = await reveal(t, adminKey, first.voucher.id);
      expect(revealed.body).toMatchObject({ status: 'ACTIVE', code: 'TS-1' });
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 1, issued: 1 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      expect((await refund(t, adminKey, first.purchase.id)).status).toBe(200);
      expect(await stockOf(t, adminKey, reward.id)).toBe(1);
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 1, issued: 1 });

      const third = await boughtBy(t, adminKey, reward);
      expect((await reveal(t, adminKey, third.voucher.id)).body.code).toBe('TS-2');
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 0, issued: 2 });
      expect(await stockOf(t, adminKey, reward.id)).toBe(0);
    });
  });

  describe('validating pool codes', () => {
    it('burns a handed-out code typed in any spelling once; again is ALREADY_BURNED; a reversal makes it ACTIVE again', async () => {
      const { adminKey } = await t.newProgram();
      const pos = await createKey(t, adminKey, 'pos');
      const reward = await poolReward(t, adminKey, { incentives: [{ type: 'AMOUNT_OFF', value: 500, currency: 'EUR' }] });
      await uploaded(t, adminKey, reward.id, ['Partner-OIL-001', 'PARTNER-NOT-SOLD']);
      const { userId, voucher } = await boughtBy(t, adminKey, reward);
      expect(voucher.code).toBe('Partner-OIL-001');

      const burn = await validate(t, pos.key, { code: ' partner - o1l - ool ', reference: 'till-1/tx-1' });
      expect(burn.status).toBe(200);
      expect(burn.body).toMatchObject({
        valid: true,
        reason: null,
        burned: true,
        replayed: false,
        voucher: { id: voucher.id, code: 'Partner-OIL-001', status: 'BURNED', userId, rewardId: reward.id },
        reward: { id: reward.id, name: 'Partner voucher' },
        incentives: [{ type: 'AMOUNT_OFF', value: 500, currency: 'EUR' }],
      });
      const burned = await eventsOfType(t, adminKey, 'BURNED_VOUCHER');
      expect(burned.map((e) => e.data)).toEqual([expect.objectContaining({ voucherId: voucher.id, code: 'Partner-OIL-001', validationId: burn.body.validation.id })]);

      const retry = await validate(t, pos.key, { code: 'PARTNER-OIL-001', reference: 'till-1/tx-1' });
      expect(retry.body).toEqual({ ...burn.body, replayed: true });
      const again = await validate(t, pos.key, { code: 'Partner-OIL-001' });
      expect(again.body).toMatchObject({ valid: false, reason: 'ALREADY_BURNED', burned: false, voucher: { id: voucher.id, status: 'BURNED' } });

      const reversal = await t.request('POST', `/v1/voucher-validations/${burn.body.validation.id}/reversal`, {}, { key: pos.key });
      expect(reversal.status).toBe(200);
      expect(reversal.body.voucher).toMatchObject({ id: voucher.id, status: 'ACTIVE', code: 'Partner-OIL-001' });
      expect((await validate(t, pos.key, { code: misspelled('PARTNER-OIL-001') })).body).toMatchObject({ valid: true, burned: true });
      expect(await eventsOfType(t, adminKey, 'BURNED_VOUCHER')).toHaveLength(2);
    });

    it('does not know a pool code that has not been handed out: NOT_FOUND, and the support lookup answers 404', async () => {
      const { programId, adminKey } = await t.newProgram();
      const pos = await createKey(t, adminKey, 'pos');
      const reward = await poolReward(t, adminKey);
      await uploaded(t, adminKey, reward.id, ['SOLD-1', 'UNSOLD-2']);
      const { voucher } = await boughtBy(t, adminKey, reward);

      const unsold = await validate(t, pos.key, { code: 'unsold-2' });
      expect(unsold.status).toBe(200);
      expect(unsold.body).toMatchObject({ valid: false, reason: 'NOT_FOUND', burned: false, incentives: [] });
      expect(unsold.body).not.toHaveProperty('voucher');
      expect(unsold.body).not.toHaveProperty('reward');
      const lookup = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent('unsold-2')}`, undefined, { key: adminKey });
      expect(lookup.status).toBe(404);
      expect(lookup.body.code).toBe('NOT_FOUND');
      expect(await summaryOf(t, adminKey, reward.id)).toEqual({ total: 2, available: 1, issued: 1 });
      const row = await t.store.db.selectFrom('voucher_codes').select('voucher_id').where('program_id', '=', programId).where('code_normal', '=', 'UNS01D2').executeTakeFirstOrThrow();
      expect(row.voucher_id).toBeNull();

      const found = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(' s o l d - l ')}`, undefined, { key: adminKey });
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ id: voucher.id, code: 'SOLD-1' });
    });
  });
});

describeEachEngine('static codes', (t) => {
  /** A program with a pos key and a STATIC reward. */
  async function setup(staticCode = 'Summer-24', fields: Record<string, unknown> = {}) {
    const { programId, adminKey } = await t.newProgram();
    const pos = await createKey(t, adminKey, 'pos');
    const reward = await staticReward(t, adminKey, staticCode, fields);
    return { programId, adminKey, pos, reward };
  }

  const burnedEvents = async (key: string) => eventsOfType(t, key, 'BURNED_VOUCHER');

  it('gives every buyer an ACTIVE voucher showing the static code', async () => {
    const { adminKey, reward } = await setup();
    const one = await boughtBy(t, adminKey, reward);
    const two = await boughtBy(t, adminKey, reward);
    for (const { voucher } of [one, two]) expect(voucher).toMatchObject({ status: 'ACTIVE', code: 'Summer-24', rewardId: reward.id });
    expect(one.voucher.id).not.toBe(two.voucher.id);
    expect(reward.stock).toBeNull();
  });

  it('validates the code in any spelling, again and again, without burning: recorded, no BURNED_VOUCHER', async () => {
    const { programId, adminKey, pos, reward } = await setup('Summer-24', { incentives: [{ type: 'PERCENTAGE', value: 10 }] });
    const { voucher } = await boughtBy(t, adminKey, reward);
    const answers = [];
    for (const code of ['Summer-24', ' s u m m e r - 2 4 ', 'SUMMER-24', 'summer-24']) {
      const response = await validate(t, pos.key, { code, venue: 'store-1' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        valid: true,
        reason: null,
        burned: false,
        replayed: false,
        reward: { id: reward.id, name: 'Summer offer' },
        incentives: [{ type: 'PERCENTAGE', value: 10 }],
      });
      expect(response.body.validation.id).toMatch(/^val_/);
      answers.push(response.body);
    }
    expect(new Set(answers.map((a) => a.validation.id)).size).toBe(4);
    expect(await burnedEvents(adminKey)).toEqual([]);
    const rows = await t.store.db.selectFrom('validations').select(['valid', 'burned', 'reason', 'venue']).where('program_id', '=', programId).execute();
    expect(rows.map((r) => [Number(r.valid), Number(r.burned), r.reason, r.venue])).toEqual(Array(4).fill([1, 0, null, 'store-1']));
    expect((await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body).toMatchObject({ status: 'ACTIVE', burnedAt: null });

    // With a basket the incentives are applied; a dry run records nothing.
    const withBasket = await validate(t, pos.key, { code: 'summer-24', basket: { currency: 'GBP', total: 2000 } });
    expect(withBasket.body).toMatchObject({ valid: true, burned: false, discount: { currency: 'GBP', amount: 200 } });
    const dry = await validate(t, pos.key, { code: 'summer-24', dryRun: true });
    expect(dry.body).toMatchObject({ valid: true, burned: false, validation: null });
    expect(await t.store.db.selectFrom('validations').select('id').where('program_id', '=', programId).execute()).toHaveLength(5);
  });

  it('with userId stands for that member’s voucher: none is WRONG_USER, voided is VOIDED, otherwise valid with the voucher', async () => {
    const { programId, adminKey, pos, reward } = await setup();
    const holder = await boughtBy(t, adminKey, reward);
    const externalId = (await t.request('GET', `/v1/users/${holder.userId}`, undefined, { key: adminKey })).body.externalId;
    const stranger = await createMember(t, adminKey);

    expect((await validate(t, pos.key, { code: 'SUMMER-24', userId: stranger })).body).toMatchObject({ valid: false, reason: 'WRONG_USER', burned: false });
    expect((await validate(t, pos.key, { code: 'SUMMER-24', userId: 'nobody-at-all' })).body.reason).toBe('WRONG_USER');

    for (const userId of [holder.userId, externalId]) {
      const response = await validate(t, pos.key, { code: 'summer-24', userId });
      expect(response.body).toMatchObject({
        valid: true,
        reason: null,
        burned: false,
        voucher: { id: holder.voucher.id, code: 'Summer-24', status: 'ACTIVE', userId: holder.userId },
        reward: { id: reward.id },
      });
      expect(response.body.validation.id).toMatch(/^val_/);
    }
    const shown = (await t.request('GET', `/v1/vouchers/${holder.voucher.id}`, undefined, { key: adminKey })).body;
    expect(shown.status).toBe('ACTIVE');
    expect(shown.validations).toHaveLength(2);
    expect(shown.validations.every((v: { valid: boolean; burned: boolean }) => v.valid && !v.burned)).toBe(true);
    expect(await burnedEvents(adminKey)).toEqual([]);

    // Voided: the member's voucher is refused, and the code still works for everyone else.
    const voidedHolder = await boughtBy(t, adminKey, reward);
    expect((await t.request('POST', `/v1/vouchers/${voidedHolder.voucher.id}/void`, {}, { key: adminKey })).status).toBe(200);
    expect((await validate(t, pos.key, { code: 'SUMMER-24', userId: voidedHolder.userId })).body).toMatchObject({
      valid: false,
      reason: 'VOIDED',
      voucher: { id: voidedHolder.voucher.id, status: 'VOIDED' },
    });
    expect((await validate(t, pos.key, { code: 'SUMMER-24' })).body.valid).toBe(true);
    // Given another, the member holds an ACTIVE voucher too, and that one answers.
    const again = await t.request('POST', `/v1/users/${voidedHolder.userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
    expect(again.body).toMatchObject({ status: 'ACTIVE', code: 'Summer-24' });
    expect((await validate(t, pos.key, { code: 'SUMMER-24', userId: voidedHolder.userId })).body).toMatchObject({ valid: true, voucher: { id: again.body.id } });

    const linked = await t.store.db.selectFrom('validations').select('voucher_id').where('program_id', '=', programId).where('voucher_id', 'is not', null).execute();
    expect(linked).toHaveLength(4);
  });

  it('answers EXPIRED once the reward’s validUntil has passed, with or without userId', async () => {
    const validUntil = new Date(t.clock.now().getTime() + DAY).toISOString();
    const { adminKey, pos, reward } = await setup('WINTER-25', { validUntil });
    const { userId } = await boughtBy(t, adminKey, reward);
    expect((await validate(t, pos.key, { code: 'winter-25' })).body.valid).toBe(true);
    t.clock.advance(2 * DAY);
    try {
      expect((await validate(t, pos.key, { code: 'winter-25' })).body).toMatchObject({ valid: false, reason: 'EXPIRED', burned: false, reward: { id: reward.id } });
      expect((await validate(t, pos.key, { code: 'winter-25', userId })).body).toMatchObject({ valid: false, reason: 'EXPIRED', voucher: { status: 'EXPIRED' } });
    } finally {
      t.clock.advance(-2 * DAY);
    }
  });

  it('applies the reward’s venues (WRONG_VENUE)', async () => {
    const { adminKey, pos, reward } = await setup('VENUE-1', { venues: ['store-1'] });
    expect((await validate(t, pos.key, { code: 'VENUE-1' })).body).toMatchObject({ valid: false, reason: 'WRONG_VENUE' });
    expect((await validate(t, pos.key, { code: 'VENUE-1', venue: 'store-2' })).body.reason).toBe('WRONG_VENUE');
    expect((await validate(t, pos.key, { code: 'VENUE-1', venue: 'store-1' })).body).toMatchObject({ valid: true, burned: false });
    const bound = await createKey(t, adminKey, 'pos', { venue: 'store-1' });
    expect((await validate(t, bound.key, { code: 'venue-l' })).body.valid).toBe(true);
    expect(reward.venues).toEqual(['store-1']);
  });

  it('refuses to reverse a static validation (INVALID_STATE)', async () => {
    const { adminKey, pos } = await setup();
    const check = await validate(t, pos.key, { code: 'SUMMER-24' });
    const reversal = await t.request('POST', `/v1/voucher-validations/${check.body.validation.id}/reversal`, {}, { key: pos.key });
    expect(reversal.status).toBe(409);
    expect(reversal.body.code).toBe('INVALID_STATE');
    expect((await t.request('POST', `/v1/voucher-validations/${check.body.validation.id}/reversal`, {}, { key: adminKey })).body.code).toBe('INVALID_STATE');
  });

  it('moves to a new staticCode: the old one is NOT_FOUND, the new one validates, and vouchers show it', async () => {
    const { adminKey, pos, reward } = await setup('OLD-CODE');
    const { voucher } = await boughtBy(t, adminKey, reward);
    const changed = await t.request('PATCH', `/v1/rewards/${reward.id}`, { staticCode: 'New-Code' }, { key: adminKey });
    expect(changed.status).toBe(200);
    expect(changed.body.staticCode).toBe('New-Code');

    expect((await validate(t, pos.key, { code: 'OLD-CODE' })).body).toMatchObject({ valid: false, reason: 'NOT_FOUND' });
    expect((await validate(t, pos.key, { code: 'new-code' })).body).toMatchObject({ valid: true, burned: false, reward: { id: reward.id } });
    expect((await t.request('GET', `/v1/vouchers/${voucher.id}`, undefined, { key: adminKey })).body.code).toBe('New-Code');
    expect((await boughtBy(t, adminKey, reward)).voucher.code).toBe('New-Code');
    // The old code is free again.
    expect((await staticReward(t, adminKey, 'old-code')).staticCode).toBe('old-code');
  });

  it('refuses a staticCode any code of the program already has, in normal form: CONFLICT at /body/staticCode', async () => {
    const { programId, adminKey } = await t.newProgram();
    await staticReward(t, adminKey, 'SUMMER-24');
    const pool = await poolReward(t, adminKey);
    await uploaded(t, adminKey, pool.id, ['POOL-CODE-1']);
    const oneTime = await newReward(t, adminKey);
    const { voucher } = await boughtBy(t, adminKey, oneTime);

    await expectNothingBehind(t, programId, async () => {
      for (const clash of [' summer - 24 ', 'pool-code-l', misspelled(voucher.code).trim()]) {
        const response = await t.request(
          'POST',
          '/v1/rewards',
          { name: 'Clash', pricePoints: 1, codeType: 'STATIC', staticCode: clash, incentives: [] },
          { key: adminKey },
        );
        expect(response.status, clash).toBe(409);
        expect(response.body).toMatchObject({ code: 'CONFLICT', errors: [expect.objectContaining({ path: '/body/staticCode' })] });
      }
    });
    const rewards = (await t.request('GET', '/v1/rewards?limit=200', undefined, { key: adminKey })).body.data;
    expect(rewards).toHaveLength(3);

    // Changing a static code onto a taken one is refused the same way, and the old code stays.
    const other = await staticReward(t, adminKey, 'OTHER-STATIC');
    await expectNothingBehind(t, programId, async () => {
      const moved = await t.request('PATCH', `/v1/rewards/${other.id}`, { staticCode: 'Summer-24' }, { key: adminKey });
      expect(moved.status).toBe(409);
      expect(moved.body).toMatchObject({ code: 'CONFLICT', errors: [expect.objectContaining({ path: '/body/staticCode' })] });
    });
    const pos = await createKey(t, adminKey, 'pos');
    expect((await validate(t, pos.key, { code: 'other-static' })).body).toMatchObject({ valid: true, reward: { id: other.id } });
  });

  it('reports a pool code equal to a static code as already present', async () => {
    const { programId, adminKey } = await t.newProgram();
    const fixed = await staticReward(t, adminKey, 'SUMMER-24');
    const pool = await poolReward(t, adminKey);
    const report = (await upload(t, adminKey, pool.id, 'POOL-1\nsummer - 24\n')).body;
    expect(report).toMatchObject({ received: 2, added: 1, alreadyPresent: { count: 1, lines: [2] }, pool: { total: 1, available: 1, issued: 0 } });
    const owner = await t.store.db
      .selectFrom('voucher_codes')
      .select(['kind', 'reward_id'])
      .where('program_id', '=', programId)
      .where('code_normal', '=', normalizeCode('SUMMER-24'))
      .executeTakeFirstOrThrow();
    expect(owner).toEqual({ kind: 'STATIC', reward_id: fixed.id });
    // The pool reward's buyer gets the pool code, never the static one.
    expect((await boughtBy(t, adminKey, pool)).voucher.code).toBe('POOL-1');
  });
});

/**
 * What a test worker's in-process requests cannot show: real sockets. A refused upload must leave a
 * real server running, and the connection it came on usable.
 */
describe.each(engines)('a server process refusing uploads [%s]', (engine) => {
  const LIMIT = 262_144;
  let database: TestDatabase;
  let server: ServerProcess;
  let url: string;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    server = await startServer(database.url, { env: { TESSERA_UPLOAD_LIMIT_BYTES: String(LIMIT) } });
    const created = await send(false, 'POST', '/v1/rewards', JSON.stringify({ name: 'Pool', pricePoints: 1, codeType: 'POOL', incentives: [] }));
    expect(created.status).toBe(201);
    url = `/v1/rewards/${JSON.parse(created.text).id}/codes`;
    expect((await send(false, 'POST', url, 'KEEP-1\n', 'text/plain')).status).toBe(201);
  });

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
  });

  /** One request over `agent` (false: a connection of its own); a status of 'no answer' when none came in time. */
  const send = (agent: http.Agent | false, method: string, path: string, body?: string, contentType = 'application/json', timeoutMs = 20_000) =>
    new Promise<{ status: number | string; text: string }>((resolve) => {
      const target = new URL(path, server.url);
      const headers: Record<string, string | number> = { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}` };
      if (body !== undefined) Object.assign(headers, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      const request = http.request({ agent, host: target.hostname, port: target.port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      request.setTimeout(timeoutMs, () => {
        request.destroy();
        resolve({ status: 'no answer', text: '' });
      });
      request.on('error', (error) => resolve({ status: `failed: ${error.message}`, text: '' }));
      request.end(body);
    });

  const many = numbered('BROKEN', 0, 8_000); // about 130 kB, more than a span: within the limit
  const over = numbered('OVER', 0, 30_000); // about 360 kB: over it

  it('answers uploads broken at the end and uploads over the limit, in every format, and stays up', async () => {
    const refusals: Array<[string, string, number]> = [
      [`{"codes":${JSON.stringify(many).slice(0, -1)}`, 'application/json', 400],
      [`${many.join('\n')}\n"BROKEN-LAST\n`, 'text/csv', 400],
      [over.join('\n'), 'text/plain', 413],
      [`code\n${over.join('\n')}`, 'text/csv', 413],
      [JSON.stringify({ codes: over }), 'application/json', 413],
    ];
    for (const [payload, contentType, status] of refusals) {
      {
        expect((await send(false, 'POST', url, payload, contentType)).status, `${contentType} → ${status}`).toBe(status);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await send(false, 'GET', '/healthz', undefined, undefined, 5_000)).status, `up after a ${contentType} upload answered ${status}`).toBe(200);
      }
    }
    expect(JSON.parse((await send(false, 'GET', `${url}/summary`)).text)).toEqual({ total: 1, available: 1, issued: 0 });
  });

  it('answers the next request on a kept-alive connection after refusing an upload part-way through its body', async () => {
    const early = `{"codes": ["A-1",, ${JSON.stringify(many)}]}`; // broken in its first bytes, the rest unread
    for (const [payload, contentType, status] of [
      [over.join('\n'), 'text/plain', 413],
      [early, 'application/json', 400],
    ] as const) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expect((await send(agent, 'POST', url, payload, contentType)).status).toBe(status);
        // The same connection carries the next request.
        expect((await send(agent, 'GET', '/healthz', undefined, undefined, 5_000)).status, `the request after a ${status} on one connection`).toBe(200);
      } finally {
        agent.destroy();
      }
    }
  });
});

describe.each(engines)('a stalled upload [%s]', (engine) => {
  const t = useTestApp(engine, { config: { uploads: { ...TEST_UPLOAD_SETTINGS, idleMs: 1_500 } } });

  it('is given up once its sender has sent nothing for TESSERA_UPLOAD_IDLE_SECONDS, and the next upload of its program goes ahead', async () => {
    const { programId, adminKey } = await t.newProgram();
    const reward = await poolReward(t, adminKey);
    const stalled = uploadHeldOpen(t, adminKey, reward.id, '{"codes":["STALLED-1","STALLED-2",', 'application/json');
    try {
      const pending = () => t.store.db.selectFrom('code_uploads').select('id').where('program_id', '=', programId).where('status', '=', 'PENDING').execute();
      await until('the stalled upload is open', async () => (await pending()).length === 1);
      const next = await upload(t, adminKey, reward.id, 'NEXT-1\nNEXT-2\n');
      expect(next.status).toBe(201);
      expect(next.body).toMatchObject({ added: 2 });
      const given = await stalled.answer;
      expect(given.status).toBe(408);
      expect(given.body).toMatchObject({ code: 'REQUEST_TIMEOUT', detail: expect.stringContaining('TESSERA_UPLOAD_IDLE_SECONDS') });
      expect((await poolRows(t, programId, reward.id)).map((r) => r.code)).toEqual(['NEXT-1', 'NEXT-2']);
    } finally {
      stalled.finish(']}');
    }
  });
});

