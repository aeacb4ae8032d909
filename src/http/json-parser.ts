import type { FastifyInstance } from 'fastify';
import { AppError, fieldError } from '../errors.js';

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return (value as string & { isWellFormed(): boolean }).isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormed);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => wellFormed(k) && wellFormed(v));
  return true;
}

/**
 * Fastify's JSON parser (prototype-poisoning safe), except that an empty body is accepted as "no
 * body", so action endpoints can be called with or without `{}`; routes that need a body say so.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) {
      done(null, undefined);
      return;
    }
    parse(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      // A lone surrogate (\ud800) is valid JSON but not text; engines would store it differently.
      if (!wellFormed(value)) return done(new AppError('VALIDATION_FAILED', 'The body holds a string that is not valid Unicode', [fieldError('/body', 'holds a string that is not valid Unicode')]), undefined);
      done(null, value);
    });
  });
}
