import type { Tables } from '../db/tables.js';
import { AppError } from '../errors.js';

/** Codes are uploaded to, and summarised for, POOL rewards only. */
export function assertPoolReward(reward: Pick<Tables['rewards'], 'id' | 'code_type'>): void {
  if (reward.code_type !== 'POOL') {
    throw new AppError('INVALID_STATE', `Reward ${reward.id} is a ${reward.code_type} reward: codes can be uploaded to POOL rewards only`);
  }
}
