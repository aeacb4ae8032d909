import { describeCause } from './describe-cause.js';

/** A running Tessera server and the key the command line calls it with. */
export interface Server {
  url: string;
  key: string;
}

export interface CallOptions {
  /** What the request does, for the message when the server refuses it: "the upload". */
  doing: string;
  body?: ReadableStream | string;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * Sends one request and answers the server's JSON. A server that cannot be reached, or stops
 * answering, is named with the reason; a refusal throws the server's own explanation.
 */
export async function callServer<T>(server: Server, method: string, path: string, options: CallOptions): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.key}` };
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  let status: number;
  let text: string;
  try {
    const response = await fetch(endpoint(server.url, path), {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body, duplex: 'half' }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    } as RequestInit);
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new Error(`Cannot reach the Tessera server at ${server.url} (${describeCause(error)}). Is it running? Set TESSERA_URL or --url.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`The server at ${server.url} answered ${status} with something other than JSON: is it a Tessera server? Set TESSERA_URL or --url.`);
  }
  if (status < 200 || status > 299) {
    const detail = (body as { detail?: unknown } | null)?.detail;
    throw new Error(`The server refused ${options.doing} (${status}): ${typeof detail === 'string' ? detail : text}`);
  }
  return body as T;
}

/** `path` under the server's URL, which may itself have a path (a server behind a proxy at /tessera/). */
function endpoint(url: string, path: string): URL {
  const base = new URL(url);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(path.replace(/^\//, ''), base);
}
