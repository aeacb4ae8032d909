import { type TSchema, Type } from 'typebox';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { type IdKind, idPattern } from '../ids.js';

/** Shared request and response schemas. They validate, type the handlers and write the OpenAPI document. */

export const Id = (kind: IdKind, description?: string) =>
  Type.String({ pattern: idPattern(kind), ...(description ? { description } : {}) });

export const IdParams = (kind: IdKind) => Type.Object({ id: Id(kind) }, { additionalProperties: false });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });

/** Printable text without control characters, trimmed by the caller's own care. */
export const Text = (maxLength: number, minLength = 1) =>
  Type.String({ minLength, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

/** Marks a body schema that documents a streamed body: the handler reads it, validation does not. */
export const STREAMED = 'x-streamed';

export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The body of an action without settings: empty, or `{}`. */
export const NoBody = Type.Object({}, { additionalProperties: false });

/** A code as typed or pasted: whitespace (tabs and line breaks too) is allowed, since it is ignored. */
export const CodeText = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Makes a retry safe: the same key and body return the first response and do nothing again',
    }),
  ),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.Enum(Object.keys(ERROR_STATUS) as ErrorCode[]),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);

/** Response schemas for a route: its success bodies plus the problem body for every error. */
export const responses = <R extends Record<number, TSchema>>(success: R) => ({
  ...success,
  '4xx': Problem,
  '5xx': Problem,
});

export const Empty = Type.Null({ description: 'No content' });
