import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { invalidField } from '../errors.js';
import { type TallyChange, addTallies, bucketSql } from '../reports/tallies.js';
import { SETTING_COLUMNS, columnsOf, type RewardView, settingsOf } from './reward.js';
import { getReward, loadReward } from './get-reward.js';
import { type RewardInput, applyInput, givenFields } from './reward-input.js';
import { checkRewardRules } from './reward-rules.js';
import { changeStaticCode } from './static-code.js';

/** Changes a reward's settings; its code type, and the format of codes already issued, stay. */
export async function updateReward(
  db: Db,
  clock: Clock,
  programId: string,
  rewardId: string,
  input: RewardInput,
): Promise<RewardView> {
  const row = await loadReward(db, programId, rewardId, 'change');
  if (input.codeType !== undefined && input.codeType !== row.code_type) {
    throw invalidField('/body/codeType', 'cannot change after the reward is created');
  }
  if (row.code_type === 'POOL' && input.stock !== undefined) {
    throw invalidField('/body/stock', 'does not apply to a POOL reward: the pool is the stock');
  }
  const given = new Set([...givenFields(input)].filter((f) => f !== 'codeType'));
  const settings = applyInput(settingsOf(row), input);
  checkRewardRules(settings, given);
  // Only what was sent is written: stock taken by purchases meanwhile must not be put back.
  const columns = columnsOf(settings);
  const changed = Object.fromEntries(
    Object.entries(SETTING_COLUMNS).filter(([setting]) => given.has(setting)).map(([, column]) => [column, columns[column]]),
  );
  await db
    .updateTable('rewards')
    .set({ ...changed, updated_at: isoNow(clock) })
    .where('program_id', '=', programId)
    .where('id', '=', rewardId)
    .execute();
  if (given.has('validUntil')) await applyValidUntil(db, programId, rewardId, settings.validUntil);
  if (given.has('staticCode') && settings.staticCode !== row.static_code) {
    await changeStaticCode(db, programId, rewardId, settings.staticCode!);
  }
  return getReward(db, clock, programId, rewardId);
}

/**
 * validUntil is "the instant after which the reward's vouchers are expired", so a change reaches the
 * vouchers already active (and those burned, should their burn be reversed): each expires at the earlier of its own validityDays end and the new instant.
 * Their live counts move from the quarter hours they expired in to the ones they expire in now.
 */
async function applyValidUntil(db: Db, programId: string, rewardId: string, validUntil: string | null): Promise<void> {
  const activeByExpiry = async (delta: 1 | -1): Promise<TallyChange[]> => {
    const groups = await db
      .selectFrom('vouchers')
      .select([bucketSql('expires_at').as('bucket'), (eb) => eb.fn.countAll<number>().as('count')])
      .where('program_id', '=', programId)
      .where('reward_id', '=', rewardId)
      .where('status', '=', 'ACTIVE')
      .groupBy('bucket')
      .execute();
    return groups.map((g) => ({ at: g.bucket, rewardId, expiring: delta * Number(g.count) }));
  };
  const before = await activeByExpiry(-1);
  await db
    .updateTable('vouchers')
    .set((eb) => ({
      expires_at:
        validUntil === null
          ? eb.ref('validity_ends_at')
          : eb
              .case()
              .when(eb.or([eb('validity_ends_at', 'is', null), eb('validity_ends_at', '>', validUntil)]))
              .then(validUntil)
              .else(eb.ref('validity_ends_at'))
              .end(),
    }))
    .where('program_id', '=', programId)
    .where('reward_id', '=', rewardId)
    // BURNED ones too: a reversal makes them ACTIVE again, and then the reward's end applies.
    .where('status', 'in', ['ACTIVE', 'BURNED'])
    .execute();
  await addTallies(db, programId, [...before, ...(await activeByExpiry(1))]);
}
