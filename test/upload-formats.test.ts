import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_FIELD_BYTES, readUpload } from '../src/pools/upload-formats.js';

/** The codes text/plain reads from a body arriving in these chunks. */
async function linesOf(chunks: (string | Buffer)[]): Promise<unknown[]> {
  const lines: unknown[] = [];
  for await (const { line, raw } of readUpload(Readable.from(chunks.map((c) => Buffer.from(c))), 'text/plain')) {
    expect(line).toBe(lines.length + 1);
    lines.push(raw);
  }
  return lines;
}

describe('text/plain uploads', () => {
  it('end lines at LF, CRLF and CR alone, wherever the chunks are cut', async () => {
    expect(await linesOf(['A\r', '\nB\rC', '\r', '\n', 'D'])).toEqual(['A', 'B', 'C', 'D']);
    expect(await linesOf(['A\n\nB\r\rC\r\n\r\n'])).toEqual(['A', '', 'B', '', 'C', '']);
    const text = 'ONE\r\nTWO\rTHREE\nFOUR\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await linesOf([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(['ONE', 'TWO', 'THREE', 'FOUR']);
    }
  });

  it('keeps a byte-order mark out of the first code, and a character split between chunks whole', async () => {
    const euro = Buffer.from('€-1\n');
    expect(await linesOf([Buffer.from([0xef, 0xbb]), Buffer.concat([Buffer.from([0xbf]), euro.subarray(0, 2)]), euro.subarray(2)])).toEqual(['€-1']);
  });

  it('holds at most MAX_FIELD_BYTES of one line, however long it is and however it arrives', async () => {
    const lines = await linesOf(['A\n', ...Array.from({ length: 4096 }, () => 'x'.repeat(1024)), '\nB']);
    expect(lines.map((line) => (line as string).length)).toEqual([1, MAX_FIELD_BYTES, 1]);
  });
});
