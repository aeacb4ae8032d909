import { type Readable, Transform, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { JSONParser } from '@streamparser/json-node';
import type { parse as parseCsv } from 'csv-parse';
import { AppError, invalidField } from '../errors.js';
import { loadWhenNeeded } from '../load-when-needed.js';

/** One code of an upload as it arrived, with where it stood: its line (text, CSV) or position (JSON). */
export interface UploadedCode {
  line: number;
  /** The text as given; not a string when a JSON element was something else. */
  raw: unknown;
}

export const UPLOAD_FORMATS = ['text/plain', 'text/csv', 'application/json'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

/** The format a Content-Type header names (its parameters, such as a charset, aside). */
export const uploadFormatOf = (contentType: string | undefined): UploadFormat =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase() as UploadFormat;

/** The body cannot be read in its format at all (broken JSON, an unclosed CSV quote); `predicate` follows "the body". */
const malformed = (predicate: string) => invalidField('/body', predicate);

/**
 * The most of one line, CSV record or JSON string an upload holds in memory: far more than any
 * code, so whatever is cut is too long to be a code all the same.
 */
export const MAX_FIELD_BYTES = 65_536;
/** How deep a JSON upload may nest: `{ "codes": [...] }` needs two. */
export const MAX_JSON_DEPTH = 16;

/**
 * One code a line, lines ending in LF, CRLF or CR alone; a last line without its end counts too. A
 * line is kept up to MAX_FIELD_BYTES characters (the rest is dropped as it arrives, so a line of any
 * length costs that much memory and time linear in its length); a cut line is too long to be a code.
 */
async function* plainLines(body: Readable): AsyncGenerator<UploadedCode> {
  const decoder = new StringDecoder('utf8');
  const breaks = /\r\n?|\n/g;
  let line = 0;
  let current = '';
  let started = false;
  // A CR ended the last chunk: an LF opening the next one belongs to it.
  let afterCr = false;
  const keep = (text: string, from: number, to: number) => {
    if (current.length < MAX_FIELD_BYTES) current += text.slice(from, Math.min(to, from + MAX_FIELD_BYTES - current.length));
  };
  const pieces = async function* (text: string): AsyncGenerator<UploadedCode> {
    let at = afterCr && text.startsWith('\n') ? 1 : 0;
    if (text !== '') afterCr = false;
    breaks.lastIndex = at;
    for (let found = breaks.exec(text); found !== null; found = breaks.exec(text)) {
      keep(text, at, found.index);
      yield { line: ++line, raw: current };
      current = '';
      at = breaks.lastIndex;
      if (found[0] === '\r' && at === text.length) afterCr = true;
    }
    keep(text, at, text.length);
  };
  for await (const chunk of body) {
    let text = decoder.write(chunk as Buffer);
    // Files saved by spreadsheet programs often begin with a byte-order mark: it is no part of the first code.
    if (!started && text !== '') {
      started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    yield* pieces(text);
  }
  yield* pieces(decoder.end());
  if (current !== '') yield { line: ++line, raw: current };
}

/**
 * The first column of each record. The first record is a header, and skipped, when its first field
 * reads `code` (any case) or when `header` says so.
 */
async function* csvFirstColumn(body: Readable, header: boolean | undefined): AsyncGenerator<UploadedCode> {
  // pipeline, not pipe: a failing body (too large, cut off) must end the parse with its error.
  const { parse } = loadWhenNeeded<{ parse: typeof parseCsv }>('csv-parse');
  const parser = pipeline(body, parse({ relax_column_count: true, info: true, bom: true, skip_empty_lines: false, max_record_size: MAX_FIELD_BYTES }), () => {});
  let first = true;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const isHeader = first && (header ?? /^code$/i.test((record[0] ?? '').trim()));
      first = false;
      if (isHeader) continue;
      yield { line: info.lines, raw: record[0] ?? '' };
    }
  } catch (error) {
    throw error instanceof Error && 'code' in error && String(error.code).startsWith('CSV_')
      ? malformed(`is CSV that cannot be read: ${error.message}`)
      : error;
  }
}

/** The elements of `{ "codes": [...] }`, one at a time: the array is never held whole. */
async function* jsonCodes(body: Readable): AsyncGenerator<UploadedCode> {
  const { JSONParser: Parser } = loadWhenNeeded<{ JSONParser: typeof JSONParser }>('@streamparser/json-node');
  const parser = new Parser({ paths: ['$.codes.*'], keepStack: false });
  let position = 0;
  try {
    for await (const { value } of pipeline(body, jsonBounds(), parser, () => {}) as AsyncIterable<{ value: unknown }>) {
      position++;
      yield { line: position, raw: value };
    }
  } catch (error) {
    throw error instanceof AppError ? error : malformed(`is JSON that cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Passes JSON through unchanged while checking what the parser would have to hold: no nesting
 * deeper than MAX_JSON_DEPTH and no string longer than MAX_FIELD_BYTES (the parser keeps a frame a
 * level and a whole string, so either would grow memory with the input).
 */
function jsonBounds(): Transform {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let stringBytes = 0;
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) {
            inString = false;
            continue;
          }
          if (++stringBytes > MAX_FIELD_BYTES) return done(malformed(`holds a string longer than ${MAX_FIELD_BYTES} bytes, at byte ${offset + i}: no code is that long`));
        } else if (byte === QUOTE) {
          inString = true;
          stringBytes = 0;
        } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
          if (++depth > MAX_JSON_DEPTH) return done(malformed(`nests deeper than ${MAX_JSON_DEPTH} levels, at byte ${offset + i}; an upload is { "codes": [...] }`));
        } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
      }
      offset += chunk.length;
      done(null, chunk);
    },
  });
}

const [QUOTE, BACKSLASH, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT] = [...'"\\[]{}'].map((c) => c.charCodeAt(0));

/** The codes of an upload body in one of the accepted formats, streamed. */
export function readUpload(body: Readable, format: UploadFormat, options: { header?: boolean } = {}): AsyncGenerator<UploadedCode> {
  if (format === 'text/csv') return csvFirstColumn(body, options.header);
  if (format === 'application/json') return jsonCodes(body);
  return plainLines(body);
}
