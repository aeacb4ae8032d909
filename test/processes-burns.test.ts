import { describe, expect, it } from 'vitest';
import { engines } from './harness.js';
import { call, createMember, killMidTraffic, readEvents, useProcessDatabase, useSharedServers, voucherAndTill } from './processes.js';

/** Vouchers validated and burned through several server processes on one database, and through a kill -9. */
describe.each(engines)('burning vouchers across server processes on one database [%s]', (engine) => {
  describe('racing through servers the tests share', () => {
    const { instances, servers: shared, store } = useSharedServers(engine);

    it(`burns a code exactly once when 50 validations of it arrive at once through ${instances} instances`, async () => {
      const servers = shared();
      const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);

      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(servers[i % instances]!, 'POST', '/v1/voucher-validations', { code: code.toLowerCase() }, posKey)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
      expect(answers.filter((a) => a.body.burned === true)).toHaveLength(1);
      expect(answers.filter((a) => a.body.reason === 'ALREADY_BURNED')).toHaveLength(49);
      const burns = (await readEvents(servers[instances - 1]!, '&type=BURNED_VOUCHER')).filter((e) => e.data.voucherId === voucherId);
      expect(burns).toHaveLength(1);
      const recorded = await store().db.selectFrom('validations').select(['burned']).where('voucher_id', '=', voucherId).execute();
      expect(recorded).toHaveLength(50);
      expect(recorded.filter((r) => Number(r.burned) === 1)).toHaveLength(1);
    });

    it('answers every retry of a burn with its original result when retries with one reference race it across instances', async () => {
      const servers = shared();
      const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => call(servers[i % instances]!, 'POST', '/v1/voucher-validations', { code, reference: 'till-1/tx-1' }, posKey)),
      );
      expect(answers.every((a) => a.status === 200 && a.body.burned === true)).toBe(true);
      expect(answers.filter((a) => a.body.replayed === false)).toHaveLength(1);
      expect(new Set(answers.map((a) => a.body.validation.id)).size).toBe(1);
      expect((await readEvents(servers[0]!, '&type=BURNED_VOUCHER')).filter((e) => e.data.voucherId === voucherId)).toHaveLength(1);
    });

    it('keeps the voucher consistent when a reversal races new burns across instances', async () => {
      const servers = shared();
      const { code, voucherId, posKey } = await voucherAndTill(servers[0]!);
      const first = await call(servers[0]!, 'POST', '/v1/voucher-validations', { code }, posKey);
      expect(first.body.burned).toBe(true);
      const [reversals, burns] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, (_, i) => call(servers[i % instances]!, 'POST', `/v1/voucher-validations/${first.body.validation.id}/reversal`, {}, posKey))),
        Promise.all(Array.from({ length: 20 }, (_, i) => call(servers[(i + 1) % instances]!, 'POST', '/v1/voucher-validations', { code }, posKey))),
      ]);
      expect(reversals.map((r) => r.status)).toEqual(Array(6).fill(200));
      expect(burns.map((b) => b.status)).toEqual(Array(20).fill(200));
      const newBurns = burns.filter((b) => b.body.burned === true).length;
      expect(newBurns).toBeLessThanOrEqual(1);
      const events = (await readEvents(servers[0]!, '')).filter((e) => e.data.voucherId === voucherId);
      expect(events.filter((e) => e.type === 'VOUCHER_BURN_REVERSED')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'BURNED_VOUCHER')).toHaveLength(1 + newBurns);
      const voucher = await call(servers[1]!, 'GET', `/v1/vouchers/${voucherId}`);
      expect(voucher.body.status).toBe(newBurns === 1 ? 'BURNED' : 'ACTIVE');
    });
  });

  describe('through a kill -9', () => {
    const { openStore, prepareDatabase, startOne } = useProcessDatabase(engine);

    it('keeps every acknowledged burn when the process is killed with SIGKILL mid-traffic, and never burns one twice', async () => {
      await prepareDatabase();
      const server = await startOne();
      const userId = await createMember(server);
      const reward = await call(server, 'POST', '/v1/rewards', { name: 'Coffee', pricePoints: 1, codeType: 'ONE_TIME', incentives: [{ type: 'PERCENTAGE', value: 100 }] });
      // Active vouchers written straight into the database: issuing thousands through the API is slow.
      // 250 for each of the 16 loops, where the kill comes once 48 answers are in: none runs out first.
      const store = openStore();
      const { program_id: programId } = await store.db.selectFrom('rewards').select('program_id').where('id', '=', reward.body.id).executeTakeFirstOrThrow();
      const codes = Array.from({ length: 4_000 }, (_, i) => `T${String(i).padStart(6, '0')}`); // already in normal form
      const now = new Date().toISOString();
      for (let from = 0; from < codes.length; from += 500) {
        const slice = codes.slice(from, from + 500);
        await store.db
          .insertInto('vouchers')
          .values(
            slice.map((code) => ({
              program_id: programId,
              id: `vch_${code}`,
              user_id: userId,
              reward_id: reward.body.id,
              purchase_id: null,
              status: 'ACTIVE',
              code,
              activated_at: now,
              expires_at: null,
              validity_ends_at: null,
              burned_at: null,
              voided_at: null,
              gift_comment: null,
              took_stock: 0,
              burn_validation_id: null,
              created_at: now,
            })),
          )
          .execute();
        await store.db.insertInto('voucher_codes').values(slice.map((code) => ({ program_id: programId, code_normal: code, voucher_id: `vch_${code}` }))).execute();
      }

      const acknowledged = await killMidTraffic(server, (l, n) => {
        const code = codes[l + 16 * n];
        if (code === undefined) return null;
        return {
          request: call(server, 'POST', '/v1/voucher-validations', { code }),
          acknowledged: (r) => (r.status === 200 && r.body.burned === true ? { code, validationId: r.body.validation.id as string } : undefined),
        };
      });

      const next = await startOne();
      const vouchers = await store.db.selectFrom('vouchers').select(['code', 'status', 'burn_validation_id']).where('program_id', '=', programId).execute();
      const byCode = new Map(vouchers.map((v) => [v.code, v]));
      const lost = acknowledged.filter((a) => byCode.get(a.code)?.status !== 'BURNED' || byCode.get(a.code)?.burn_validation_id !== a.validationId);
      expect(lost, 'acknowledged burns missing after kill -9').toEqual([]);
      // Every burned voucher, acknowledged or cut off, has exactly one BURNED_VOUCHER event, and no event lacks its burn.
      const events = await readEvents(next, `&type=BURNED_VOUCHER&userId=${userId}`);
      const burnedIds = vouchers.filter((v) => v.status === 'BURNED').map((v) => v.burn_validation_id);
      expect(events.map((e) => e.data.validationId).sort()).toEqual(burnedIds.sort());
      // And none burns again.
      for (const { code } of acknowledged.slice(0, 20)) {
        expect((await call(next, 'POST', '/v1/voucher-validations', { code })).body.reason).toBe('ALREADY_BURNED');
      }
    });
  });
});
