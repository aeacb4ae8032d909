import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/db/engine.js';
import { EVENT_TYPES } from '../src/events/event-types.js';
import { REWARD_STATUSES } from '../src/rewards/reward.js';
import { DEFAULT_GUESS_LIMITS } from '../src/validations/guess-limiter.js';
import { VOUCHER_STATUSES } from '../src/vouchers/voucher.js';
import { inBatches } from './fixtures.js';
import { type TestApp, createKey, createMember, createTestDatabase, engines, storageOf, useTestApp } from './harness.js';
import { type PlanChecker, type Statement, type Verdict, equalitiesIn, postgresPlanChecker, sqlitePlanChecker } from './query-plan-checker.js';

/**
 * The query plan guard: every statement the API runs to answer a list or a lookup must seek an
 * index, in the order asked, on every column it compares by equality. Its cost then stays the same
 * whatever a program holds. The data is small, so time proves nothing here: the plans are read.
 */

const DAY = 86_400_000;
// A few hundred writes: seconds on an idle machine, more on a busy one.
const SEEDING_TIMEOUT_MS = 180_000;

/** One request of the table below. `{name}` in the URL or body is replaced with the seed's value. */
interface Probe {
  method: 'GET' | 'POST';
  url: string;
  body?: Record<string, string | boolean>;
  /** The key it is sent with (admin unless told). */
  key?: 'adminKey' | 'posKey';
  /** The status it must answer (200 unless told). */
  status?: number;
  /** Also ask for the second page: the first with limit=2, then with its nextCursor. */
  pages?: boolean;
}

const get = (url: string, options: Omit<Probe, 'method' | 'url'> = {}): Probe => ({ method: 'GET', url, ...options });
const dryRun = (body: Record<string, string>): Probe => ({ method: 'POST', url: '/v1/voucher-validations', body: { ...body, dryRun: true }, key: 'posKey' });

/** A GET of `path` under every combination of `filters`: each filter absent or set to one of its values. */
function everyCombination(path: string, filters: Record<string, readonly string[]>, options: Omit<Probe, 'method' | 'url'> = {}): Probe[] {
  let queries: string[][] = [[]];
  for (const [name, values] of Object.entries(filters)) {
    queries = queries.flatMap((query) => [query, ...values.map((value) => [...query, `${name}=${value}`])]);
  }
  const joiner = path.includes('?') ? '&' : '?';
  return queries.map((query) => get(query.length === 0 ? path : `${path}${joiner}${query.join('&')}`, options));
}

/** Every list and lookup the API offers (src/*\/routes.ts), with every filter. A new one is a line here. */
const PROBES: Probe[] = [
  ...everyCombination('/v1/rewards', { status: REWARD_STATUSES }, { pages: true }),
  get('/v1/rewards/{coffee}'),
  get('/v1/rewards/{tote}'),
  get('/v1/rewards/{welcome}'),
  get('/v1/rewards/{tote}/codes/summary'),
  get('/v1/users', { pages: true }),
  get('/v1/users?externalId={memberExternalId}'),
  get('/v1/users/{member}'),
  get('/v1/users/{member}/points', { pages: true }),
  ...everyCombination('/v1/vouchers', { userId: ['{member}'], rewardId: ['{coffee}', '{cake}', '{lunch}', '{tote}', '{welcome}'], status: VOUCHER_STATUSES }, { pages: true }),
  get('/v1/vouchers/{burnedVoucher}'),
  get('/v1/vouchers/{activeVoucher}/barcode.svg'),
  get('/v1/vouchers/lookup?code={activeCode}'),
  get('/v1/vouchers/lookup?code={issuedPoolCode}'),
  get('/v1/vouchers/lookup?code={availablePoolCode}', { status: 404 }),
  get('/v1/vouchers/lookup?code={staticCode}', { status: 404 }),
  get('/v1/vouchers/lookup?code=NO-SUCH-CODE', { status: 404 }),
  ...everyCombination('/v1/events', { type: EVENT_TYPES, userId: ['{member}'] }, { pages: true }),
  get('/v1/webhooks', { pages: true }),
  get('/v1/webhooks/{webhook}'),
  get('/v1/webhooks/{webhook}/deliveries', { pages: true }),
  get('/v1/api-keys', { pages: true }),
  dryRun({ code: '{activeCode}' }),
  dryRun({ code: '{burnedCode}' }),
  dryRun({ code: '{issuedPoolCode}' }),
  dryRun({ code: '{staticCode}', userId: '{member}' }),
  dryRun({ code: '{staticCode}', userId: '{memberExternalId}' }),
  dryRun({ code: 'NO-SUCH-CODE' }),
  // A report covers the program, one reward or one venue: never both filters at once.
  ...everyCombination('/v1/reports/activity?from={from}&to={to}', { timezone: ['Europe/London'], rewardId: ['{coffee}'] }),
  get('/v1/reports/activity?from={from}&to={to}&timezone=Europe/London&venue=store-2'),
  get('/v1/reports/activity.csv?from={from}&to={to}&timezone=Europe/London'),
  get('/v1/reports/rewards?from={from}&to={to}&timezone=Europe/London', { pages: true }),
  get('/v1/reports/venues?from={from}&to={to}&timezone=Europe/London', { pages: true }),
];

type Seed = Record<string, string>;

async function must(what: string, response: Promise<{ status: number; body: any }>, status = 201): Promise<any> {
  const { status: got, body } = await response;
  if (got !== status) throw new Error(`could not ${what}: ${got} ${JSON.stringify(body)}`);
  return body;
}

/**
 * A program with some of everything: rewards of each code type, members with points, purchases,
 * burns at venues, a reversal, a void, a refund, gifts, uploads, webhooks and keys.
 */
async function seedProgram(t: TestApp, size: { members: number; purchases: number }): Promise<Seed> {
  const { adminKey } = await t.newProgram();
  const post = (url: string, body: unknown, key = adminKey) => t.request('POST', url, body, { key });
  const reward = async (fields: Record<string, unknown>) =>
    (await must('create a reward', post('/v1/rewards', { pricePoints: 10, incentives: [{ type: 'PERCENTAGE', value: 100 }], ...fields }))).id as string;
  const upload = (rewardId: string, codes: string[]) =>
    must('upload codes', t.request('POST', `/v1/rewards/${rewardId}/codes`, undefined, { key: adminKey, payload: codes.join('\n'), contentType: 'text/plain' }));

  await createKey(t, adminKey, 'app');
  const pos = await createKey(t, adminKey, 'pos', { venue: 'store-1' });
  const till = await createKey(t, adminKey, 'pos');
  const revoked = await createKey(t, adminKey, 'app');
  await must('revoke a key', t.request('DELETE', `/v1/api-keys/${revoked.id}`, undefined, { key: adminKey }), 204);

  const coffee = await reward({ name: 'Free coffee', codeType: 'ONE_TIME', codeFormat: 'CAFE-{code}' });
  const cake = await reward({ name: 'Cake', codeType: 'ONE_TIME', redemptionFlow: 'TWO_STEP', pricePoints: 20 });
  const lunch = await reward({ name: 'Lunch', codeType: 'ONE_TIME', validityDays: 1, venues: ['store-1', 'store-2'] });
  const tote = await reward({ name: 'Tote bag', codeType: 'POOL', venues: ['store-1'], pricePoints: 15 });
  const cinema = await reward({ name: 'Cinema', codeType: 'POOL', lowStockThreshold: 3 });
  // The same static codes and pool codes in every program: a code alone never finds the row.
  const welcome = await reward({ name: 'Welcome', codeType: 'STATIC', staticCode: 'WELCOME-10', pricePoints: 0 });
  const summer = await reward({ name: 'Summer', codeType: 'STATIC', staticCode: 'SUMMER-5' });
  const toteCodes = Array.from({ length: 150 }, (_, i) => `TOTE-${String(i).padStart(4, '0')}`);
  await upload(tote, toteCodes);
  await upload(cinema, ['CINE-1', 'CINE-2', 'CINE-3', 'CINE-4', 'CINE-5']);

  const members: { id: string; externalId: string }[] = await inBatches(size.members, 8, async (i) => {
    const externalId = `member-${i}`;
    const id = await createMember(t, adminKey, externalId);
    await must('credit points', post(`/v1/users/${id}/points`, { delta: 2000, reason: 'welcome' }));
    return { id, externalId };
  });
  for (const member of members.slice(0, 3)) await must('debit points', post(`/v1/users/${member.id}/points`, { delta: -5, reason: 'correction' }));

  // Round robin over members, and over rewards shifted each round, so each member holds every kind.
  const rewards = [coffee, cake, lunch, tote, welcome, summer];
  const bought: { userId: string; rewardId: string; purchase: { id: string }; voucher: { id: string; code: string | null } }[] = await inBatches(
    size.purchases,
    8,
    async (i) => {
      const userId = members[i % members.length]!.id;
      const rewardId = rewards[(i + Math.floor(i / members.length)) % rewards.length]!;
      return { userId, rewardId, ...(await must('buy', post(`/v1/users/${userId}/purchases`, { rewardId }))) };
    },
  );
  for (const member of members.slice(0, 5)) await must('buy out the cinema', post(`/v1/users/${member.id}/purchases`, { rewardId: cinema }));
  for (const member of members.slice(0, 2)) await must('give a gift', post(`/v1/users/${member.id}/gifts`, { rewardId: coffee, comment: 'sorry' }));

  const coded = bought.filter((b) => b.voucher.code !== null && (b.rewardId === coffee || b.rewardId === lunch || b.rewardId === tote));
  // Burns at three venues, each where its reward may be used (the tote bag only at store-1).
  const venueFor = (rewardId: string, i: number) => (rewardId === tote ? 'store-1' : rewardId === lunch ? `store-${1 + (i % 2)}` : `store-${1 + (i % 3)}`);
  const burns = await inBatches(Math.ceil(coded.length / 2), 8, async (i) => {
    const { voucher, rewardId } = coded[i * 2]!;
    const burn = { code: voucher.code, venue: venueFor(rewardId, i), reference: `till-1/tx-${i}` };
    return { voucher, body: await must('burn', post('/v1/voucher-validations', burn, till.key), 200) };
  });
  const burnedOfMember = burns.find((b) => coded.find((c) => c.voucher.id === b.voucher.id)?.userId === members[0]!.id)!;
  await must('reverse a burn', post(`/v1/voucher-validations/${burns[1]!.body.validation.id}/reversal`, { reason: 'wrong till' }, till.key), 200);
  for (const member of members.slice(0, 4)) {
    await must('burn a static code', post('/v1/voucher-validations', { code: 'welcome 10', userId: member.id }, pos.key), 200);
  }
  const twoStep = bought.filter((b) => b.rewardId === cake);
  for (const { voucher } of twoStep.filter((_, i) => i % 2 === 0)) await must('reveal', post(`/v1/vouchers/${voucher.id}/reveal`, {}), 200);
  const unburned = coded.filter((_, i) => i % 2 === 1);
  await must('void', post(`/v1/vouchers/${unburned[0]!.voucher.id}/void`, { reason: 'duplicate' }), 200);
  await must('refund', post(`/v1/purchases/${unburned[1]!.purchase.id}/refund`, { reason: 'changed mind' }), 200);
  await must('archive', post(`/v1/rewards/${summer}/archive`, {}), 200);

  const webhooks: string[] = [];
  for (let i = 0; i < 4; i++) webhooks.push((await must('subscribe', post('/v1/webhooks', { url: `http://127.0.0.1:9/hook-${i}`, eventTypes: ['BURNED_VOUCHER'] }))).id);
  await must('unsubscribe', t.request('DELETE', `/v1/webhooks/${webhooks[3]}`, undefined, { key: adminKey }), 204);
  for (let i = 0; i < 3; i++) await must('send a test event', post(`/v1/webhooks/${webhooks[0]}/test`, {}), 202);

  const active = unburned.find((b) => b.userId === members[0]!.id && b.rewardId === coffee) ?? unburned[2]!;
  const issuedPool = bought.find((b) => b.rewardId === tote)!;
  // Report ranges around today, whatever the test clock says.
  const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
  return {
    from: day(-30),
    to: day(7),
    adminKey,
    posKey: pos.key,
    member: members[0]!.id,
    memberExternalId: members[0]!.externalId,
    coffee,
    cake,
    lunch,
    tote,
    welcome,
    burnedVoucher: burnedOfMember.voucher.id,
    burnedCode: burnedOfMember.voucher.code!,
    activeVoucher: active.voucher.id,
    activeCode: active.voucher.code!,
    issuedPoolCode: issuedPool.voucher.code!,
    availablePoolCode: toteCodes[toteCodes.length - 1]!,
    staticCode: 'WELCOME-10',
    webhook: webhooks[0]!,
  };
}

const fill = (text: string, seed: Seed) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (seed[name] === undefined) throw new Error(`the seed has no ${name}`);
    return seed[name];
  });
const fillUrl = (url: string, seed: Seed) => url.replace(/\{(\w+)\}/g, (placeholder) => encodeURIComponent(fill(placeholder, seed)));

interface Recorded extends Statement {
  request: string;
}

interface Failure {
  sql: string;
  problems: string[];
  plan: string;
  requests: string[];
}

function report(engine: Engine, failures: Failure[]): string {
  const blocks = failures.map((f) => {
    const more = f.requests.length > 1 ? ` (and ${f.requests.length - 1} more: ${f.requests.slice(1, 4).join(', ')}${f.requests.length > 4 ? ', …' : ''})` : '';
    return [
      `✗ ${f.requests[0]}${more}`,
      `  sql:     ${f.sql}`,
      ...f.problems.map((problem) => `  problem: ${problem}`),
      '  plan:',
      ...f.plan.split('\n').map((line) => `    ${line}`),
    ].join('\n');
  });
  return `${failures.length} statement(s) on ${engine} do not seek an index in order:\n\n${blocks.join('\n\n')}\n`;
}

async function openChecker(engine: Engine, t: { database: Parameters<typeof storageOf>[0] }): Promise<PlanChecker> {
  if (engine === 'sqlite') return sqlitePlanChecker(new SQLite((storageOf(t.database) as { file: string }).file, { readonly: true, fileMustExist: true }));
  const client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  return postgresPlanChecker(client);
}

describe.each(engines)('query plans [%s]', (engine) => {
  let recording: string | null = null;
  const recorded: Recorded[] = [];
  const t = useTestApp(engine, {
    storeOptions: {
      onQuery: (sql, parameters) => {
        if (recording !== null) recorded.push({ sql, parameters, request: recording });
      },
    },
  });
  let seed: Seed;

  beforeAll(async () => {
    if (engine === 'postgres') {
      // Plans are made without statistics, as on SQLite: a choice between two indexes then follows
      // how many conditions each seeks, not how a few hundred test rows happen to be spread. So
      // autovacuum must not analyze the tables half-way through.
      const client = new pg.Client({ connectionString: t.database.url });
      await client.connect();
      const { rows } = await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = current_schema()`);
      for (const { name } of rows) await client.query(`alter table "${name}" set (autovacuum_enabled = off)`);
      await client.end();
    }
    seed = await seedProgram(t, { members: 30, purchases: 300 });
    // A second program, so a seek on program_id alone never reaches just the rows asked for.
    await seedProgram(t, { members: 12, purchases: 90 });
    // Vouchers of the reward valid for a day are EXPIRED from here on.
    t.clock.advance(2 * DAY);
  }, SEEDING_TIMEOUT_MS);

  it('runs every list and lookup as an index seek in the order asked', async () => {
    const send = async (probe: Probe, url: string) => {
      const label = `${probe.method} ${url}`;
      recording = label;
      try {
        const body = probe.body && JSON.parse(fill(JSON.stringify(probe.body), seed));
        const response = await t.request(probe.method, url, body, { key: seed[probe.key ?? 'adminKey']! });
        expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(probe.status ?? 200);
        return response;
      } finally {
        recording = null;
      }
    };
    const secondPages = new Set<string>();
    for (const probe of PROBES) {
      const url = fillUrl(probe.url, seed);
      if (!probe.pages) {
        await send(probe, url);
        continue;
      }
      const first = `${url}${url.includes('?') ? '&' : '?'}limit=2`;
      const { body } = await send(probe, first);
      if (body.nextCursor) {
        await send(probe, `${first}&cursor=${encodeURIComponent(body.nextCursor)}`);
        secondPages.add(probe.url.split('?')[0]!);
      }
    }
    // The seed is big enough that every paged list was read past its first page.
    expect([...new Set(PROBES.filter((p) => p.pages).map((p) => p.url.split('?')[0]!))].filter((path) => !secondPages.has(path))).toEqual([]);

    const checker = await openChecker(engine, t);
    const failures = new Map<string, Failure>();
    const verdicts = new Map<string, Verdict | null>();
    const checkedPerRequest = new Map<string, number>();
    try {
      for (const statement of recorded) {
        const key = `${statement.sql}\u0000${JSON.stringify(statement.parameters)}`;
        if (!verdicts.has(key)) verdicts.set(key, await checker.check(statement));
        const verdict = verdicts.get(key)!;
        if (verdict === null) continue;
        checkedPerRequest.set(statement.request, (checkedPerRequest.get(statement.request) ?? 0) + 1);
        if (verdict.problems.length === 0) continue;
        // One entry for a statement and its problems, whatever values it ran with.
        const id = `${statement.sql}\u0000${verdict.problems.join('\u0000').replace(/'[^']*'/g, '?')}`;
        const failure = failures.get(id) ?? { sql: statement.sql, problems: verdict.problems, plan: verdict.plan, requests: [] };
        if (!failure.requests.includes(statement.request)) failure.requests.push(statement.request);
        failures.set(id, failure);
      }
    } finally {
      await checker.close();
    }
    // The observer saw the statements: every request's own reads were checked (besides its key).
    expect(recorded.length).toBeGreaterThan(PROBES.length);
    expect([...new Set(recorded.map((r) => r.request))].filter((request) => !checkedPerRequest.has(request))).toEqual([]);

    expect(failures.size, report(engine, [...failures.values()])).toBe(0);
  });
});

describe.each(engines)('the query plan checker [%s]', (engine) => {
  let checker: PlanChecker;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let run: (sql: string) => Promise<void>;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const ddl = [
      'create table plan_probe (program_id text not null, id text not null, user_id text, kind text not null, primary key (program_id, id))',
      'create index plan_probe_by_user on plan_probe (program_id, user_id, id)',
    ];
    if (engine === 'sqlite') {
      const connection = new SQLite((storageOf(database) as { file: string }).file);
      run = async (sql) => void connection.exec(sql);
      for (const statement of ddl) await run(statement);
      checker = sqlitePlanChecker(connection);
    } else {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      run = async (sql) => void (await client.query(sql));
      for (const statement of ddl) await run(statement);
      checker = await postgresPlanChecker(client);
    }
  });
  afterAll(async () => {
    await checker?.close();
    await database?.drop();
  });

  const problemsOf = async (sql: string, parameters: unknown[]) => (await checker.check({ sql, parameters }))!.problems;
  // PostgreSQL numbers its parameters.
  const $ = (sql: string) => {
    let n = 0;
    return engine === 'sqlite' ? sql : sql.replace(/\?/g, () => `$${++n}`);
  };

  it('flags a scan, a sort and a filter after the seek, and passes a seek in order', async () => {
    expect(await problemsOf($('select * from "plan_probe" where "kind" = ?'), ['A'])).toEqual([expect.stringMatching(/^reads every row of plan_probe/)]);
    expect(await problemsOf($('select * from "plan_probe" where "program_id" = ? order by "kind"'), ['p'])).toEqual([expect.stringMatching(/^sorts the rows/)]);
    const byKind = $('select * from "plan_probe" where "program_id" = ? and "kind" = ? order by "id" limit ?');
    expect(await problemsOf(byKind, ['p', 'A', 3])).toEqual([expect.stringMatching(/filters on kind row by row/)]);
    // Exceptions: one row by its unique key, and a member's own rows; alternatives are no equality.
    expect(await problemsOf($('select * from "plan_probe" where "program_id" = ? and "id" = ? and "kind" = ?'), ['p', 'i', 'A'])).toEqual([]);
    expect(await problemsOf($('select * from "plan_probe" where "program_id" = ? and "user_id" = ? and "kind" = ? order by "id"'), ['p', 'u', 'A'])).toEqual([]);
    expect(await problemsOf($('select * from "plan_probe" where "program_id" = ? and ("kind" = ? or "id" = ?) order by "id"'), ['p', 'A', 'i'])).toEqual([]);
    // An UPDATE's SET list assigns; only its WHERE is a condition.
    expect(await problemsOf($('update "plan_probe" set "kind" = ? where "program_id" = ? and "id" = ?'), ['B', 'p', 'i'])).toEqual([]);
    expect(await problemsOf($('update "plan_probe" set "user_id" = ? where "program_id" = ? and "kind" = ?'), ['u', 'p', 'A'])).toEqual([
      expect.stringMatching(/filters on kind row by row/),
    ]);

    await run('create index plan_probe_by_kind on plan_probe (program_id, kind, id)');
    expect(await problemsOf(byKind, ['p', 'A', 3])).toEqual([]);
  });

  it('reads equality conditions from quoted SQL and from plan conditions, but not from alternatives', () => {
    expect(equalitiesIn('select * from "events" as "e" where "e"."program_id" = ? and "type" = \'X\' and "seq" > ? and ("a" = ? or "b" = ?)')).toEqual([
      { qualifier: 'e', column: 'program_id' },
      { qualifier: null, column: 'type' },
    ]);
    expect(equalitiesIn("((type = 'PURCHASE_REFUNDED'::text) AND (e.user_id = $2) AND (expires_at <= $3))")).toEqual([
      { qualifier: null, column: 'type' },
      { qualifier: 'e', column: 'user_id' },
    ]);
  });
});
