import { SingleBar } from 'cli-progress';

export interface CodesBar {
  /** Codes stored so far (lines dealt with). */
  update(stored: number): void;
  /** The report has arrived: the bar ends, at what it says was received. */
  finish(received: number): void;
  /** Stops where it is (the upload failed). */
  stop(): void;
}

/**
 * A progress bar of codes stored out of a file's codes: percentage, codes a second and time left,
 * on standard error so standard output keeps the report. Storing every line is not the end (the
 * upload still has to complete), so the bar stops one short of its end until `finish`.
 */
export function codesBar(total: number): CodesBar {
  const bar = new SingleBar({
    format: '{bar} {percentage}% | {stored} of {total} codes stored | {rate} codes/s | {eta_formatted} left',
    stream: process.stderr,
    etaBuffer: 20,
    hideCursor: true,
    // Piped to a file or a CI log: a line every few seconds instead of a redrawn bar.
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  const started = Date.now();
  let end = Math.max(total, 1);
  const rate = (stored: number) => Math.round(stored / Math.max((Date.now() - started) / 1000, 0.001));
  bar.start(end, 0, { stored: 0, rate: 0 });
  return {
    update(stored) {
      bar.update(Math.min(stored, end - 1), { stored, rate: rate(stored) });
    },
    finish(received) {
      if (received !== end) bar.setTotal((end = Math.max(received, 1)));
      bar.update(end, { stored: received, rate: rate(received) });
      bar.stop();
    },
    stop: () => bar.stop(),
  };
}
