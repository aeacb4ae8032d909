import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { Empty, IdParams, NoBody, IdempotencyHeaders, Page, PageQuery, Nullable, Text, Timestamp, responses } from '../http/schemas.js';
import { decodeCursor, isIdOf } from '../pagination.js';
import { createApiKey } from './create-api-key.js';
import { listApiKeys } from './list-api-keys.js';
import { revokeApiKey } from './revoke-api-key.js';
import { ROLES } from './roles.js';

const Role = Type.Enum(ROLES);

const ApiKey = Type.Object({
  id: Type.String(),
  role: Role,
  name: Type.String(),
  venue: Nullable(Type.String()),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  createdAt: Timestamp,
  expiresAt: Nullable(Type.String({ format: 'date-time', description: 'After this instant the key is refused (401); null: never' })),
  lastUsedAt: Nullable(
    Type.String({ format: 'date-time', description: 'When the key was last used, to within a minute (null: never used); a till that went quiet shows here' }),
  ),
});

const CreatedApiKey = Type.Object({
  ...ApiKey.properties,
  key: Nullable(Type.String({ description: 'The secret: shown this once, never again (null on an idempotent replay)' })),
});

const NewApiKey = Type.Object(
  {
    role: Role,
    name: Text(100),
    venue: Type.Optional(Text(100)),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the key stops working (a future instant); absent, never' })),
  },
  { additionalProperties: false },
);

const tags = ['api keys'];

export function registerApiKeyRoutes(app: Api, { clock, store, write }: Deps): void {
  app.post(
    '/v1/api-keys',
    {
      config: { roles: ['admin'] },
      schema: { tags, summary: 'Create an API key', headers: IdempotencyHeaders, body: NewApiKey, response: responses({ 201: CreatedApiKey }) },
    },
    (request, reply) =>
      write(request, reply, 201, (trx) => createApiKey(trx, clock, request.caller.programId, request.body), {
        replayable: (created) => ({ ...created, key: null }),
      }),
  );

  app.get(
    '/v1/api-keys',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'List the live API keys',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: responses({ 200: Page(ApiKey) }),
      },
    },
    async (request) =>
      listApiKeys(store.db, request.caller.programId, {
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isIdOf('apiKey')),
      }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { roles: ['admin'] },
      schema: { tags, summary: 'Revoke an API key at once', params: IdParams('apiKey'), headers: IdempotencyHeaders, body: NoBody, response: responses({ 204: Empty }) },
    },
    (request, reply) => write(request, reply, 204, (trx) => revokeApiKey(trx, clock, request.caller.programId, request.params.id)),
  );
}
