import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CODE_SEPARATORS, normalizeCode } from '../src/codes/normalize-code.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { SEPARATORS, withoutSeparators } from '../src/db/migrations/0009-codes-without-separators.js';
import { type TestApp, createKey, engines, migrateTo, useTestApp } from './harness.js';
import { memberWith, newReward } from './fixtures.js';

/** The normal form before 0009: upper case, no whitespace, O → 0, I and L → 1. */
const oldNormalForm = (code: string) => code.toUpperCase().replace(/\s+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');

/** Text a stored code may hold: no control characters (no API takes them), no lone surrogates. */
const storableChar = fc.oneof(
  fc.constantFrom(...CODE_SEPARATORS.filter((char) => !/[\u0000-\u001f]/.test(char))),
  fc.constantFrom(...'ABOILoil01xyz-._/\\ '),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((char) => !/[\u0000-\u001f\u007f\ud800-\udfff]/.test(char)),
);
const storableText = fc.array(storableChar, { maxLength: 24 }).map((chars) => chars.join(''));

describe('the separators of the normal form', () => {
  it('are the same in normalizeCode and in migration 0009', () => {
    expect(new Set(CODE_SEPARATORS)).toEqual(new Set(SEPARATORS));
    expect(new Set(CODE_SEPARATORS).size).toBe(CODE_SEPARATORS.length);
  });

  it('hold every whitespace, dash and connector (underscore) character Unicode has', () => {
    const known = new Set(CODE_SEPARATORS);
    const missing: string[] = [];
    for (let point = 0; point <= 0x10ffff; point++) {
      if (point >= 0xd800 && point <= 0xdfff) continue;
      const char = String.fromCodePoint(point);
      if (/[\s\p{Pd}\p{Pc}]/u.test(char) && !known.has(char)) missing.push(`U+${point.toString(16).toUpperCase().padStart(4, '0')}`);
    }
    expect(missing).toEqual([]);
  });
});

describe.each(engines)('migration 0009-codes-without-separators [%s]', (engine) => {
  // The programs are made through today's API, their codes then put back in the old form, and the
  // database taken back to 0008 (later migrations undone) for 0009 to meet.
  const t = useTestApp(engine);

  it('takes out in SQL exactly what normalizeCode takes out, from any stored form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storableText, { minLength: 1, maxLength: 20 }), async (codes) => {
        const inputs = codes.map((code, i) => sql`select ${sql.lit(i)} as i, cast(${oldNormalForm(code)} as text) as stored`);
        const { rows } = await sql<{ i: number; next: string }>`
          select i, ${withoutSeparators(t.store.db, sql.ref('stored'))} as next
          from (${sql.join(inputs, sql` union all `)}) inputs order by i`.execute(t.store.db);
        expect(rows.map((row) => row.next)).toEqual(codes.map(normalizeCode));
      }),
      { numRuns: 50 },
    );
    // Every separator at once, between letters (as a stored form holds them: upper case, no whitespace).
    const everything = `a${SEPARATORS.join('b')}c`;
    const stored = sql`cast(${oldNormalForm(everything)} as text)`;
    const { rows } = await sql<{ next: string }>`select ${withoutSeparators(t.store.db, stored)} as next`.execute(t.store.db);
    expect(rows[0]!.next).toBe(normalizeCode(everything));
  });

  // A program whose codes stay apart in the new form, and one with codes that become the same.
  let calm: Awaited<ReturnType<typeof calmProgram>>;
  let clashing: Awaited<ReturnType<typeof clashingProgram>>;

  it('fails on codes that become one and on a code of nothing but separators, changing nothing and listing them with what to do', async () => {
    calm = await calmProgram(t);
    clashing = await clashingProgram(t);
    await migrateTo(t.store, '0008-vouchers-by-expiry');
    const before = await registerOf(t);

    const failure = await migrateToLatest(t.store).then(
      () => null,
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = failure!.message;
    expect(message).toMatch(/^Migration 0009-codes-without-separators changed nothing/);
    const { programId, poolRewardId, staticRewardId } = clashing;
    expect(message).toContain(`- program ${programId}: 2 codes read as AB12\n`);
    expect(message).toContain(`    "AB-12": a pool code of reward ${poolRewardId} not handed out yet (upload upl_old, line 1)\n`);
    expect(message).toContain(`    "ab.12": a pool code of reward ${poolRewardId} not handed out yet (upload upl_old, line 2)\n`);
    expect(message).toContain(`- program ${programId}: 2 codes read as G0N0W\n`);
    expect(message).toContain(`    "GO-NOW": the static code of reward ${staticRewardId}\n`);
    expect(message).toContain(`    "go/now": a pool code of reward ${poolRewardId}, held by voucher vch_old\n`);
    expect(message).toContain(`- program ${programId}: nothing but separators\n    "--": a pool code of reward ${poolRewardId} not handed out yet (upload upl_old, line 4)\n`);
    expect(message).toContain(`- program ${programId}: 2 codes read as ZZ26\n`);
    expect(message).not.toContain('ZZ27');
    expect(message).toContain('\n- and 5 more\n');
    expect(message).toMatch(/\nWhat to do: with the version you ran before, .*PATCH \/v1\/rewards\/\{id\}.*delete its row from voucher_codes/);
    expect(message).not.toContain(calm.programId);

    expect(await registerOf(t)).toEqual(before);
    const { rows: applied } = await sql<{ name: string }>`select name from kysely_migration`.execute(t.store.db);
    expect(applied.map((row) => row.name)).toContain('0008-vouchers-by-expiry');
    expect(applied.map((row) => row.name)).not.toContain('0009-codes-without-separators');
  });

  it('once they are resolved, rewrites every stored form to the new one, and the codes are found in any spelling', async () => {
    // What an operator does: one pool code of each pair taken out, the static code changed.
    const { programId, staticRewardId } = clashing;
    await t.store.db.deleteFrom('voucher_codes').where('program_id', '=', programId).where('code', 'in', ['ab.12', '--']).execute();
    await t.store.db.deleteFrom('voucher_codes').where('program_id', '=', programId).where('code', 'like', 'ZZ.%').execute();
    await t.store.db.updateTable('rewards').set({ static_code: 'GO-NOW-2' }).where('program_id', '=', programId).where('id', '=', staticRewardId).execute();
    await t.store.db
      .updateTable('voucher_codes')
      .set({ code: 'GO-NOW-2', code_normal: oldNormalForm('GO-NOW-2') })
      .where('program_id', '=', programId)
      .where('reward_id', '=', staticRewardId)
      .execute();

    expect((await migrateToLatest(t.store))[0]).toBe('0009-codes-without-separators');

    const register = await registerOf(t);
    expect(register.length).toBeGreaterThan(8);
    for (const row of register) expect(row.code_normal, row.shown).toBe(normalizeCode(row.shown));
    const zz = Array.from({ length: 22 }, (_, i) => `ZZ${10 + i}`);
    expect(register.filter((row) => row.program_id === programId).map((row) => row.code_normal).sort()).toEqual(['AB12', 'G0N0W', 'G0N0W2', ...zz]);

    // The calm program's codes, found and checked in spellings the old form missed.
    const { adminKey, pos, vouchers } = calm;
    for (const voucher of vouchers) {
      for (const typed of [voucher.code.replace(/[-–/._]/g, ''), voucher.code.replace(/[-–/._]/g, ' — ').toLowerCase()]) {
        const found = await t.request('GET', `/v1/vouchers/lookup?code=${encodeURIComponent(typed)}`, undefined, { key: adminKey });
        expect(found.status, typed).toBe(200);
        expect(found.body).toMatchObject({ id: voucher.id, code: voucher.code });
      }
      const burned = await t.request('POST', '/v1/voucher-validations', { code: voucher.code.replace(/[-–/._]/g, '.') }, { key: pos.key });
      expect(burned.body).toMatchObject({ valid: true, burned: true, voucher: { id: voucher.id } });
    }
    expect((await t.request('POST', '/v1/voucher-validations', { code: 'welcome back' }, { key: pos.key })).body).toMatchObject({ valid: true, reward: { id: calm.staticRewardId } });

    // New codes meet the old ones in the new form: no second spelling of one gets in.
    const report = await t.request('POST', `/v1/rewards/${calm.poolRewardId}/codes`, undefined, {
      key: adminKey,
      payload: 'AB/12_X\nSUMMER 24\nFRESH-1\n',
      contentType: 'text/plain',
    });
    expect(report.body).toMatchObject({ added: 1, alreadyPresent: { count: 2, lines: [1, 2] } });
    const taken = await t.request('POST', '/v1/rewards', { name: 'Taken', pricePoints: 1, codeType: 'STATIC', staticCode: 'WELCOME_BACK', incentives: [] }, { key: adminKey });
    expect(taken.status).toBe(409);
  });
});

/** Rewrites a program's register to the normal form of the version before 0009, as that version stored it. */
async function toOldForms(t: TestApp, programId: string): Promise<void> {
  const rows = await t.store.db
    .selectFrom('voucher_codes as c')
    .leftJoin('vouchers as v', (join) => join.onRef('v.program_id', '=', 'c.program_id').onRef('v.id', '=', 'c.voucher_id'))
    .select(['c.code_normal', 'c.code', 'v.code as voucher_code'])
    .where('c.program_id', '=', programId)
    .execute();
  for (const row of rows) {
    await t.store.db
      .updateTable('voucher_codes')
      .set({ code_normal: oldNormalForm(row.code ?? row.voucher_code!) })
      .where('program_id', '=', programId)
      .where('code_normal', '=', row.code_normal)
      .execute();
  }
}

/**
 * A program at 0008 with codes of every kind that keep apart in the new form: generated codes with
 * ASCII and typographic separators in their format, pool codes (one handed out), a static code.
 */
async function calmProgram(t: TestApp) {
  const { programId, adminKey } = await t.newProgram();
  const pos = await createKey(t, adminKey, 'pos');
  const userId = await memberWith(t, adminKey, 0);
  const promo = await newReward(t, adminKey, { pricePoints: 0 });
  const dashed = await newReward(t, adminKey, { pricePoints: 0, codeFormat: 'GIFT–{code}' });
  const pool = await newReward(t, adminKey, { pricePoints: 0, codeType: 'POOL', codeFormat: undefined });
  const shared = await newReward(t, adminKey, { codeType: 'STATIC', codeFormat: undefined, staticCode: 'WELCOME-BACK' });
  const uploaded = await t.request('POST', `/v1/rewards/${pool.id}/codes`, undefined, { key: adminKey, payload: 'SUMMER-24\nAB/12_X\nLOOSE.ONE\n', contentType: 'text/plain' });
  expect(uploaded.body).toMatchObject({ added: 3 });
  const vouchers: Array<{ id: string; code: string }> = [];
  for (const reward of [promo, promo, dashed, pool]) {
    const gift = await t.request('POST', `/v1/users/${userId}/gifts`, { rewardId: reward.id }, { key: adminKey });
    expect(gift.status).toBe(201);
    vouchers.push(gift.body);
  }
  await toOldForms(t, programId);
  return { programId, adminKey, pos, vouchers, poolRewardId: pool.id as string, staticRewardId: shared.id as string };
}

/**
 * A program at 0008 whose codes were told apart by their separators: two pool codes, a static code
 * and a pool code a voucher holds, and a pool code of nothing but separators.
 */
async function clashingProgram(t: TestApp) {
  const { programId, adminKey } = await t.newProgram();
  const pool = await newReward(t, adminKey, { pricePoints: 0, codeType: 'POOL', codeFormat: undefined });
  const shared = await newReward(t, adminKey, { codeType: 'STATIC', codeFormat: undefined, staticCode: 'GO-NOW' });
  await toOldForms(t, programId);
  const poolCode = (code: string, line: number, voucherId: string | null = null) => ({
    program_id: programId,
    code_normal: oldNormalForm(code),
    kind: 'POOL' as const,
    reward_id: pool.id,
    code,
    upload_id: 'upl_old',
    line,
    voucher_id: voucherId,
  });
  await t.store.db
    .insertInto('voucher_codes')
    .values([poolCode('AB-12', 1), poolCode('ab.12', 2), poolCode('go/now', 3, 'vch_old'), poolCode('--', 4)])
    .execute();
  // More pairs than the error lists: it names the first 20 problems and counts the rest.
  const pairs = Array.from({ length: 22 }, (_, i) => [poolCode(`ZZ-${10 + i}`, 10 + 2 * i), poolCode(`ZZ.${10 + i}`, 11 + 2 * i)]);
  await t.store.db.insertInto('voucher_codes').values(pairs.flat()).execute();
  return { programId, poolRewardId: pool.id as string, staticRewardId: shared.id as string };
}

/** Every row of the code register, with the code as given or as its voucher shows it. */
async function registerOf(t: TestApp) {
  const rows = await t.store.db
    .selectFrom('voucher_codes as c')
    .leftJoin('vouchers as v', (join) => join.onRef('v.program_id', '=', 'c.program_id').onRef('v.id', '=', 'c.voucher_id'))
    .select(['c.program_id', 'c.code_normal', 'c.kind', 'c.voucher_id', 'c.code', 'v.code as voucher_code'])
    .orderBy('c.program_id')
    .orderBy('c.code_normal')
    .execute();
  return rows.map(({ voucher_code, ...row }) => ({ ...row, shown: (row.code ?? voucher_code)! }));
}
