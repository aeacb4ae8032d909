import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build` puts the console (from src/http or dist/http alike). */
export const CONSOLE_ROOT = path.resolve(import.meta.dirname, '../../dist/console');

const HIDDEN = { hide: true };

/**
 * Serves the web console's built files at /console. A path whose last segment has no dot is a
 * page of the app, answered with index.html so deep links survive a refresh; any other path is a
 * file (hashed assets, cached for good) or a 404.
 */
export async function registerConsole(app: FastifyInstance, root: string = CONSOLE_ROOT): Promise<void> {
  // Someone who opens the server's address in a browser lands in the console.
  app.get('/', { schema: HIDDEN }, async (_request, reply) => reply.redirect('/console'));
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run npm run build.\n');
    app.get('/console', { schema: HIDDEN }, notBuilt);
    app.get('/console/*', { schema: HIDDEN }, notBuilt);
    return;
  }

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false });
    const page = async (_request: unknown, reply: FastifyReply) =>
      reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

    scope.get('/console', { schema: HIDDEN }, page);
    scope.get<{ Params: { '*': string } }>('/console/*', { schema: HIDDEN }, async (request, reply) => {
      const file = request.params['*'];
      const last = file.split('/').pop() ?? '';
      if (!last.includes('.')) return page(request, reply);
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, { cacheControl: true, immutable, maxAge: immutable ? '365d' : 0 });
    });
  });
}
