import fc from 'fast-check';
import { type Kysely, Migrator, sql } from 'kysely';
import { expect, it, onTestFinished } from 'vitest';
import { migrations } from '../src/db/migrations/index.js';
import { type Response, type TestApp, createKey, createMember, describeEachEngine } from './harness.js';
import { type Scope, activeCount, addDays, expectedReport, localDate, quarterHourOf, readRows } from './report-oracle.js';

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Europe/London'] as const;
const VENUES = ['north', 'south', 'east'] as const;
/** The venue the bound pos key speaks for. */
const BOUND_VENUE = 'south';
const CSV_HEADER = 'date,issued,burned,expired,voided,redemptionRate,pointsCredited,pointsDebited,pointsSpent';
const UNKNOWN_REWARD = 'rwd_01jz0000000000000000000000';

// ---------------------------------------------------------------------------------------------
// Histories: a plan drawn by fast-check, played through the HTTP API.

/** How far from an edge (a local midnight, an expiry) a move of the clock lands. */
const nudge = fc.constantFrom(-MINUTE, -1, 0, 1, MINUTE, 14 * MINUTE, QUARTER);

const advance = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('by' as const), ms: fc.integer({ min: 1000, max: 40 * MINUTE }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('by' as const), ms: fc.integer({ min: HOUR, max: 12 * HOUR }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('by' as const), ms: fc.integer({ min: DAY, max: 2 * DAY }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('toLocalMidnight' as const), zone: fc.constantFrom(...ZONES), nudge }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('toExpiryOf' as const), voucher: fc.nat(999), nudge }) },
);

const validUntil = fc.oneof(
  fc.record({ kind: fc.constant('inMinutes' as const), minutes: fc.integer({ min: -2 * 24 * 60, max: 4 * 24 * 60 }) }),
  fc.record({ kind: fc.constant('atLocalMidnight' as const), zone: fc.constantFrom(...ZONES), daysLater: fc.integer({ min: 0, max: 2 }) }),
  fc.constant({ kind: 'none' as const }),
);

const credit = fc.record({ kind: fc.constant('credit' as const), member: fc.nat(9), points: fc.integer({ min: 1, max: 80 }) });
/** `retried`: sent twice under one Idempotency-Key, as a client does when an answer is lost. */
const purchase = fc.record({ kind: fc.constant('purchase' as const), member: fc.nat(9), reward: fc.nat(9), retried: fc.boolean() });
const gift = fc.record({ kind: fc.constant('gift' as const), member: fc.nat(9), reward: fc.nat(9) });
/** `retried`: sent twice with the till's reference (the second answers the first burn, replayed). */
const burn = fc.record({
  kind: fc.constant('burn' as const),
  voucher: fc.nat(999),
  venue: fc.option(fc.constantFrom(...VENUES), { nil: null }),
  via: fc.constantFrom('admin' as const, 'pos' as const, 'boundPos' as const),
  retried: fc.boolean(),
});
const reverse = fc.record({ kind: fc.constant('reverse' as const), burn: fc.nat(999), byAdmin: fc.boolean() });
const voidVoucher = fc.record({ kind: fc.constant('void' as const), voucher: fc.nat(999) });
const refund = fc.record({ kind: fc.constant('refund' as const), purchase: fc.nat(999) });

const op = fc.oneof(
  { weight: 2, arbitrary: credit },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('debit' as const), member: fc.nat(9), points: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 6, arbitrary: purchase },
  { weight: 2, arbitrary: gift },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reveal' as const), voucher: fc.nat(999) }) },
  { weight: 5, arbitrary: burn },
  { weight: 2, arbitrary: reverse },
  { weight: 2, arbitrary: voidVoucher },
  { weight: 2, arbitrary: refund },
  /** A few requests at once (on PostgreSQL, writers of the same tally rows in parallel). */
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('together' as const),
      ops: fc.array(fc.oneof(credit, purchase, gift, burn, reverse, voidVoucher, refund), { minLength: 2, maxLength: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('validUntil' as const), reward: fc.nat(9), to: validUntil }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), to: advance }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'check' as const }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

const validityDays = fc.option(fc.integer({ min: 1, max: 3 }), { nil: null });
const opsOf = (minLength: number, maxLength: number) => fc.array(op, { minLength, maxLength });

const history = fc.record({
  /** Where the clock starts: where it is, or a few hours before Europe/London changes its clocks. */
  start: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'asIs' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('beforeLondonChange' as const), hours: fc.integer({ min: 1, max: 30 }) }) },
  ),
  oneStepDays: validityDays,
  twoStepDays: validityDays,
  poolDays: validityDays,
  prices: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 4, maxLength: 4 }),
  members: fc.integer({ min: 2, max: 4 }),
  ops: opsOf(15, 45),
  /** Where the clock stops for the last look: this far past the next expiry of a live voucher. */
  lastLook: fc.constantFrom(0, 1, 14 * MINUTE, QUARTER - 1, QUARTER),
});
type History = typeof history extends fc.Arbitrary<infer T> ? T : never;

/** What a played history has made, for the next steps to pick from. */
interface World {
  programId: string;
  adminKey: string;
  posKey: string;
  boundPosKey: string;
  rewards: { id: string; codeType: 'ONE_TIME' | 'POOL' | 'STATIC' }[];
  members: string[];
  vouchers: { id: string; userId: string; code: string | null; codeType: string }[];
  purchases: string[];
  burns: { validationId: string; key: string }[];
  startedAt: number;
  /** The clock when its last step was played. */
  lastAt: number;
}

/** Numbers idempotency keys and till references apart. */
let serial = 0;

const pick = <T>(list: T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

/** Sends a request that may be refused (409, 404...) but never fails the server. */
async function send(t: TestApp, method: string, url: string, body: unknown, key: string, headers?: Record<string, string>): Promise<Response> {
  const response = await t.request(method, url, body, { key, ...(headers ? { headers } : {}) });
  expect(response.status, `${method} ${url} ${JSON.stringify(body)} → ${JSON.stringify(response.body)}`).toBeLessThan(500);
  return response;
}

/** The first quarter hour at which `zone` is on a later date than `date` (zones change dates only on quarter hours). */
function startOfDateAfter(date: string, zone: string, fromMs: number): number {
  let ms = fromMs - (fromMs % QUARTER);
  while (localDate(ms, zone) <= date) ms += QUARTER;
  return ms;
}

/** The next local midnight in `zone` after `ms`, `daysLater` days further on. */
function nextLocalMidnight(zone: string, ms: number, daysLater = 0): number {
  let at = startOfDateAfter(localDate(ms, zone), zone, ms);
  for (let i = 0; i < daysLater; i++) at = startOfDateAfter(localDate(at, zone), zone, at);
  return at;
}

/** The next instant Europe/London changes its offset (to or from summer time). */
function nextLondonChange(ms: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/London', timeZoneName: 'short' });
  const offsetName = (at: number) => name.formatToParts(at).find((p) => p.type === 'timeZoneName')!.value;
  const now = offsetName(ms);
  let at = ms - (ms % HOUR) + HOUR;
  while (offsetName(at) === now) at += HOUR;
  return at;
}

/** Moves the clock forward to `ms` (never back: other runs' data stays in the past). */
function moveClockTo(t: TestApp, ms: number): void {
  const now = t.clock.now().getTime();
  if (ms > now) t.clock.advance(ms - now);
}

/**
 * Stops the clock between moves, so a history plays the same every time (every read in a request
 * gives one instant) and figures read one after the other share one "now". Answers how to restart it.
 */
function freezeClock(t: TestApp): () => void {
  let at = t.clock.now().getTime();
  const advance = t.clock.advance.bind(t.clock);
  Object.assign(t.clock, {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
      advance(ms);
    },
  });
  // The running clock has been moved as far as the stopped one, and real time has passed too: it goes on from later.
  return () => {
    Reflect.deleteProperty(t.clock, 'now');
    Reflect.deleteProperty(t.clock, 'advance');
  };
}

async function startWorld(t: TestApp, plan: History): Promise<World> {
  if (plan.start.kind === 'beforeLondonChange') moveClockTo(t, nextLondonChange(t.clock.now().getTime()) - plan.start.hours * HOUR);
  const startedAt = t.clock.now().getTime();
  const { programId, adminKey } = await t.newProgram();
  const posKey = (await createKey(t, adminKey, 'pos')).key;
  const boundPosKey = (await createKey(t, adminKey, 'pos', { venue: BOUND_VENUE })).key;
  const incentives = [{ type: 'PERCENTAGE', value: 10 }];
  const create = async (fields: object) => {
    const response = await send(t, 'POST', '/v1/rewards', { incentives, ...fields }, adminKey);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id as string;
  };
  const days = (n: number | null) => (n === null ? {} : { validityDays: n });
  const rewards: World['rewards'] = [
    { id: await create({ name: 'One step', pricePoints: plan.prices[0], codeType: 'ONE_TIME', codeFormat: 'ONE-{code}', ...days(plan.oneStepDays) }), codeType: 'ONE_TIME' },
    {
      id: await create({ name: 'Two step', pricePoints: plan.prices[1], codeType: 'ONE_TIME', redemptionFlow: 'TWO_STEP', ...days(plan.twoStepDays) }),
      codeType: 'ONE_TIME',
    },
    { id: await create({ name: 'Pool', pricePoints: plan.prices[2], codeType: 'POOL', ...days(plan.poolDays) }), codeType: 'POOL' },
    { id: await create({ name: 'Static', pricePoints: plan.prices[3], codeType: 'STATIC', staticCode: 'WELCOME-10' }), codeType: 'STATIC' },
  ];
  const codes = Array.from({ length: 15 }, (_, i) => `POOLCODE${String(i).padStart(4, '0')}`);
  const uploaded = await t.request('POST', `/v1/rewards/${rewards[2]!.id}/codes`, undefined, {
    key: adminKey,
    payload: JSON.stringify({ codes }),
    contentType: 'application/json',
  });
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  const members: string[] = [];
  for (let i = 0; i < plan.members; i++) {
    const userId = await createMember(t, adminKey);
    await send(t, 'POST', `/v1/users/${userId}/points`, { delta: 150, reason: 'welcome' }, adminKey);
    members.push(userId);
  }
  return { programId, adminKey, posKey, boundPosKey, rewards, members, vouchers: [], purchases: [], burns: [], startedAt, lastAt: startedAt };
}

async function play(t: TestApp, w: World, step: Op): Promise<void> {
  await playStep(t, w, step);
  w.lastAt = Math.max(w.lastAt, t.clock.now().getTime());
}

async function playStep(t: TestApp, w: World, step: Op): Promise<void> {
  const admin = w.adminKey;
  switch (step.kind) {
    case 'credit':
    case 'debit': {
      const userId = pick(w.members, step.member)!;
      await send(t, 'POST', `/v1/users/${userId}/points`, { delta: step.kind === 'credit' ? step.points : -step.points, reason: step.kind }, admin);
      return;
    }
    case 'purchase':
    case 'gift': {
      const userId = pick(w.members, step.member)!;
      const reward = pick(w.rewards, step.reward)!;
      const url = `/v1/users/${userId}/${step.kind === 'purchase' ? 'purchases' : 'gifts'}`;
      const retried = step.kind === 'purchase' && step.retried;
      const headers = retried ? { 'idempotency-key': `retry-${++serial}` } : undefined;
      const response = await send(t, 'POST', url, { rewardId: reward.id }, admin, headers);
      if (retried) expect((await send(t, 'POST', url, { rewardId: reward.id }, admin, headers)).body).toEqual(response.body);
      if (response.status !== 201) return;
      const voucher = step.kind === 'purchase' ? response.body.voucher : response.body;
      w.vouchers.push({ id: voucher.id, userId, code: voucher.code, codeType: reward.codeType });
      if (step.kind === 'purchase') w.purchases.push(response.body.purchase.id);
      return;
    }
    case 'reveal': {
      // Mostly the ones waiting to be revealed; now and then any other.
      const waiting = w.vouchers.filter((v) => v.code === null);
      const voucher = pick(step.voucher % 4 === 0 || waiting.length === 0 ? w.vouchers : waiting, step.voucher);
      if (!voucher) return;
      const response = await send(t, 'POST', `/v1/vouchers/${voucher.id}/reveal`, {}, admin);
      if (response.status === 200) voucher.code = response.body.code;
      return;
    }
    case 'burn': {
      const voucher = pick(w.vouchers.filter((v) => v.code !== null), step.voucher);
      if (!voucher) return;
      const key = step.via === 'admin' ? admin : step.via === 'pos' ? w.posKey : w.boundPosKey;
      const body = {
        code: voucher.code,
        ...(step.via !== 'boundPos' && step.venue !== null ? { venue: step.venue } : {}),
        // A static code is everyone's: naming the member points at their voucher.
        ...(voucher.codeType === 'STATIC' ? { userId: voucher.userId } : {}),
      };
      const reference = step.retried ? { reference: `till-${++serial}` } : {};
      const response = await send(t, 'POST', '/v1/voucher-validations', { ...body, ...reference }, key);
      expect(response.status).toBe(200);
      if (response.body.burned) w.burns.push({ validationId: response.body.validation.id, key });
      if (step.retried) {
        const again = await send(t, 'POST', '/v1/voucher-validations', { ...body, ...reference }, key);
        if (again.body.burned && !again.body.replayed) w.burns.push({ validationId: again.body.validation.id, key });
      }
      return;
    }
    case 'reverse': {
      const burn = pick(w.burns, step.burn);
      if (!burn) return;
      await send(t, 'POST', `/v1/voucher-validations/${burn.validationId}/reversal`, {}, step.byAdmin ? admin : burn.key);
      return;
    }
    case 'void': {
      const voucher = pick(w.vouchers, step.voucher);
      if (voucher) await send(t, 'POST', `/v1/vouchers/${voucher.id}/void`, {}, admin);
      return;
    }
    case 'refund': {
      const purchase = pick(w.purchases, step.purchase);
      if (purchase) await send(t, 'POST', `/v1/purchases/${purchase}/refund`, {}, admin);
      return;
    }
    case 'validUntil': {
      const reward = pick(w.rewards, step.reward)!;
      const now = t.clock.now().getTime();
      const to = step.to;
      const instant =
        to.kind === 'none' ? null : to.kind === 'inMinutes' ? now + to.minutes * MINUTE : nextLocalMidnight(to.zone, now, to.daysLater);
      const response = await send(t, 'PATCH', `/v1/rewards/${reward.id}`, { validUntil: instant === null ? null : new Date(instant).toISOString() }, admin);
      // A POOL reward cannot be changed at all for now (see the test of its validUntil below).
      if (reward.codeType !== 'POOL') expect(response.status, JSON.stringify(response.body)).toBe(200);
      return;
    }
    case 'advance': {
      const to = step.to;
      const now = t.clock.now().getTime();
      if (to.kind === 'by') t.clock.advance(to.ms);
      else if (to.kind === 'toLocalMidnight') moveClockTo(t, nextLocalMidnight(to.zone, now) + to.nudge);
      else {
        const voucher = pick(w.vouchers, to.voucher);
        if (!voucher) return;
        const row = await t.store.db.selectFrom('vouchers').select('expires_at').where('program_id', '=', w.programId).where('id', '=', voucher.id).executeTakeFirstOrThrow();
        if (row.expires_at !== null) moveClockTo(t, Date.parse(row.expires_at) + to.nudge);
      }
      return;
    }
    case 'check':
      await checkReports(t, w);
      return;
    case 'together':
      await Promise.all(step.ops.map((inner) => play(t, w, inner)));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the reports and comparing them with the count made from the rows.

interface Query {
  from: string;
  to: string;
  timezone: string;
  scope: Scope;
}

function reportUrl(query: Query, csv = false): string {
  const params = new URLSearchParams({ from: query.from, to: query.to, timezone: query.timezone });
  if (query.scope.kind === 'reward') params.set('rewardId', query.scope.rewardId);
  if (query.scope.kind === 'venue') params.set('venue', query.scope.venue);
  return `/v1/reports/activity${csv ? '.csv' : ''}?${params}`;
}

const describeScope = (scope: Scope) => (scope.kind === 'program' ? 'program' : scope.kind === 'reward' ? scope.rewardId : `venue ${scope.venue}`);

/** Reads a report and checks every figure against the rows; answers the report. */
async function expectReport(t: TestApp, key: string, rows: Awaited<ReturnType<typeof readRows>>, query: Query) {
  const response = await t.request('GET', reportUrl(query), undefined, { key });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const report = response.body;
  expect(report.expiredBefore).toBe(quarterHourOf(Date.parse(report.asOf)));
  const expected = expectedReport(rows, query, report.expiredBefore);
  expect(report, `${describeScope(query.scope)} ${query.timezone} ${query.from}..${query.to} as of ${report.asOf}`).toEqual({
    from: query.from,
    to: query.to,
    timezone: query.timezone,
    rewardId: query.scope.kind === 'reward' ? query.scope.rewardId : null,
    venue: query.scope.kind === 'venue' ? query.scope.venue : null,
    asOf: report.asOf,
    expiredBefore: report.expiredBefore,
    ...expected,
  });
  return report;
}

/** The CSV twin's lines as the JSON's days: empty cells are nulls. */
function parseCsv(text: string) {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  const [header, ...rest] = lines;
  const columns = header!.split(',');
  return {
    header,
    days: rest.map((line) =>
      Object.fromEntries(line.split(',').map((cell, i) => [columns[i], i === 0 ? cell : cell === '' ? null : Number(cell)])),
    ),
  };
}

async function expectCsvLikeJson(t: TestApp, key: string, query: Query, report: { days: unknown[] }) {
  const response = await t.app.inject({ method: 'GET', url: reportUrl(query, true), headers: { authorization: `Bearer ${key}` } });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/csv/);
  const csv = parseCsv(response.body);
  expect(csv.header).toBe(CSV_HEADER);
  expect(csv.days).toEqual(report.days);
}

function scopesOf(w: World): Scope[] {
  return [
    { kind: 'program' },
    ...w.rewards.map((r): Scope => ({ kind: 'reward', rewardId: r.id })),
    ...[...VENUES, 'nowhere'].map((venue): Scope => ({ kind: 'venue', venue })),
  ];
}

/**
 * The days a world's reports cover in a zone: from the day before it started to a few days after its
 * last step (expiries set then fall at most four days later), so other worlds' time does not count.
 */
function rangeOf(w: World, timezone: string): { from: string; to: string } {
  return { from: addDays(localDate(w.startedAt, timezone), -1), to: addDays(localDate(w.lastAt, timezone), 5) };
}

/** Every report of the world (each scope, each zone, and each active day alone) and the live codes, against the rows. */
async function checkReports(t: TestApp, w: World): Promise<void> {
  const rows = await readRows(t.store.db, w.programId);
  // Reading changes nothing, so the zones are asked at once (on PostgreSQL, over several connections).
  await Promise.all(
    ZONES.map(async (timezone) => {
      const { from, to } = rangeOf(w, timezone);
      for (const scope of scopesOf(w)) {
        const report = await expectReport(t, w.adminKey, rows, { from, to, timezone, scope });
        if (scope.kind === 'program') {
          await expectCsvLikeJson(t, w.adminKey, { from, to, timezone, scope }, report);
          // A range of one day starts and ends on that day's own edges.
          for (const day of report.days as { date: string; issued: number; burned: number; expired: number; voided: number }[]) {
            if (day.issued + day.burned + day.expired + day.voided > 0) await expectReport(t, w.adminKey, rows, { from: day.date, to: day.date, timezone, scope });
          }
        }
      }
    }),
  );
  const expiredBefore = quarterHourOf(t.clock.now().getTime());
  for (const reward of w.rewards.filter((r) => r.codeType === 'ONE_TIME')) {
    const response = await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: w.adminKey });
    expect(response.body.guessability.liveCodes, `live codes of ${reward.id}`).toBe(activeCount(rows, expiredBefore, reward.id));
  }
}

/** The next instant one of the world's ACTIVE vouchers expires at, if any does. */
async function nextExpiry(t: TestApp, w: World): Promise<number | null> {
  const row = await t.store.db
    .selectFrom('vouchers')
    .select((eb) => eb.fn.min('expires_at').as('next'))
    .where('program_id', '=', w.programId)
    .where('status', '=', 'ACTIVE')
    .where('expires_at', '>', t.clock.now().toISOString())
    .executeTakeFirst();
  return row?.next == null ? null : Date.parse(row.next as string);
}

/** Plays a whole history into a new program. */
async function playHistory(t: TestApp, plan: History): Promise<World> {
  const world = await startWorld(t, plan);
  for (const step of plan.ops) await play(t, world, step);
  return world;
}

// ---------------------------------------------------------------------------------------------
// Rebuilding the tallies from the rows, as the migration does on an existing database.

const provider = { getMigrations: async () => migrations };

/** Takes the database back to before 0006-scale (and anything after it) and forward again: the tallies are dropped and built from the rows. */
async function rebuildTallies(t: TestApp): Promise<void> {
  const sqlite = t.store.engine === 'sqlite';
  await t.store.db.connection().execute(async (conn) => {
    if (sqlite) await sql`begin immediate`.execute(conn);
    let done = false;
    try {
      const migrator = new Migrator({ db: conn as Kysely<any>, provider });
      const down = await migrator.migrateTo('0005-code-pools');
      if (down.error) throw down.error;
      expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toContainEqual(['0006-scale', 'Down', 'Success']);
      const up = await migrator.migrateToLatest();
      if (up.error) throw up.error;
      expect(up.results?.map((r) => [r.migrationName, r.direction, r.status])).toContainEqual(['0006-scale', 'Up', 'Success']);
      done = true;
    } finally {
      if (sqlite) await (done ? sql`commit` : sql`rollback`).execute(conn);
    }
  });
}

/** Each program's tallies summed over slots, leaving out the rows that add up to nothing. */
async function talliesOf(t: TestApp, programIds: string[]) {
  const rows = await t.store.db
    .selectFrom('report_tallies')
    .select((eb) => [
      'program_id',
      'scope',
      'bucket',
      eb.fn.sum<number>('issued').as('issued'),
      eb.fn.sum<number>('burned').as('burned'),
      eb.fn.sum<number>('voided').as('voided'),
      eb.fn.sum<number>('expiring').as('expiring'),
      eb.fn.sum<number>('points_credited').as('points_credited'),
      eb.fn.sum<number>('points_debited').as('points_debited'),
      eb.fn.sum<number>('points_spent').as('points_spent'),
    ])
    .where('program_id', 'in', programIds)
    .groupBy(['program_id', 'scope', 'bucket'])
    .orderBy('program_id')
    .orderBy('scope')
    .orderBy('bucket')
    .execute();
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v])))
    .filter((row) => ['issued', 'burned', 'voided', 'expiring', 'points_credited', 'points_debited', 'points_spent'].some((m) => row[m] !== 0));
}

/** Every report of each world in every zone, and the live codes of its rewards. */
async function everyFigure(t: TestApp, worlds: World[]) {
  const figures: unknown[] = [];
  for (const w of worlds) {
    for (const timezone of ZONES) {
      const { from, to } = rangeOf(w, timezone);
      for (const scope of scopesOf(w)) {
        const { asOf: _asOf, ...report } = (await t.request('GET', reportUrl({ from, to, timezone, scope }), undefined, { key: w.adminKey })).body;
        figures.push(report);
      }
    }
    for (const reward of w.rewards) {
      const response = await t.request('GET', `/v1/rewards/${reward.id}`, undefined, { key: w.adminKey });
      figures.push({ reward: reward.id, guessability: response.body.guessability });
    }
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------

/** Moves the clock to `minutesBefore` minutes before the next local midnight in `zone` that is at least two hours away. */
function toBeforeMidnight(t: TestApp, zone: string, minutesBefore: number): number {
  const midnight = nextLocalMidnight(zone, t.clock.now().getTime() + 2 * HOUR);
  moveClockTo(t, midnight - minutesBefore * MINUTE);
  return midnight;
}

const activity = (t: TestApp, key: string, query: Record<string, string>) =>
  t.request('GET', `/v1/reports/activity?${new URLSearchParams(query)}`, undefined, { key });

describeEachEngine('activity reports', (t) => {
  it('agree with a count made from the rows after any history, in any timezone', async () => {
    const restartClock = freezeClock(t);
    try {
      await fc.assert(
        fc.asyncProperty(history, async (plan) => {
          const world = await playHistory(t, plan);
          await checkReports(t, world);
          // And once more at (or just after) the instant a live voucher expires: in its quarter hour it still counts as live.
          const expiry = await nextExpiry(t, world);
          if (expiry !== null) {
            moveClockTo(t, expiry + plan.lastLook);
            world.lastAt = t.clock.now().getTime();
            await checkReports(t, world);
          }
        }),
        // Shrinking a failure replays whole histories: after four minutes the smallest found so far is reported.
        { numRuns: 20, seed: 20_261_203, plugins: [fc.interruptAfterTimeLimit(240_000)] },
      );
    } finally {
      restartClock();
    }
  });

  it('count a voucher expiring at local midnight on the new day, once its quarter hour has passed', async () => {
    const { adminKey } = await t.newProgram();
    const midnight = toBeforeMidnight(t, 'Asia/Kolkata', 30);
    const reward = await t.request(
      'POST',
      '/v1/rewards',
      { name: 'Until midnight', pricePoints: 0, codeType: 'ONE_TIME', validUntil: new Date(midnight).toISOString(), incentives: [] },
      { key: adminKey },
    );
    const userId = await createMember(t, adminKey);
    const bought = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey });
    expect(bought.body.voucher.expiresAt).toBe(new Date(midnight).toISOString());

    const newDay = localDate(midnight, 'Asia/Kolkata');
    const lastDay = addDays(newDay, -1);
    const kolkata = async () => (await activity(t, adminKey, { from: lastDay, to: newDay, timezone: 'Asia/Kolkata' })).body;
    const expiredByDay = (report: { days: { date: string; expired: number }[] }) => report.days.map((d) => [d.date, d.expired]);

    // A minute before midnight, and a minute after: the voucher no longer validates, but its quarter hour has not ended.
    for (const at of [midnight - MINUTE, midnight + MINUTE]) {
      moveClockTo(t, at);
      const report = await kolkata();
      expect(expiredByDay(report)).toEqual([[lastDay, 0], [newDay, 0]]);
      expect(report.active).toBe(1);
    }
    // Once the quarter hour has passed it is expired, on the new day (in UTC the same instant is still the day before).
    moveClockTo(t, midnight + QUARTER);
    const report = await kolkata();
    expect(report.expiredBefore).toBe(new Date(midnight + QUARTER).toISOString());
    expect(expiredByDay(report)).toEqual([[lastDay, 0], [newDay, 1]]);
    expect(report.active).toBe(0);
    expect(report.totals.expired).toBe(1);
    const utcDay = localDate(midnight, 'UTC');
    const utc = (await activity(t, adminKey, { from: utcDay, to: addDays(utcDay, 1), timezone: 'UTC' })).body;
    expect(expiredByDay(utc)).toEqual([[utcDay, 1], [addDays(utcDay, 1), 0]]);
    const guessed = await t.request('GET', `/v1/rewards/${reward.body.id}`, undefined, { key: adminKey });
    expect(guessed.body.guessability.liveCodes).toBe(0);
  });

  it('nets a refund made on a later day against the points spent on the day of the purchase', async () => {
    const zone = 'America/St_Johns';
    const midnight = toBeforeMidnight(t, zone, 20);
    const { adminKey } = await t.newProgram();
    const reward = await t.request('POST', '/v1/rewards', { name: 'Cake', pricePoints: 40, codeType: 'ONE_TIME', incentives: [] }, { key: adminKey });
    const userId = await createMember(t, adminKey);
    await t.request('POST', `/v1/users/${userId}/points`, { delta: 100, reason: 'start' }, { key: adminKey });
    const bought = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey });
    moveClockTo(t, midnight + 2 * HOUR);
    const refunded = await t.request('POST', `/v1/purchases/${bought.body.purchase.id}/refund`, {}, { key: adminKey });
    expect(refunded.status).toBe(200);

    const day = localDate(midnight - MINUTE, zone);
    const query = { from: day, to: addDays(day, 1), timezone: zone };
    const program = (await activity(t, adminKey, query)).body;
    const spent = (report: { days: { date: string; issued: number; voided: number; pointsSpent: number }[] }) =>
      report.days.map((d) => ({ date: d.date, issued: d.issued, voided: d.voided, pointsSpent: d.pointsSpent }));
    const expected = [
      { date: day, issued: 1, voided: 0, pointsSpent: 40 },
      { date: addDays(day, 1), issued: 0, voided: 1, pointsSpent: -40 },
    ];
    expect(spent(program)).toEqual(expected);
    expect(program.totals).toMatchObject({ issued: 1, voided: 1, pointsSpent: 0, pointsCredited: 100, pointsDebited: 0 });
    const byReward = (await activity(t, adminKey, { ...query, rewardId: reward.body.id })).body;
    expect(spent(byReward)).toEqual(expected);
    expect(byReward.totals).toMatchObject({ pointsSpent: 0, pointsCredited: null, pointsDebited: null });
  });

  it('takes a reversed burn off its own day and venue, and counts the burn that follows where it happened', async () => {
    const { adminKey } = await t.newProgram();
    const north = await createKey(t, adminKey, 'pos', { venue: 'north' });
    const reward = await t.request('POST', '/v1/rewards', { name: 'Tea', pricePoints: 0, codeType: 'ONE_TIME', incentives: [] }, { key: adminKey });
    const userId = await createMember(t, adminKey);
    const zone = 'Asia/Kathmandu';
    const midnight = toBeforeMidnight(t, zone, 10);
    const day = localDate(midnight - MINUTE, zone);
    const nextDay = addDays(day, 1);
    const { voucher } = (await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey })).body;
    const burn = await t.request('POST', '/v1/voucher-validations', { code: voucher.code }, { key: north.key });
    expect(burn.body.burned).toBe(true);

    const burnedByDay = async (query: Record<string, string>) =>
      (await activity(t, adminKey, { from: day, to: nextDay, timezone: zone, ...query })).body.days.map((d: { burned: number }) => d.burned);
    expect(await burnedByDay({})).toEqual([1, 0]);
    expect(await burnedByDay({ venue: 'north' })).toEqual([1, 0]);

    moveClockTo(t, midnight + HOUR);
    const reversal = await t.request('POST', `/v1/voucher-validations/${burn.body.validation.id}/reversal`, {}, { key: north.key });
    expect(reversal.status).toBe(200);
    expect(await burnedByDay({})).toEqual([0, 0]);
    expect(await burnedByDay({ venue: 'north' })).toEqual([0, 0]);
    expect(await burnedByDay({ rewardId: reward.body.id })).toEqual([0, 0]);
    expect((await activity(t, adminKey, { from: day, to: nextDay, timezone: zone })).body.active).toBe(1);

    const again = await t.request('POST', '/v1/voucher-validations', { code: voucher.code, venue: 'south' }, { key: adminKey });
    expect(again.body.burned).toBe(true);
    expect(await burnedByDay({})).toEqual([0, 1]);
    expect(await burnedByDay({ venue: 'north' })).toEqual([0, 0]);
    expect(await burnedByDay({ venue: 'south' })).toEqual([0, 1]);
    const venueReport = (await activity(t, adminKey, { from: day, to: nextDay, timezone: zone, venue: 'south' })).body;
    expect(venueReport.active).toBeNull();
    expect(venueReport.totals).toEqual({
      issued: null,
      burned: 1,
      expired: null,
      voided: null,
      redemptionRate: null,
      pointsCredited: null,
      pointsDebited: null,
      pointsSpent: null,
    });
    const program = (await activity(t, adminKey, { from: day, to: nextDay, timezone: zone })).body;
    expect(program.totals).toMatchObject({ issued: 1, burned: 1, redemptionRate: 1 });
    expect(program.active).toBe(0);
  });

  it('gives the same figures as CSV, one line a day under a header, empty where a figure does not apply', async () => {
    moveClockTo(t, nextLocalMidnight('Europe/London', t.clock.now().getTime()) + 12 * HOUR);
    const { adminKey } = await t.newProgram();
    const reward = await t.request('POST', '/v1/rewards', { name: 'Scone', pricePoints: 5, codeType: 'ONE_TIME', incentives: [] }, { key: adminKey });
    const userId = await createMember(t, adminKey);
    await t.request('POST', `/v1/users/${userId}/points`, { delta: 50, reason: 'start' }, { key: adminKey });
    for (let i = 0; i < 3; i++) {
      const { voucher } = (await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey })).body;
      if (i === 0) await t.request('POST', '/v1/voucher-validations', { code: voucher.code, venue: 'north' }, { key: adminKey });
    }
    await t.request('POST', `/v1/users/${userId}/points`, { delta: -7, reason: 'correction' }, { key: adminKey });
    const today = localDate(t.clock.now(), 'Europe/London');
    for (const scope of [{}, { rewardId: reward.body.id as string }, { venue: 'north' }] as Record<string, string>[]) {
      const query = { from: addDays(today, -1), to: addDays(today, 1), timezone: 'Europe/London', ...scope };
      const json = (await activity(t, adminKey, query)).body;
      const csv = await t.app.inject({ method: 'GET', url: `/v1/reports/activity.csv?${new URLSearchParams(query)}`, headers: { authorization: `Bearer ${adminKey}` } });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.body.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(4);
      expect(lines[0]).toBe(CSV_HEADER);
      expect(parseCsv(csv.body).days).toEqual(json.days);
    }
    const csv = await t.app.inject({
      method: 'GET',
      url: `/v1/reports/activity.csv?${new URLSearchParams({ from: today, to: today, timezone: 'Europe/London' })}`,
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(csv.body.split('\n')[1]).toBe(`${today},3,1,0,0,0.3333,50,7,15`);
    const venueCsv = await t.app.inject({
      method: 'GET',
      url: `/v1/reports/activity.csv?${new URLSearchParams({ from: today, to: today, timezone: 'Europe/London', venue: 'north' })}`,
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(venueCsv.body.split('\n')[1]).toBe(`${today},,1,,,,,,`);
  });

  it('refuses bad queries with 400 naming the field, an unknown reward with 404 and a pos key with 403', async () => {
    const { adminKey } = await t.newProgram();
    const other = await t.newProgram();
    const theirs = await t.request('POST', '/v1/rewards', { name: 'Theirs', pricePoints: 1, codeType: 'ONE_TIME', incentives: [] }, { key: other.adminKey });
    const base = { from: '2026-03-01', to: '2026-03-31' };
    const cases: [Record<string, string>, string][] = [
      [{ ...base, timezone: 'Mars/Olympus_Mons' }, '/querystring/timezone'],
      [{ ...base, timezone: 'Europe/Londres' }, '/querystring/timezone'],
      [{ from: '2026-03-31', to: '2026-03-01' }, '/querystring/to'],
      [{ from: '2026-01-01', to: '2027-01-02' }, '/querystring/to'],
      [{ ...base, rewardId: UNKNOWN_REWARD, venue: 'north' }, '/querystring/venue'],
      [{ from: '2026-02-30', to: '2026-03-01' }, '/querystring/from'],
      [{ from: '2026-13-01', to: '2026-12-31' }, '/querystring/from'],
      [{ from: '20260301', to: '2026-03-31' }, '/querystring/from'],
      [{ from: '2026-03-01T00:00:00Z', to: '2026-03-31' }, '/querystring/from'],
      [{ from: '2026-03-01', to: 'tomorrow' }, '/querystring/to'],
      [{ to: '2026-03-31' }, '/querystring/from'],
      [{ from: '2026-03-01' }, '/querystring/to'],
      [{ ...base, rewardId: 'usr_01jz0000000000000000000000' }, '/querystring/rewardId'],
      [{ ...base, scope: 'all' }, '/querystring/scope'],
    ];
    for (const [query, path] of cases) {
      for (const suffix of ['', '.csv']) {
        const response = await t.request('GET', `/v1/reports/activity${suffix}?${new URLSearchParams(query)}`, undefined, { key: adminKey });
        expect(response.status, `${suffix} ${JSON.stringify(query)}`).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
        expect(response.body.errors.map((e: { path: string }) => e.path), `${suffix} ${JSON.stringify(query)}`).toContain(path);
      }
    }
    // 366 days is the most one report covers.
    expect((await activity(t, adminKey, { from: '2028-01-01', to: '2028-12-31' })).body.days).toHaveLength(366);
    expect((await activity(t, adminKey, { from: '2026-01-01', to: '2027-01-01', timezone: 'Pacific/Kiritimati' })).body.days).toHaveLength(366);

    for (const rewardId of [UNKNOWN_REWARD, theirs.body.id]) {
      const response = await activity(t, adminKey, { ...base, rewardId });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
    for (const role of ['pos', 'app'] as const) {
      const { key } = await createKey(t, adminKey, role);
      for (const suffix of ['', '.csv']) {
        const response = await t.request('GET', `/v1/reports/activity${suffix}?${new URLSearchParams(base)}`, undefined, { key });
        expect(response.status, `${role} ${suffix}`).toBe(403);
        expect(response.body.code).toBe('FORBIDDEN');
      }
    }
    expect((await t.request('GET', `/v1/reports/activity?${new URLSearchParams(base)}`)).status).toBe(401);
  });

  it("follows Europe/London's clocks: the day they change has 23 or 25 hours, and each hour counts on its own day", async () => {
    const change = nextLondonChange(t.clock.now().getTime() + HOUR);
    const zone = 'Europe/London';
    const day = localDate(change, zone);
    const dayStart = nextLocalMidnight(zone, change - DAY);
    const nextDayStart = nextLocalMidnight(zone, change);
    expect([23 * HOUR, 25 * HOUR]).toContain(nextDayStart - dayStart);
    moveClockTo(t, dayStart - HOUR);
    const { adminKey } = await t.newProgram();
    const userId = await createMember(t, adminKey);
    // One credit in the last hour of the day before, the first and last half hours of the day, and the first of the next.
    for (const [at, points] of [[dayStart - 30 * MINUTE, 1], [dayStart + 30 * MINUTE, 2], [nextDayStart - 30 * MINUTE, 4], [nextDayStart + 30 * MINUTE, 8]] as const) {
      moveClockTo(t, at);
      expect((await t.request('POST', `/v1/users/${userId}/points`, { delta: points, reason: 'hourly' }, { key: adminKey })).status).toBe(201);
    }
    const report = (await activity(t, adminKey, { from: addDays(day, -1), to: addDays(day, 1), timezone: zone })).body;
    expect(report.days.map((d: { date: string; pointsCredited: number }) => [d.date, d.pointsCredited])).toEqual([
      [addDays(day, -1), 1],
      [day, 6],
      [addDays(day, 1), 8],
    ]);
  });

  it('counts the points of a purchase on the day it was made, even when midnight passes while it is being made', async () => {
    const midnight = nextLocalMidnight('UTC', t.clock.now().getTime() + HOUR);
    moveClockTo(t, midnight - HOUR);
    const { adminKey, programId } = await t.newProgram();
    const reward = await t.request('POST', '/v1/rewards', { name: 'Tart', pricePoints: 25, codeType: 'ONE_TIME', incentives: [] }, { key: adminKey });
    const userId = await createMember(t, adminKey);
    await t.request('POST', `/v1/users/${userId}/points`, { delta: 1000, reason: 'start' }, { key: adminKey });
    const tries = 12;
    try {
      for (let k = 1; k <= tries; k++) {
        // A clock that ticks a millisecond with every read, started k ms before a midnight (one midnight a try):
        // for some k, midnight passes between two reads of one purchase.
        const start = midnight + (k - 1) * DAY - k;
        let reads = 0;
        Object.assign(t.clock, { now: () => new Date(start + reads++) });
        const bought = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey });
        expect(bought.status).toBe(201);
      }
    } finally {
      Reflect.deleteProperty(t.clock, 'now');
    }
    moveClockTo(t, midnight + tries * DAY);
    const rows = await readRows(t.store.db, programId);
    const query = { from: localDate(midnight - DAY, 'UTC'), to: localDate(midnight + tries * DAY, 'UTC'), timezone: 'UTC' };
    const report = (await activity(t, adminKey, query)).body;
    const spentByDay = (days: { date: string; issued: number | null; pointsSpent: number | null }[]) =>
      days.filter((d) => d.issued !== 0 || d.pointsSpent !== 0).map((d) => `${d.date}: issued ${d.issued}, spent ${d.pointsSpent}`);
    expect(spentByDay(report.days)).toEqual(spentByDay(expectedReport(rows, { ...query, scope: { kind: 'program' } }, report.expiredBefore).days));
  });

  it("expires a POOL reward's vouchers when its validUntil is brought forward", async () => {
    const { adminKey } = await t.newProgram();
    const reward = await t.request('POST', '/v1/rewards', { name: 'Pool', pricePoints: 0, codeType: 'POOL', incentives: [] }, { key: adminKey });
    const uploaded = await t.request('POST', `/v1/rewards/${reward.body.id}/codes`, undefined, {
      key: adminKey,
      payload: JSON.stringify({ codes: ['POOL-AAAA-1111', 'POOL-BBBB-2222'] }),
      contentType: 'application/json',
    });
    expect(uploaded.status).toBe(201);
    const userId = await createMember(t, adminKey);
    const bought = await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey });
    expect(bought.body.voucher.expiresAt).toBeNull();

    const validUntil = new Date(t.clock.now().getTime() + HOUR).toISOString();
    const changed = await t.request('PATCH', `/v1/rewards/${reward.body.id}`, { validUntil }, { key: adminKey });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    moveClockTo(t, Date.parse(validUntil) + QUARTER);
    const day = localDate(validUntil, 'UTC');
    const report = (await activity(t, adminKey, { from: day, to: day, rewardId: reward.body.id })).body;
    expect(report.totals.expired).toBe(1);
    expect(report.active).toBe(0);
  });

  it("expires with its reward a voucher whose burn is reversed after the reward's validUntil was brought forward", async () => {
    const { adminKey } = await t.newProgram();
    const reward = await t.request('POST', '/v1/rewards', { name: 'Soup', pricePoints: 0, codeType: 'ONE_TIME', incentives: [] }, { key: adminKey });
    const userId = await createMember(t, adminKey);
    const { voucher } = (await t.request('POST', `/v1/users/${userId}/purchases`, { rewardId: reward.body.id }, { key: adminKey })).body;
    const burn = await t.request('POST', '/v1/voucher-validations', { code: voucher.code }, { key: adminKey });
    const validUntil = new Date(t.clock.now().getTime() + HOUR).toISOString();
    expect((await t.request('PATCH', `/v1/rewards/${reward.body.id}`, { validUntil }, { key: adminKey })).status).toBe(200);
    const reversal = await t.request('POST', `/v1/voucher-validations/${burn.body.validation.id}/reversal`, {}, { key: adminKey });
    expect(reversal.status).toBe(200);

    moveClockTo(t, Date.parse(validUntil) + QUARTER);
    const day = localDate(validUntil, 'UTC');
    const report = (await activity(t, adminKey, { from: day, to: day, rewardId: reward.body.id })).body;
    expect.soft({ expired: report.totals.expired, active: report.active }).toEqual({ expired: 1, active: 0 });
    const guessed = await t.request('GET', `/v1/rewards/${reward.body.id}`, undefined, { key: adminKey });
    expect.soft(guessed.body.guessability.liveCodes).toBe(0);
    const late = await t.request('POST', '/v1/voucher-validations', { code: voucher.code, dryRun: true }, { key: adminKey });
    expect.soft(late.body.reason, 'validated after the reward expired').toBe('EXPIRED');
    expect(reversal.body.voucher.expiresAt, 'the reversed voucher expires with its reward').toBe(validUntil);
  });

  it('builds from the rows (the migration backfill) the same figures the writes kept', async () => {
    const plans = fc.sample(history, { numRuns: 4, seed: 4242 });
    const restartClock = freezeClock(t);
    onTestFinished(restartClock);
    const worlds: World[] = [];
    for (const plan of plans) worlds.push(await playHistory(t, plan));
    const programIds = worlds.map((w) => w.programId);
    const figures = await everyFigure(t, worlds);
    const tallies = await talliesOf(t, programIds);

    await rebuildTallies(t);

    const slots = await t.store.db.selectFrom('report_tallies').select('slot').distinct().execute();
    expect(slots.map((s) => Number(s.slot))).toEqual([0]);
    expect(await talliesOf(t, programIds)).toEqual(tallies);
    expect(await everyFigure(t, worlds)).toEqual(figures);
    for (const w of worlds) await checkReports(t, w);

    // The writes go on adding to the rebuilt tallies (in the world the clock is still in).
    const latest = worlds[worlds.length - 1]!;
    const [more] = fc.sample(opsOf(25, 25), { numRuns: 1, seed: 99 });
    for (const step of more!) await play(t, latest, step);
    await checkReports(t, latest);
  });
});
