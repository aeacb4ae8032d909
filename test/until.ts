import { isDeepStrictEqual } from 'node:util';

export interface UntilOptions {
  /** How long what `read` answers may stay the same before the wait gives up (default 60 s). */
  stallMs?: number;
  /** How often to read (default 20 ms). */
  everyMs?: number;
}

/**
 * Reads until `done` holds for what `read` answers, and answers that.
 *
 * The wait is bounded by progress, not by the clock: it gives up only once what `read` answers has
 * stayed the same for `stallMs`. A busy machine makes the awaited thing slower, never stuck, so a
 * count that keeps growing is waited for however long it takes, and a stalled one fails with `what`
 * and the last value read. A yes/no condition cannot show progress: it has `stallMs` in all.
 */
export async function until<T>(
  what: string | (() => string),
  read: () => T | Promise<T>,
  done: (value: T) => boolean = (value) => Boolean(value),
  options: UntilOptions = {},
): Promise<T> {
  const { stallMs = 60_000, everyMs = 20 } = options;
  let last: T | undefined;
  let changedAt = Date.now();
  for (let first = true; ; first = false) {
    const value = await read();
    if (done(value)) return value;
    if (first || !isDeepStrictEqual(value, last)) {
      last = value;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > stallMs) {
      const description = typeof what === 'string' ? what : what();
      throw new Error(`gave up waiting for ${description}: nothing changed for ${stallMs / 1000} s (last read ${JSON.stringify(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
