import { type TSchema, Type } from 'typebox';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { ID_PREFIXES, type IdKind, idPattern } from '../ids.js';

/** Shared request and response schemas. They validate, type the handlers and write the OpenAPI document. */

/**
 * What a value must be, in words that finish "<field> must be …": the message for a pattern or a
 * format it misses, or a type it does not have (src/http/validation.ts), where the schema alone
 * would only say a regular expression. An OpenAPI extension, so the document shows it too.
 */
export const EXPECTS = 'x-expects';

const ID_NAMES: Record<IdKind, string> = {
  program: 'a program id',
  user: 'a member id',
  reward: 'a reward id',
  voucher: 'a voucher id',
  purchase: 'a purchase id',
  validation: 'a validation id',
  event: 'an event id',
  webhook: 'a webhook id',
  delivery: 'a delivery id',
  attempt: 'an attempt id',
  apiKey: 'an API key id',
  ledgerEntry: 'a ledger entry id',
  upload: 'an upload id',
};

export const Id = (kind: IdKind, description?: string) =>
  Type.String({
    pattern: idPattern(kind),
    [EXPECTS]: `${ID_NAMES[kind]} such as ${ID_PREFIXES[kind]}_01jz5m3t9x8k2v4q6r7s0a1b2c`,
    ...(description ? { description } : {}),
  });

export const IdParams = (kind: IdKind) => Type.Object({ id: Id(kind) }, { additionalProperties: false });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });

/** Printable text without control characters, trimmed by the caller's own care. */
export const Text = (maxLength: number, minLength = 1) =>
  Type.String({ minLength, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$', [EXPECTS]: 'a line of text, without tabs, line breaks or other control characters' });

/** Marks a body schema that documents a streamed body: the handler reads it, validation does not. */
export const STREAMED = 'x-streamed';

export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The body of an action without settings: empty, or `{}`. */
export const NoBody = Type.Object({}, { additionalProperties: false });

/** A code as typed or pasted: whitespace (tabs and line breaks too) is allowed, since it is ignored. */
export const CodeText = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$',
    [EXPECTS]: 'text without control characters (spaces, tabs and line breaks are fine: they are ignored)',
  });

/** A currency: the code a basket and an incentive must agree on. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, upper case', [EXPECTS]: 'a three-letter ISO 4217 code such as GBP' });

/** Money as a whole number of the currency's smallest unit, so sums are exact on both engines. */
export const MinorUnits = (description: string, maximum: number) =>
  Type.Integer({ minimum: 0, maximum, description, [EXPECTS]: 'a whole number of minor units (pence, cents): 2350 for 23.50' });

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
      [EXPECTS]: 'printable ASCII characters without spaces',
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
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'JSON pointer to the field, starting with the request part: /body/delta, /querystring/limit, /params/id' }),
          message: Type.String({ description: 'A sentence that starts with the field name: "delta must not be 0"' }),
          keyword: Type.Optional(
            Type.String({ description: 'For a value the request schema refused, the JSON Schema keyword it failed: type, required, pattern, maximum, enum, …' }),
          ),
        }),
      ),
    ),
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
