import { expect } from 'vitest';
import { type TestApp, createMember } from './harness.js';

/** A reward with sensible settings, `fields` laid over them; answers the created reward. */
export async function newReward(t: TestApp, key: string, fields: Record<string, unknown> = {}) {
  const response = await t.request(
    'POST',
    '/v1/rewards',
    { name: 'Free coffee', pricePoints: 10, codeType: 'ONE_TIME', codeFormat: 'PROMO-{code}', incentives: [{ type: 'PERCENTAGE', value: 100 }], ...fields },
    { key },
  );
  if (response.status !== 201) throw new Error(`could not create a reward: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A member holding `points`. */
export async function memberWith(t: TestApp, key: string, points: number): Promise<string> {
  const userId = await createMember(t, key);
  if (points > 0) {
    const credit = await t.request('POST', `/v1/users/${userId}/points`, { delta: points, reason: 'start' }, { key });
    if (credit.status !== 201) throw new Error(`could not credit: ${JSON.stringify(credit.body)}`);
  }
  return userId;
}

/** A member with enough points who has bought `reward` once; answers { userId, purchase, voucher, balance }. */
export async function boughtBy(t: TestApp, key: string, reward: { id: string; pricePoints: number }, spare = 0) {
  const userId = await memberWith(t, key, reward.pricePoints + spare);
  const response = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.id }, { key });
  if (response.status !== 201) throw new Error(`could not buy: ${JSON.stringify(response.body)}`);
  return { userId, ...response.body };
}

export const buy = (t: TestApp, key: string, userId: string, rewardId: string, headers?: Record<string, string>) =>
  t.request('POST', `/v1/users/${userId}/purchases`, { rewardId }, { key, ...(headers ? { headers } : {}) });

export const balanceOf = async (t: TestApp, key: string, userId: string): Promise<number> =>
  (await t.request('GET', `/v1/users/${userId}`, undefined, { key })).body.balance;

/** How many rows of a program a table holds, read straight from the database. */
export async function countRows(
  t: TestApp,
  table: 'ledger_entries' | 'vouchers' | 'purchases' | 'voucher_codes' | 'events' | 'idempotency_keys',
  programId: string,
): Promise<number> {
  const row = await t.store.db
    .selectFrom(table as 'vouchers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('program_id', '=', programId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sends `count` requests made by `send(i)` in batches of `batch` concurrent requests. */
export async function inBatches<T>(count: number, batch: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    results.push(...(await Promise.all(Array.from({ length: size }, (_, j) => send(start + j)))));
  }
  return results;
}

/** Runs `action` and checks that what `measure` reads is the same after it as before. */
export async function expectUnchanged(measure: () => Promise<unknown>, action: () => Promise<void>): Promise<void> {
  const before = await measure();
  await action();
  expect(await measure()).toEqual(before);
}
