import { Type } from 'typebox';
import type { Api, Deps } from '../app.js';
import { IdParams, IdempotencyHeaders, NoBody, Page, PageQuery, responses } from '../http/schemas.js';
import { decodeCursor, isIdOf } from '../pagination.js';
import { archiveReward } from './archive-reward.js';
import { createReward } from './create-reward.js';
import { getReward } from './get-reward.js';
import { listRewards } from './list-rewards.js';
import type { Role } from '../keys/roles.js';
import { REWARD_STATUSES, type RewardView } from './reward.js';
import { NewReward, Reward, RewardChanges } from './schemas.js';
import { updateReward } from './update-reward.js';

const tags = ['rewards'];

/** A static code is what members buy: the catalogue shows it to administrators only. */
const forCaller = (reward: RewardView, role: Role): RewardView => (role === 'admin' ? reward : { ...reward, staticCode: null });

export function registerRewardRoutes(app: Api, { clock, store, write }: Deps): void {
  app.post(
    '/v1/rewards',
    {
      config: { roles: ['admin'] },
      schema: { tags, summary: 'Create a reward', headers: IdempotencyHeaders, body: NewReward, response: responses({ 201: Reward }) },
    },
    (request, reply) => write(request, reply, 201, (trx) => createReward(trx, clock, request.caller.programId, request.body)),
  );

  app.get(
    '/v1/rewards',
    {
      config: { roles: ['admin', 'app'] },
      schema: {
        tags,
        summary: 'List rewards, with stock and guessability',
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Enum(REWARD_STATUSES)) }, { additionalProperties: false }),
        response: responses({ 200: Page(Reward) }),
      },
    },
    async (request) => {
      const page = await listRewards(store.db, clock, request.caller.programId, {
        limit: request.query.limit ?? 50,
        after: decodeCursor(request.query.cursor, isIdOf('reward')),
        status: request.query.status,
      });
      return { ...page, data: page.data.map((reward) => forCaller(reward, request.caller.role)) };
    },
  );

  app.get(
    '/v1/rewards/:id',
    { config: { roles: ['admin', 'app'] }, schema: { tags, summary: 'Read a reward', params: IdParams('reward'), response: responses({ 200: Reward }) } },
    async (request) => forCaller(await getReward(store.db, clock, request.caller.programId, request.params.id), request.caller.role),
  );

  app.patch(
    '/v1/rewards/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Change a reward (not its code type)',
        params: IdParams('reward'),
        headers: IdempotencyHeaders,
        body: RewardChanges,
        response: responses({ 200: Reward }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => updateReward(trx, clock, request.caller.programId, request.params.id, request.body)),
  );

  app.post(
    '/v1/rewards/:id/archive',
    {
      config: { roles: ['admin'] },
      schema: {
        tags,
        summary: 'Stop further purchases; issued vouchers stay valid',
        params: IdParams('reward'),
        headers: IdempotencyHeaders,
        body: NoBody,
        response: responses({ 200: Reward }),
      },
    },
    (request, reply) => write(request, reply, 200, (trx) => archiveReward(trx, clock, request.caller.programId, request.params.id)),
  );
}
