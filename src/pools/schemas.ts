import { type Static, Type } from 'typebox';
import { Id, STREAMED, Timestamp } from '../http/schemas.js';

export const PoolSummary = Type.Object({
  total: Type.Integer({ description: 'Every code ever added to the pool' }),
  available: Type.Integer({ description: 'Not handed out yet' }),
  issued: Type.Integer({ description: 'Handed to a voucher; never returned to the pool' }),
});

export const UploadInProgress = Type.Object(
  {
    id: Id('upload'),
    status: Type.Literal('PENDING'),
    received: Type.Integer({ description: 'Lines (or array elements) read and dealt with so far: written, or set aside as invalid. Grows as its batches are stored' }),
    added: Type.Integer({ description: 'Codes added so far; they join the pool (and the counts above) when the upload completes' }),
    createdAt: Timestamp,
  },
  { description: 'An upload to this pool still arriving; absent when there is none. Poll it to follow an upload: the report of POST /v1/rewards/{id}/codes tells the end' },
);

export type UploadInProgress = Static<typeof UploadInProgress>;

export const CodesSummary = Type.Object({
  ...PoolSummary.properties,
  upload: Type.Optional(UploadInProgress),
});
export type CodesSummary = Static<typeof CodesSummary>;

const Tally = (description: string) =>
  Type.Object(
    { count: Type.Integer(), lines: Type.Array(Type.Integer(), { description: 'The first line numbers of this kind (JSON: positions in the array)' }) },
    { description },
  );

export const UploadReport = Type.Object({
  uploadId: Id('upload'),
  rewardId: Id('reward'),
  received: Type.Integer({ description: 'Lines (or array elements) read' }),
  added: Type.Integer(),
  duplicated: Tally('Its normal form was already added by an earlier line of this upload'),
  alreadyPresent: Tally('The program already has a code with this normal form (a pool, generated or static code of any reward)'),
  invalid: Type.Object({
    ...Tally('Not a usable code').properties,
    empty: Tally('Blank, or nothing but separators (spaces, dashes, dots, underscores, slashes), which codes are compared without'),
    tooLong: Tally('Longer than 128 characters'),
    notPrintable: Tally('Holds characters outside printable ASCII'),
    notText: Tally('JSON only: an element that is not a string'),
  }),
  pool: PoolSummary,
  createdAt: Timestamp,
});

export const UploadQuery = Type.Object(
  {
    header: Type.Optional(
      Type.Boolean({ description: 'CSV: whether the first record is a header. Default: it is when its first field reads "code"' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The upload body, per format, for the OpenAPI document only: it is streamed to the handler and read
 * there, so these schemas are marked to be skipped by validation (src/http/validation.ts).
 */
export const UploadBody = {
  content: {
    'text/plain': { schema: Type.String({ description: 'One code a line (LF or CRLF)', [STREAMED]: true }) },
    'text/csv': { schema: Type.String({ description: 'Codes in the first column; a first record whose first field reads "code" is a header', [STREAMED]: true }) },
    'application/json': {
      schema: Type.Object({ codes: Type.Array(Type.String({ minLength: 1, maxLength: 128 })) }, { [STREAMED]: true }),
    },
  },
};
