/**
 * Codes gathered before their batches are written (a span); on SQLite, sorted by normal form first.
 * Random codes land all over the register's index, and each SQLite commit writes every index page
 * it touched to the log; sorted, a batch touches only its own stretch of the index, so each page is
 * written about once per span instead of once per batch (on a million codes: 1.4 times the rate,
 * and transactions a third as long). PostgreSQL logs rows, not pages, and goes faster unsorted.
 * A span costs about 150 bytes a code of memory for each upload being received.
 */
export const DEFAULT_SPAN_CODES = 50_000;

/** How uploads are received (TESSERA_UPLOAD_* settings). */
export interface UploadSettings {
  /** Largest upload; uploads are streamed, so this bounds disk and time, not memory. */
  limitBytes: number;
  /** An upload whose sender sends nothing for this long is given up, and its program's next upload goes ahead. */
  idleMs: number;
  /** Codes held, and on SQLite sorted, before they are written: memory per upload against speed. */
  spanCodes: number;
}
