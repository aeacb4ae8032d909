import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'safe-stable-stringify';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store.js';
import type { Db } from '../db/tables.js';
import { runIdempotent } from '../idempotency/run-idempotent.js';

export interface WriteOptions<T> {
  /** What an idempotent replay may show of the response: secrets shown once are left out. */
  replayable?: (body: T) => unknown;
  /** What identifies the request's body when it was streamed rather than parsed (a digest of it). */
  bodyDigest?: string;
  /** Runs before a replayed response is sent, when the work did not run. */
  onReplay?: () => Promise<void>;
}

export type Write = <T>(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (trx: Db) => Promise<T>,
  options?: WriteOptions<T>,
) => Promise<void>;

/** What makes two requests "the same" for an idempotency key: route, path and body (key order ignored). */
function fingerprint(request: FastifyRequest, bodyDigest: string | undefined): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url.split('?')[0]}\n${bodyDigest ?? stringify(request.body ?? null)}`)
    .digest('hex');
}

/**
 * The one way a route changes data: runs `work` in a durable transaction and answers `status` with
 * its result, honouring the Idempotency-Key header when the caller sent one.
 */
export function makeWrite(store: Store, clock: Clock): Write {
  return async (request, reply, status, work, options = {}) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') {
      const body = await store.write(work);
      await reply.code(status).send(body);
      return;
    }
    const response = await store.write((trx) =>
      runIdempotent(
        trx,
        clock,
        { programId: request.caller.programId, apiKeyId: request.caller.keyId, key, fingerprint: fingerprint(request, options.bodyDigest) },
        async (db) => {
          const body = await work(db);
          return { status, body, stored: options.replayable ? options.replayable(body) : body };
        },
      ),
    );
    if (response.replayed) {
      await options.onReplay?.();
      reply.header('idempotent-replayed', 'true');
    }
    await reply.code(response.status).send(response.body);
  };
}
