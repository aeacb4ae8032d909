/**
 * Whether an error says the database cannot serve right now, rather than that the request or the
 * code is wrong: the request may succeed if sent again shortly, so it is answered 503.
 *
 * - PostgreSQL away or restarting: its connection errors (class 08), shutdowns and "cannot connect
 *   now" (57P01–57P03), too many connections (53300), and the driver's own words for a connection
 *   that broke or never came.
 * - SQLite busy past its timeout, or its disk full (SQLITE_FULL).
 */
export function databaseUnavailable(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_FULL') return true;
  const message = error instanceof Error ? error.message : '';
  return DRIVER_MESSAGES.some((words) => message.includes(words));
}

// What node-postgres says when a connection ends under it or cannot be had.
const DRIVER_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];
