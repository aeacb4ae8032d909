import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { AppError } from '../errors.js';
import { responses } from '../http/schemas.js';

const Status = Type.Object({ status: Type.String() });

export function registerOpsRoutes(app: Api, deps: Deps, registry: Registry): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the process is serving', response: responses({ 200: Status }) } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: the database answers', response: responses({ 200: Status }) } },
    async (request) => {
      try {
        await deps.store.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'database unreachable');
        throw new AppError('UNAVAILABLE', 'The database does not answer');
      }
      return { status: 'ready' };
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
