import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/tables.js';
import { AppError } from '../errors.js';
import { authenticate } from '../keys/authenticate.js';
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

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

/** Establishes the caller before the body is even read: no key → 401, wrong role → 403. */
export function installCallerCheck(app: FastifyInstance, db: Db): void {
  app.decorateRequest('caller', null as unknown as Caller);
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.roles;
    if (roles === undefined) return;
    const key = presentedKey(request);
    if (key === undefined) {
      throw new AppError('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"');
    }
    const caller = key.length <= 256 ? await authenticate(db, key) : null;
    if (caller === null) throw new AppError('UNAUTHENTICATED', 'The API key is unknown or has been revoked');
    if (!roles.includes(caller.role)) {
      throw new AppError('FORBIDDEN', `A key with role "${caller.role}" may not call this endpoint`);
    }
    request.caller = caller;
  });
}
