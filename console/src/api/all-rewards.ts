import { type Reward, api, unwrap } from './client';
import { readAll } from './read-all';

/** Every reward (up to 1,000), for pickers and for names beside ids. */
export async function allRewards(signal?: AbortSignal, status?: Reward['status']): Promise<Reward[]> {
  const { items } = await readAll(
    (cursor) => unwrap(api.GET('/v1/rewards', { params: { query: { limit: 200, cursor, status } }, signal })),
    { maxPages: 5, signal },
  );
  return items;
}

/** Each reward's name by its id, for names beside ids. */
export function rewardNames(rewards: readonly Reward[]): Map<string, string> {
  return new Map(rewards.map((reward) => [reward.id, reward.name]));
}
