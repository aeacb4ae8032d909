import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db, Tables } from '../db/tables.js';
import { recordEvent } from '../events/record-event.js';

/**
 * After a sale took one code of a pool, leaving `remaining`: CODE_POOL_LOW when that crossed the
 * reward's lowStockThreshold (once per crossing: only the sale that reaches it), CODE_POOL_EMPTY
 * when it was the last. A threshold of 0 asks only for the empty notice.
 */
export async function notePoolLevel(db: Db, clock: Clock, reward: Tables['rewards'], remaining: number): Promise<void> {
  const threshold = reward.low_stock_threshold;
  const data = { rewardId: reward.id, rewardName: reward.name, remaining, lowStockThreshold: threshold };
  if (threshold !== null && threshold > 0 && remaining === threshold) {
    await recordEvent(db, reward.program_id, { type: 'CODE_POOL_LOW', occurredAt: isoNow(clock), data });
  }
  if (remaining === 0) await recordEvent(db, reward.program_id, { type: 'CODE_POOL_EMPTY', occurredAt: isoNow(clock), data });
}
