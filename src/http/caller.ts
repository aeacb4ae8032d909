import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Clock, isoNow } from '../clock.js';
import type { Store } from '../db/store.js';
import { AppError } from '../errors.js';
import { type PresentedKey, authenticate } from '../keys/authenticate.js';
import { noteKeyUse } from '../keys/note-key-use.js';
import type { Caller, Role } from '../keys/roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed to call the route; a route without it is public. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    /** Set on every route that declares `roles`. */
    caller: Caller;
  }
}

/** The key each request authenticated with, for noting its use once answered. */
const used = new WeakMap<FastifyRequest, PresentedKey>();

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

/**
 * Establishes the caller before the body is even read: no key, or an unknown, revoked or expired
 * one → 401, wrong role → 403. Once the answer has gone, the key's use is noted (coarsely).
 */
export function installCallerCheck(app: FastifyInstance, store: Store, clock: Clock): void {
  app.decorateRequest('caller', null as unknown as Caller);
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.roles;
    if (roles === undefined) return;
    const key = presentedKey(request);
    if (key === undefined) {
      throw new AppError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"');
    }
    const presented = key.length <= 256 ? await authenticate(store.db, key) : null;
    if (presented === null) throw new AppError('UNAUTHENTICATED', 'The API key is unknown or has been revoked');
    if (presented.expiresAt !== null && presented.expiresAt <= isoNow(clock)) {
      throw new AppError('UNAUTHENTICATED', `The API key expired at ${presented.expiresAt}: an administrator can create a new one`);
    }
    const { caller } = presented;
    if (!roles.includes(caller.role)) {
      throw new AppError('FORBIDDEN', `A key with role "${caller.role}" may not call this endpoint`);
    }
    request.caller = caller;
    used.set(request, presented);
  });
  app.addHook('onResponse', async (request) => {
    const presented = used.get(request);
    if (presented !== undefined) noteKeyUse(store, clock, presented);
  });
}
