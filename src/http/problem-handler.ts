import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type FieldError, fieldError, problem } from '../errors.js';
import { databaseUnavailable } from '../db/unavailable.js';
import { fieldErrors } from './validation.js';

interface Mapped {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[] | undefined;
  headers?: Record<string, string> | undefined;
}

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** The content types a route reads: those its body schema names, else JSON. */
function acceptedTypes(request: FastifyRequest): string {
  const body = request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined;
  return Object.keys(body?.content ?? { 'application/json': true }).join(', ');
}

/** Every error becomes a problem+json answer here, and only here. */
function mapError(error: FastifyError & { code?: string }, request: FastifyRequest): Mapped {
  if (error instanceof AppError) {
    return { code: error.code, detail: error.detail, errors: error.errors, headers: error.headers };
  }
  if (error.validation) {
    const errors = fieldErrors(error.validation as never, error.validationContext ?? 'body');
    return {
      code: 'VALIDATION_FAILED',
      detail: errors.map((e) => e.message).join('; '),
      errors,
    };
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { code: 'VALIDATION_FAILED', detail: 'The body is not valid JSON', errors: [fieldError('/body', 'is not valid JSON')] };
  }
  if (databaseUnavailable(error)) {
    return { code: 'UNAVAILABLE', detail: 'The database cannot serve this request right now; retry shortly', headers: { 'retry-after': '1' } };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: `${error.message}; send the body as ${acceptedTypes(request)}` };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { code: 'PAYLOAD_TOO_LARGE', detail: `The body is larger than ${request.server.initialConfig.bodyLimit} bytes, the most this server reads (TESSERA_BODY_LIMIT_BYTES)` };
  }
  // Fastify's own 4xx errors (bad URL, bad content length, …) carry safe messages.
  const status = error.statusCode ?? 500;
  const byStatus = status >= 400 && status < 500 ? BY_STATUS[status] ?? 'VALIDATION_FAILED' : undefined;
  if (byStatus) return { code: byStatus, detail: error.message };
  return { code: status === 503 ? 'UNAVAILABLE' : 'INTERNAL', detail: 'An unexpected error occurred' };
}

export function sendProblem(reply: FastifyReply, mapped: Mapped) {
  const body = problem(mapped.code, mapped.detail, mapped.errors);
  if (mapped.headers) reply.headers(mapped.headers);
  return reply.code(body.status).type('application/problem+json').send(JSON.stringify(body));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = mapError(error, request);
    if (mapped.code === 'INTERNAL' || mapped.code === 'UNAVAILABLE') {
      request.log.error({ err: error }, 'request failed');
      // The details stay in the log; the caller gets the request id to quote.
      mapped.detail = `${mapped.detail} (request id ${request.id})`;
    }
    return sendProblem(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(app, path);
    // A path some route answers, asked with a method none does (a route that answers this method
    // and still finds nothing, such as a missing console file, is a plain 404).
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const allow = [...allowed, 'OPTIONS'].join(', ');
      if (request.method === 'OPTIONS') return reply.code(204).header('allow', allow).send();
      return sendProblem(reply, {
        code: 'METHOD_NOT_ALLOWED',
        detail: `${path} does not answer ${request.method}; it answers ${allowed.join(', ')}`,
        headers: { allow },
      });
    }
    return sendProblem(reply, { code: 'NOT_FOUND', detail: `There is no ${request.method} ${path}` });
  });
}

/** The methods routes are declared with, in the order an Allow header lists them. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods that have a route for this path (HEAD wherever GET does: Fastify adds it). */
function allowedMethods(app: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}
