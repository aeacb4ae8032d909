import type { Clock } from '../clock.js';
import type { Db } from '../db/tables.js';
import { type Page, pageOf } from '../pagination.js';
import type { RewardStatus, RewardView } from './reward.js';
import { toRewardViews } from './get-reward.js';

export async function listRewards(
  db: Db,
  clock: Clock,
  programId: string,
  query: { limit: number; after: string | null; status?: RewardStatus | undefined },
): Promise<Page<RewardView>> {
  let select = db
    .selectFrom('rewards')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.after !== null) select = select.where('id', '>', query.after);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  const page = pageOf(await select.execute(), query.limit, (row) => row.id);
  return { data: await toRewardViews(db, clock, page.data), nextCursor: page.nextCursor };
}
