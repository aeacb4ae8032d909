/** Socket and lookup failures in words an operator reads at a glance. */
const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_SOCKET: 'the connection broke',
  UND_ERR_CLOSED: 'the connection closed',
};

/**
 * What went wrong underneath an error: "connection refused: ECONNREFUSED". fetch throws "fetch
 * failed" with the reason in `cause`, and a connection tried on several addresses fails with an
 * AggregateError of them; both are looked through.
 */
export function describeCause(error: unknown): string {
  let found = error;
  for (let depth = 0; depth < 5; depth++) {
    if (found instanceof AggregateError && found.errors.length > 0 && !codeOf(found)) found = found.errors[0];
    else if (found instanceof Error && found.cause !== undefined && !codeOf(found)) found = found.cause;
    else break;
  }
  const code = codeOf(found);
  const message = found instanceof Error ? found.message : String(found);
  if (code !== undefined && WORDS[code] !== undefined) return `${WORDS[code]}: ${code}`;
  return message || code || 'no reason given';
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
};
