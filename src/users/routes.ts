import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { Id, IdParams, IdempotencyHeaders, Nullable, Page, PageQuery, Text, Timestamp, responses } from '../http/schemas.js';
import { decodeCursor, isIdOf } from '../pagination.js';
import { createUser } from './create-user.js';
import { getUser } from './get-user.js';
import { listUsers } from './list-users.js';

export const User = Type.Object({
  id: Id('user'),
  externalId: Type.String(),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  balance: Type.Integer({ minimum: 0, description: 'Points available' }),
  createdAt: Timestamp,
});

const NewUser = Type.Object(
  {
    externalId: Text(128),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    name: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);

const tags = ['users'];
const roles = ['admin', 'app'] as const;

export function registerUserRoutes(app: Api, { clock, store, write }: Deps): void {
  app.post(
    '/v1/users',
    {
      config: { roles },
      schema: { tags, summary: 'Register a member', headers: IdempotencyHeaders, body: NewUser, response: responses({ 201: User }) },
    },
    (request, reply) => write(request, reply, 201, (trx) => createUser(trx, clock, request.caller.programId, request.body)),
  );

  app.get(
    '/v1/users/:id',
    { config: { roles }, schema: { tags, summary: 'Read a member', params: IdParams('user'), response: responses({ 200: User }) } },
    async (request) => getUser(store.db, request.caller.programId, request.params.id),
  );

  app.get(
    '/v1/users',
    {
      config: { roles },
      schema: {
        tags,
        summary: 'List members, or find one by externalId',
        querystring: Type.Object({ ...PageQuery, externalId: Type.Optional(Text(128)) }, { additionalProperties: false }),
        response: responses({ 200: Page(User) }),
      },
    },
    async (request) =>
      listUsers(store.db, request.caller.programId, {
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isIdOf('user')),
        externalId: request.query.externalId,
      }),
  );
}
