import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request; `answer` decides each reply (null: hang). */
export async function startReceiver(options: { delayMs?: number } = {}) {
  const received: Received[] = [];
  const answers = new Map<string, (count: number) => number | null>();
  // Messages being received right now, by webhook-id, and any that arrived while already in flight.
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body });
      const id = String(request.headers['webhook-id']);
      if (inFlight.has(id)) overlaps.push(id);
      inFlight.add(id);
      // Until the answer is sent, or the sender gave up and closed the connection.
      response.on('close', () => inFlight.delete(id));
      const status = (answers.get(path) ?? (() => 200))(received.filter((r) => r.path === path).length);
      if (status === null) return; // hang: the sender must time out
      setTimeout(() => response.writeHead(status).end(), options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    answers,
    overlaps,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** Cuts every open connection, so a sender waiting on a hung answer sees it fail now. */
    hangUp: () => server.closeAllConnections(),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
