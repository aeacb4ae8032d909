import { type Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { JSONParser } from '@streamparser/json-node';
import { parse as parseCsv } from 'csv-parse';
import { AppError, invalidField } from '../errors.js';

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

/** The body cannot be read in its format at all (broken JSON, an unclosed CSV quote). */
const malformed = (message: string) => invalidField('/body', message);

/** One code a line (LF or CRLF); a last line without its newline counts too. */
async function* plainLines(body: Readable): AsyncGenerator<UploadedCode> {
  const decoder = new StringDecoder('utf8');
  let line = 0;
  let rest = '';
  for await (const chunk of body) {
    let text = rest + decoder.write(chunk as Buffer);
    // Files saved by spreadsheet programs often begin with a byte-order mark: it is no part of the first code.
    if (line === 0 && rest === '' && text.startsWith('\uFEFF')) text = text.slice(1);
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const text of lines) yield { line: ++line, raw: text.endsWith('\r') ? text.slice(0, -1) : text };
  }
  rest += decoder.end();
  if (rest !== '') yield { line: ++line, raw: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}

/**
 * The first column of each record. The first record is a header, and skipped, when its first field
 * reads `code` (any case) or when `header` says so.
 */
async function* csvFirstColumn(body: Readable, header: boolean | undefined): AsyncGenerator<UploadedCode> {
  // pipeline, not pipe: a failing body (too large, cut off) must end the parse with its error.
  const parser = pipeline(body, parseCsv({ relax_column_count: true, info: true, bom: true, skip_empty_lines: false }), () => {});
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
      ? malformed(`The CSV cannot be read: ${error.message}`)
      : error;
  }
}

/** The elements of `{ "codes": [...] }`, one at a time: the array is never held whole. */
async function* jsonCodes(body: Readable): AsyncGenerator<UploadedCode> {
  const parser = new JSONParser({ paths: ['$.codes.*'], keepStack: false });
  let position = 0;
  try {
    for await (const { value } of pipeline(body, parser, () => {}) as AsyncIterable<{ value: unknown }>) {
      position++;
      yield { line: position, raw: value };
    }
  } catch (error) {
    throw error instanceof AppError ? error : malformed(`The JSON cannot be read: ${(error as Error).message}`);
  }
}

/** The codes of an upload body in one of the accepted formats, streamed. */
export function readUpload(body: Readable, format: UploadFormat, options: { header?: boolean } = {}): AsyncGenerator<UploadedCode> {
  if (format === 'text/csv') return csvFirstColumn(body, options.header);
  if (format === 'application/json') return jsonCodes(body);
  return plainLines(body);
}
