import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { EXPECTS, Id, IdParams, IdempotencyHeaders, Nullable, PageQuery, Text, Timestamp, responses } from '../http/schemas.js';
import { decodeCursor, isIdOf } from '../pagination.js';
import { adjustPoints } from './adjust-points.js';
import { LEDGER_KINDS } from './ledger-entry-view.js';
import { readPoints } from './read-points.js';

/** Largest single adjustment: keeps every balance far inside exact integer range on both engines. */
const MAX_DELTA = 1_000_000_000;

const LedgerEntry = Type.Object({
  id: Type.String(),
  userId: Id('user'),
  kind: Type.Enum(LEDGER_KINDS),
  delta: Type.Integer(),
  balanceAfter: Type.Integer({ minimum: 0 }),
  reason: Type.String(),
  createdAt: Timestamp,
});

const Adjustment = Type.Object(
  {
    delta: Type.Integer({
      minimum: -MAX_DELTA,
      maximum: MAX_DELTA,
      not: { const: 0 },
      description: 'Points to add (positive) or take (negative); never 0',
      [EXPECTS]: 'a whole number of points other than 0: positive to credit, negative to debit',
    }),
    reason: Text(500),
  },
  { additionalProperties: false },
);

const Points = Type.Object({
  balance: Type.Integer({ minimum: 0 }),
  entries: Type.Array(LedgerEntry),
  nextCursor: Nullable(Type.String()),
});

const tags = ['points'];
const roles = ['admin', 'app'] as const;

export function registerLedgerRoutes(app: Api, { clock, store, write }: Deps): void {
  app.post(
    '/v1/users/:id/points',
    {
      config: { roles },
      schema: {
        tags,
        summary: 'Credit or debit points; a debit beyond the balance is INSUFFICIENT_POINTS',
        params: IdParams('user'),
        headers: IdempotencyHeaders,
        body: Adjustment,
        response: responses({ 201: LedgerEntry }),
      },
    },
    (request, reply) =>
      write(request, reply, 201, (trx) => adjustPoints(trx, clock, request.caller.programId, request.params.id, request.body)),
  );

  app.get(
    '/v1/users/:id/points',
    {
      config: { roles },
      schema: {
        tags,
        summary: 'Balance and ledger entries, newest first',
        params: IdParams('user'),
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: responses({ 200: Points }),
      },
    },
    async (request) =>
      readPoints(store.db, request.caller.programId, request.params.id, {
        limit: request.query.limit ?? 50,
        before: decodeCursor(request.query.cursor, isIdOf('ledgerEntry')),
      }),
  );
}
