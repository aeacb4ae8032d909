import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { beforeAll, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/keys/roles.js';
import { type Response, type TestApp, createKey, createMember, describeEachEngine } from './harness.js';
import { until } from './until.js';
import type { JsonSchema } from './json-schema.js';

/**
 * Authentication, authorisation and tenant isolation for every protected operation. The route list
 * is not written here: it is read from /openapi.json, so a new route is covered the day it ships.
 */

interface Operation {
  /** "POST /v1/users/{id}/points", for messages. */
  label: string;
  method: string;
  path: string;
  /** The roles allowed to call it (its `x-roles`). */
  roles: Role[];
  /** Path parameters holding ids, with the id prefix their schema demands. */
  idParams: { name: string; prefix: string }[];
  /** Query parameters the operation cannot be called without. */
  requiredQuery: string[];
  takesIdempotencyKey: boolean;
  body?: JsonSchema;
}

/** Program A is the victim, program B the neighbour; each has a key of every role. */
interface Program {
  programId: string;
  keys: Record<Role, string>;
  /** A pos key bound to a venue: still a pos key. */
  posAtVenue: string;
}

/** An object made for a test, and a way to see it the way its own program does. */
interface Fixture {
  id: string;
  observe(): Promise<unknown>;
}

type Auth = { bearer: string } | { apiKey: string } | { authorization: string } | null;

const PROGRAM_TABLES = [
  'users',
  'ledger_entries',
  'events',
  'api_keys',
  'idempotency_keys',
  'rewards',
  'reward_holdings',
  'purchases',
  'vouchers',
  'voucher_codes',
  'validations',
  'webhooks',
  'webhook_deliveries',
  'webhook_attempts',
  'report_tallies',
  'report_venues',
] as const;

/** Any id of this API, whatever its kind. */
const ANY_ID = /^([a-z]+)_[0-9a-hjkmnp-tv-z]{26}$/;

const randomKey = () => `tsk_${randomBytes(24).toString('base64url')}`;
const salt = () => randomBytes(4).toString('hex');

async function protectedOperations(t: TestApp): Promise<{ all: Array<{ label: string; roles: unknown }>; protected: Operation[] }> {
  const document = await t.request('GET', '/openapi.json');
  expect(document.status).toBe(200);
  const all: Array<{ label: string; roles: unknown }> = [];
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      const label = `${method.toUpperCase()} ${path}`;
      all.push({ label, roles: op['x-roles'] });
      if (!Array.isArray(op['x-roles'])) continue;
      const parameters: any[] = op.parameters ?? [];
      const idParams = parameters
        .filter((p) => p.in === 'path')
        .map((p) => {
          const prefix = /^\^([a-z]+)_/.exec(p.schema?.pattern ?? '')?.[1];
          if (!prefix) throw new Error(`${label}: path parameter ${p.name} has no id pattern this suite understands`);
          return { name: p.name as string, prefix };
        });
      operations.push({
        label,
        method: method.toUpperCase(),
        path,
        roles: op['x-roles'],
        idParams,
        requiredQuery: parameters.filter((p) => p.in === 'query' && p.required === true).map((p) => p.name as string),
        takesIdempotencyKey: parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return { all, protected: operations };
}

/** The smallest body the schema accepts: required fields only, unique strings, in-range numbers. */
function validBody(schema: JsonSchema, label: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return validBody(variants.find((v) => v.type !== 'null') ?? variants[0]!, label);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, validBody(schema.properties?.[name] ?? {}, `${label}.${name}`)]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => validBody(schema.items ?? {}, `${label}[]`));
    case 'integer':
    case 'number': {
      const forbidden = [...(schema.not?.enum ?? []), ...(schema.not?.const !== undefined ? [schema.not.const] : [])];
      const candidates = [1, 2, schema.minimum, schema.maximum].filter((n): n is number => n !== undefined);
      const value = candidates.find(
        (n) => !forbidden.includes(n) && n >= (schema.minimum ?? -Infinity) && n <= (schema.maximum ?? Infinity),
      );
      if (value === undefined) throw new Error(`${label}: cannot make a valid number`);
      return value;
    }
    case 'boolean':
      return false;
    case 'string': {
      let value = schema.format === 'email' ? `sec-${salt()}@example.com` : `sec-${salt()}`;
      if (schema.maxLength !== undefined) value = value.slice(-schema.maxLength);
      value = value.padEnd(schema.minLength ?? 0, 'x');
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
        const operation = label.split(/[.[]/)[0]!;
        throw new Error(
          `${label}: cannot make a string matching ${schema.pattern}; teach validBody about it, or give '${operation}' a body in REQUESTS`,
        );
      }
      return value;
    }
    default:
      throw new Error(`${label}: cannot make a value for schema ${JSON.stringify(schema)}`);
  }
}

/** Sends `body` (a request's own, from `target`) to `url` with the given credentials. */
async function send(t: TestApp, op: Operation, url: string, auth: Auth, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const all: Record<string, string> = { ...headers };
  if (auth && 'bearer' in auth) all.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'apiKey' in auth) all['x-api-key'] = auth.apiKey;
  if (auth && 'authorization' in auth) all.authorization = auth.authorization;
  return t.request(op.method, url, body, { headers: all });
}

/** Soft assertions, so one run lists every operation that misbehaves rather than the first. */
function expectProblem(label: string, response: Response, status: number, code: string): void {
  expect.soft(response.status, `${label}: status (body ${JSON.stringify(response.body)})`).toBe(status);
  expect.soft(response.body?.code, `${label}: problem code`).toBe(code);
  expect.soft(response.body?.status, `${label}: problem status`).toBe(status);
  expect.soft(String(response.headers['content-type']), `${label}: content type`).toMatch(/^application\/problem\+json/);
}

/** Every row of a program, table by table, in a stable order. */
async function programRows(t: TestApp, programId: string): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of PROGRAM_TABLES) {
    const rows = await t.store.db.selectFrom(table).selectAll().where('program_id', '=', programId).execute();
    // When a key was last used is noted after its answers, whenever that lands: bookkeeping, not a change a request made.
    snapshot[table] = rows.map(({ last_used_at: _noted, ...row }: Record<string, unknown>) => JSON.stringify(row)).sort();
  }
  return snapshot;
}

async function newProgram(t: TestApp): Promise<Program> {
  const { programId, adminKey } = await t.newProgram();
  const app = await createKey(t, adminKey, 'app');
  const pos = await createKey(t, adminKey, 'pos');
  const posAtVenue = await createKey(t, adminKey, 'pos', { venue: 'store-042' });
  return { programId, keys: { admin: adminKey, app: app.key, pos: pos.key }, posAtVenue: posAtVenue.key };
}

/** A reward of the program, made by its admin: ONE_TIME and ONE_STEP unless `settings` say otherwise. */
async function makeReward(t: TestApp, program: Program, settings: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const body = { name: `sec-reward-${salt()}`, pricePoints: 10, codeType: 'ONE_TIME', incentives: [], ...settings };
  const response = await t.request('POST', '/v1/rewards', body, { key: program.keys.admin });
  if (response.status !== 201) throw new Error(`could not create a fixture reward: ${JSON.stringify(response.body)}`);
  return { id: response.body.id, name: body.name };
}

/** A member with 100 points buys a fresh reward (made with `settings`); the purchase's 201 body. */
async function makePurchase(
  t: TestApp,
  program: Program,
  settings: Record<string, unknown> = {},
): Promise<{ userId: string; purchase: { id: string }; voucher: { id: string; status: string; code: string | null } }> {
  const member = await FIXTURES.usr!(t, program);
  const reward = await makeReward(t, program, settings);
  const key = program.keys.admin;
  const bought = await t.request('POST', `/v1/users/${member.id}/purchases`, { rewardId: reward.id }, { key });
  if (bought.status !== 201) throw new Error(`could not buy the fixture reward: ${JSON.stringify(bought.body)}`);
  return { userId: member.id, purchase: bought.body.purchase, voucher: bought.body.voucher };
}

const observeVoucher = (t: TestApp, program: Program, id: string) => async () =>
  (await t.request('GET', `/v1/vouchers/${id}`, undefined, { key: program.keys.admin })).body;

/**
 * How to make, in a program, an object of each id kind a protected path can name: a `vch` voucher
 * is ACTIVE with a code, a `pur` purchase COMPLETED.
 */
const FIXTURES: Record<string, (t: TestApp, program: Program) => Promise<Fixture>> = {
  usr: async (t, program) => {
    const key = program.keys.admin;
    const id = await createMember(t, key);
    const credit = await t.request('POST', `/v1/users/${id}/points`, { delta: 100, reason: 'fixture' }, { key });
    if (credit.status !== 201) throw new Error(`could not credit the fixture member: ${JSON.stringify(credit.body)}`);
    return {
      id,
      observe: async () => ({
        user: (await t.request('GET', `/v1/users/${id}`, undefined, { key })).body,
        points: (await t.request('GET', `/v1/users/${id}/points`, undefined, { key })).body,
      }),
    };
  },
  key: async (t, program) => {
    const created = await createKey(t, program.keys.admin, 'app');
    return {
      id: created.id,
      // A key is intact when it still opens its program's data.
      observe: async () => ({ stillWorks: (await t.request('GET', '/v1/users?limit=1', undefined, { key: created.key })).status }),
    };
  },
  rwd: async (t, program) => {
    const { id } = await makeReward(t, program);
    return { id, observe: async () => (await t.request('GET', `/v1/rewards/${id}`, undefined, { key: program.keys.admin })).body };
  },
  vch: async (t, program) => {
    const { voucher } = await makePurchase(t, program);
    if (voucher.status !== 'ACTIVE' || !voucher.code) throw new Error(`the fixture voucher should be ACTIVE with a code: ${JSON.stringify(voucher)}`);
    return { id: voucher.id, observe: observeVoucher(t, program, voucher.id) };
  },
  // A burn made by the program's own pos key, so that key may reverse it.
  val: async (t, program) => {
    const { voucher } = await makePurchase(t, program);
    const burn = await t.request('POST', '/v1/voucher-validations', { code: voucher.code }, { key: program.keys.pos });
    if (burn.body?.burned !== true) throw new Error(`the fixture validation should burn: ${JSON.stringify(burn.body)}`);
    return { id: burn.body.validation.id, observe: observeVoucher(t, program, voucher.id) };
  },
  whk: async (t, program) => {
    const key = program.keys.admin;
    const created = await t.request('POST', '/v1/webhooks', { url: 'https://hooks.example.com/tessera', eventTypes: ['PURCHASED_REWARD'] }, { key });
    if (created.status !== 201) throw new Error(`could not subscribe: ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    return {
      id,
      observe: async () => ({
        webhook: (await t.request('GET', `/v1/webhooks/${id}`, undefined, { key })).body,
        deliveries: (await t.request('GET', `/v1/webhooks/${id}/deliveries`, undefined, { key })).body,
      }),
    };
  },
  pur: async (t, program) => {
    const { userId, purchase, voucher } = await makePurchase(t, program);
    return {
      id: purchase.id,
      observe: async () => ({
        points: (await t.request('GET', `/v1/users/${userId}/points`, undefined, { key: program.keys.admin })).body,
        voucher: await observeVoucher(t, program, voucher.id)(),
      }),
    };
  },
};

/**
 * How to build a request that succeeds, for an operation the generic builder (a fresh fixture per
 * path id, no query, the smallest body the schema accepts) cannot serve: one whose path object must
 * be in a particular state, whose query is required, or whose body names other objects of the
 * program. Keyed by "METHOD /path" as /openapi.json spells it; whatever a recipe leaves out is built
 * generically.
 */
interface Recipe {
  /** The objects for the path's id parameters, in their order. */
  path?: (t: TestApp, program: Program) => Promise<Fixture[]>;
  /** The query string, without "?", naming objects of `program`. */
  query?: (t: TestApp, program: Program) => Promise<string>;
  /** The body, naming objects of `program` (the caller's program, which need not be the path's). */
  body?: (t: TestApp, program: Program) => Promise<unknown>;
}

const aRewardOf = async (t: TestApp, program: Program) => ({ rewardId: (await makeReward(t, program)).id });
const aPoolReward = async (t: TestApp, program: Program): Promise<Fixture[]> => {
  const { id } = await makeReward(t, program, { codeType: 'POOL' });
  return [{ id, observe: async () => (await t.request('GET', `/v1/rewards/${id}/codes/summary`, undefined, { key: program.keys.admin })).body }];
};
const anActiveVoucher = async (t: TestApp, program: Program) => [await FIXTURES.vch!(t, program)];

const REPORT_RANGE = ['from', 'to'];
const aMonth = async () => 'from=2026-01-01&to=2026-01-31';

const REQUESTS: Record<string, Recipe> = {
  // Reports need their range of days.
  'GET /v1/reports/activity': { query: aMonth },
  'GET /v1/reports/activity.csv': { query: aMonth },
  'GET /v1/reports/rewards': { query: aMonth },
  'GET /v1/reports/venues': { query: aMonth },
  // Only a PURCHASED voucher of a TWO_STEP reward can be revealed.
  'POST /v1/vouchers/{id}/reveal': {
    path: async (t, program) => {
      const { voucher } = await makePurchase(t, program, { redemptionFlow: 'TWO_STEP' });
      if (voucher.status !== 'PURCHASED') throw new Error(`a TWO_STEP purchase should give a PURCHASED voucher: ${JSON.stringify(voucher)}`);
      return [{ id: voucher.id, observe: observeVoucher(t, program, voucher.id) }];
    },
  },
  // Only an unused voucher can be voided, and only one with a code drawn.
  'POST /v1/vouchers/{id}/void': { path: anActiveVoucher },
  'GET /v1/vouchers/{id}/barcode.svg': { path: anActiveVoucher },
  // Only a COMPLETED purchase can be refunded.
  'POST /v1/purchases/{id}/refund': { path: async (t, program) => [await FIXTURES.pur!(t, program)] },
  'GET /v1/vouchers/lookup': {
    query: async (t, program) => `code=${encodeURIComponent((await makePurchase(t, program)).voucher.code!)}`,
  },
  'POST /v1/users/{id}/purchases': { body: aRewardOf },
  'POST /v1/users/{id}/gifts': { body: aRewardOf },
  'PATCH /v1/rewards/{id}': { body: async () => ({ name: 'x' }) },
  'POST /v1/webhooks': { body: async () => ({ url: 'https://hooks.example.com/tessera', eventTypes: ['PURCHASED_REWARD'] }) },
  // Only a FAILED delivery can be sent again: a test message, marked failed in the database.
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry': {
    path: async (t, program) => {
      const webhook = await FIXTURES.whk!(t, program);
      const sent = await t.request('POST', `/v1/webhooks/${webhook.id}/test`, undefined, { key: program.keys.admin });
      const delivery = await t.store.db.selectFrom('webhook_deliveries').select('id').where('event_id', '=', sent.body.eventId).executeTakeFirstOrThrow();
      await t.store.db.updateTable('webhook_deliveries').set({ status: 'FAILED' }).where('id', '=', delivery.id).execute();
      return [webhook, { id: delivery.id, observe: webhook.observe }];
    },
  },
  // Codes are uploaded to, and summarised for, POOL rewards only; each upload sends a fresh code.
  'POST /v1/rewards/{id}/codes': { path: aPoolReward, body: async () => ({ codes: [`SEC-${salt()}`] }) },
  'GET /v1/rewards/{id}/codes/summary': { path: aPoolReward },
  // A real code of the program, so each call burns something (unknown codes would soon be throttled).
  'POST /v1/voucher-validations': { body: async (t, program) => ({ code: (await makePurchase(t, program)).voucher.code }) },
};

async function fixture(t: TestApp, program: Program, op: Operation, prefix: string): Promise<Fixture> {
  const make = FIXTURES[prefix];
  if (!make) throw new Error(`${op.label}: no fixture for ${prefix}_ ids; add one to FIXTURES (or a path to REQUESTS['${op.label}'])`);
  return make(t, program);
}

/** A request to the operation: its URL, the objects it names, and its body. */
interface Call {
  url: string;
  /** The objects in the path, in the order of its id parameters. */
  fixtures: Fixture[];
  body: unknown;
}

/** The body of a request to the operation, naming objects of `program` where it names any. */
async function bodyFor(t: TestApp, program: Program, op: Operation): Promise<unknown> {
  const recipe = REQUESTS[op.label];
  if (recipe?.body) return recipe.body(t, program);
  return op.body ? validBody(op.body, op.label) : undefined;
}

/**
 * A request that should succeed: the operation's URL with each id parameter filled by an object of
 * `program` (a fresh fixture, or what its recipe makes), and a body naming objects of `caller`.
 */
async function target(t: TestApp, program: Program, op: Operation, caller: Program = program): Promise<Call> {
  const recipe = REQUESTS[op.label];
  let fixtures: Fixture[] = [];
  if (recipe?.path) {
    fixtures = await recipe.path(t, program);
    if (fixtures.length !== op.idParams.length) throw new Error(`${op.label}: REQUESTS gives ${fixtures.length} path objects for ${op.idParams.length} id parameters`);
  } else {
    for (const param of op.idParams) fixtures.push(await fixture(t, program, op, param.prefix));
  }
  let url = op.idParams.reduce((u, p, i) => u.replace(`{${p.name}}`, fixtures[i]!.id), op.path);
  if (recipe?.query) {
    url += `?${await recipe.query(t, program)}`;
  } else if (op.requiredQuery.length > 0) {
    throw new Error(`${op.label} requires the query parameter(s) ${op.requiredQuery.join(', ')}; give it a query in REQUESTS`);
  }
  return { url, fixtures, body: await bodyFor(t, caller, op) };
}

/** A well-formed id of the kind that no program has. */
const missingId = (prefix: string) => `${prefix}_${ulid().toLowerCase()}`;

/** A problem body with the given ids blanked, so two answers about different ids can be compared. */
function withoutIds(body: unknown, ids: string[]): unknown {
  let text = JSON.stringify(body);
  for (const id of ids) text = text.replaceAll(id, '<id>');
  return JSON.parse(text);
}

/**
 * Waits until a member's events show in their program's log. On PostgreSQL the log shows an event
 * only once every older transaction in the cluster has ended, so it may lag a moment behind.
 */
async function eventsVisible(t: TestApp, key: string, userId: string): Promise<void> {
  await until(
    `the events of ${userId}`,
    async () => {
      const response = await t.request('GET', `/v1/events?userId=${userId}`, undefined, { key });
      return response.status === 200 && response.body.data.length > 0;
    },
  );
}

/** Every item of a list, following nextCursor to the end. */
async function readWholeList(t: TestApp, url: string, key: string): Promise<{ status: number; items: unknown[] }> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const separator = url.includes('?') ? '&' : '?';
    const response = await t.request('GET', `${url}${separator}limit=200${cursor ? `&cursor=${cursor}` : ''}`, undefined, { key });
    if (response.status !== 200) return { status: response.status, items };
    const data: unknown[] = response.body.data ?? response.body.entries ?? [];
    items.push(...data);
    cursor = response.body.nextCursor;
    if (!cursor || data.length === 0 || response.body.hasMore === false) break;
  }
  return { status: 200, items };
}

describeEachEngine('security', (t) => {
  let everyOperation: Array<{ label: string; roles: unknown }>;
  let operations: Operation[];
  let a: Program;
  let b: Program;

  beforeAll(async () => {
    const found = await protectedOperations(t);
    everyOperation = found.all;
    operations = found.protected;
    a = await newProgram(t);
    b = await newProgram(t);
  });

  it('protects every /v1 operation with a role list drawn from the known roles', () => {
    expect(operations.length).toBeGreaterThan(0);
    const unprotected = everyOperation.filter((op) => op.label.split(' ')[1]!.startsWith('/v1/') && !Array.isArray(op.roles));
    expect(unprotected).toEqual([]);
    for (const op of operations) {
      expect.soft(op.roles.length, `${op.label}: x-roles is empty`).toBeGreaterThan(0);
      for (const role of op.roles) expect.soft(ROLES, `${op.label}: unknown role ${role}`).toContain(role);
    }
    const labels = operations.map((op) => op.label);
    for (const label of Object.keys(REQUESTS)) expect.soft(labels, `REQUESTS['${label}'] names no protected operation`).toContain(label);
  });

  it('refuses a request without a key on every protected route, changing nothing', async () => {
    for (const op of operations) {
      const { url, body } = await target(t, a, op);
      const before = await programRows(t, a.programId);
      const response = await send(t, op, url, null, body);
      expectProblem(`${op.label} without a key`, response, 401, 'UNAUTHENTICATED');
      expect.soft(await programRows(t, a.programId), `${op.label} without a key: program A changed`).toEqual(before);
    }
  });

  it('refuses an unknown key on every protected route, however it is sent', async () => {
    const attempts: Array<[string, Auth]> = [
      ['an unknown Bearer key', { bearer: randomKey() }],
      ['an unknown X-Api-Key', { apiKey: randomKey() }],
      ['a key one character off', { bearer: `${a.keys.admin.slice(0, -1)}${a.keys.admin.endsWith('A') ? 'B' : 'A'}` }],
      ['the key prefix alone', { bearer: a.keys.admin.slice(0, 10) }],
      ['a 10 kB key', { bearer: 'k'.repeat(10_000) }],
      ['Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${a.keys.admin}`).toString('base64')}` }],
      ['"Bearer" without a key', { authorization: 'Bearer' }],
      ['a valid key sent without "Bearer"', { authorization: a.keys.admin }],
      ['an empty X-Api-Key', { apiKey: '' }],
    ];
    for (const op of operations) {
      // Every attempt is refused, so one target serves them all, and the rows after one are the rows before the next.
      const { url, body } = await target(t, a, op);
      const before = await programRows(t, a.programId);
      for (const [what, auth] of attempts) {
        const response = await send(t, op, url, auth, body);
        expectProblem(`${op.label} with ${what}`, response, 401, 'UNAUTHENTICATED');
        expect.soft(await programRows(t, a.programId), `${op.label} with ${what}: program A changed`).toEqual(before);
      }
    }
  });

  it('refuses a revoked key on every protected route, changing nothing', async () => {
    const revoked = await createKey(t, a.keys.admin, 'admin');
    const revoke = await t.request('DELETE', `/v1/api-keys/${revoked.id}`, undefined, { key: a.keys.admin });
    expect(revoke.status).toBe(204);
    for (const op of operations) {
      const { url, body } = await target(t, a, op);
      const before = await programRows(t, a.programId);
      for (const auth of [{ bearer: revoked.key }, { apiKey: revoked.key }]) {
        const label = `${op.label} with a revoked key (${Object.keys(auth)[0]})`;
        const response = await send(t, op, url, auth, body);
        expectProblem(label, response, 401, 'UNAUTHENTICATED');
        expect.soft(await programRows(t, a.programId), `${label}: program A changed`).toEqual(before);
      }
    }
  });

  it('answers 403 FORBIDDEN to every role the route does not allow, and changes nothing', async () => {
    let checked = 0;
    for (const op of operations) {
      const denied = ROLES.filter((role) => !op.roles.includes(role));
      if (denied.length === 0) continue;
      const { url, body } = await target(t, a, op);
      const before = await programRows(t, a.programId);
      for (const role of denied) {
        const keys = role === 'pos' ? [a.keys.pos, a.posAtVenue] : [a.keys[role]];
        for (const key of keys) {
          const response = await send(t, op, url, { bearer: key }, body);
          expectProblem(`${op.label} as ${role}`, response, 403, 'FORBIDDEN');
          expect.soft(await programRows(t, a.programId), `${op.label} as ${role}: program A changed`).toEqual(before);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('accepts an allowed role’s key both as "Authorization: Bearer" and as "X-Api-Key"', async () => {
    for (const op of operations) {
      for (const role of op.roles) {
        for (const auth of [{ bearer: a.keys[role] }, { apiKey: a.keys[role] }]) {
          const { url, body } = await target(t, a, op);
          const response = await send(t, op, url, auth, body);
          const label = `${op.label} as ${role} via ${'bearer' in auth ? 'Bearer' : 'X-Api-Key'}`;
          // A 4xx here usually means the operation needs an object in some state, a query or a body
          // the generic builder does not make: give it a recipe in REQUESTS.
          const hint = `${label} (if it needs a particular state, query or body, give it a recipe in REQUESTS): ${JSON.stringify(response.body)}`;
          expect.soft(response.status, hint).toBeGreaterThanOrEqual(200);
          expect.soft(response.status, hint).toBeLessThan(300);
        }
      }
    }
  });

  it('answers 404 for another program’s object exactly as if it did not exist, and leaves the object untouched', async () => {
    const withIds = operations.filter((op) => op.idParams.length > 0);
    expect(withIds.length).toBeGreaterThan(0);
    for (const op of withIds) {
      for (const role of op.roles) {
        const label = `${op.label} with program B's ${role} key`;
        // Program A's objects in the path; whatever the body names is program B's own.
        const { url, fixtures, body } = await target(t, a, op, b);
        const missing = op.idParams.map((p) => missingId(p.prefix));
        const missingUrl = op.idParams.reduce((u, p, i) => u.replace(`{${p.name}}`, missing[i]!), op.path);

        const rowsBefore = await programRows(t, a.programId);
        const seenBefore = await Promise.all(fixtures.map((f) => f.observe()));

        const foreign = await send(t, op, url, { bearer: b.keys[role] }, body);
        const absent = await send(t, op, missingUrl, { bearer: b.keys[role] }, body);

        expectProblem(`${label} on program A's object`, foreign, 404, 'NOT_FOUND');
        expectProblem(`${label} on an id that does not exist`, absent, 404, 'NOT_FOUND');
        expect
          .soft(withoutIds(foreign.body, fixtures.map((f) => f.id)), `${label}: answer differs from a missing id's`)
          .toEqual(withoutIds(absent.body, missing));
        expect.soft(await programRows(t, a.programId), `${label}: program A's rows changed`).toEqual(rowsBefore);
        expect.soft(await Promise.all(fixtures.map((f) => f.observe())), `${label}: program A's object changed`).toEqual(seenBefore);
      }
    }
  });

  it('answers 404 for another program’s object named in a body exactly as if it did not exist, changing nothing', async () => {
    // Operations whose request body names objects (a purchase's rewardId, …): program B's key on
    // program B's own path, with a body naming program A's objects, or ids that exist nowhere.
    let checked = 0;
    for (const op of operations.filter((o) => REQUESTS[o.label]?.body)) {
      for (const role of op.roles) {
        const label = `${op.label} with program B's ${role} key and program A's objects in the body`;
        const { url } = await target(t, b, op);
        const foreignBody = await bodyFor(t, a, op);
        const named: string[] = [];
        const missing: string[] = [];
        const absentBody = JSON.parse(
          JSON.stringify(foreignBody, (_, value: unknown) => {
            const kind = typeof value === 'string' ? ANY_ID.exec(value)?.[1] : undefined;
            if (kind === undefined) return value;
            named.push(value as string);
            missing.push(missingId(kind));
            return missing[missing.length - 1];
          }),
        );
        if (named.length === 0) continue; // this body names nothing
        checked++;

        const rowsBefore = await programRows(t, a.programId);
        const foreign = await send(t, op, url, { bearer: b.keys[role] }, foreignBody);
        const absent = await send(t, op, url, { bearer: b.keys[role] }, absentBody);

        expectProblem(`${label}`, foreign, 404, 'NOT_FOUND');
        expectProblem(`${label.replace("program A's objects", 'missing ids')}`, absent, 404, 'NOT_FOUND');
        expect.soft(withoutIds(foreign.body, named), `${label}: answer differs from a missing id's`).toEqual(withoutIds(absent.body, missing));
        expect.soft(await programRows(t, a.programId), `${label}: program A's rows changed`).toEqual(rowsBefore);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('never shows program A’s data in program B’s lists or look-ups', async () => {
    const victim = await newProgram(t);
    const neighbour = await newProgram(t);
    const externalId = `shared-secret-${salt()}`;
    const victimUser = await createMember(t, victim.keys.admin, externalId);
    await t.request('POST', `/v1/users/${victimUser}/points`, { delta: 77, reason: 'victim credit' }, { key: victim.keys.admin });
    const victimReward = await makeReward(t, victim);
    const victimPurchase = await t.request('POST', `/v1/users/${victimUser}/purchases`, { rewardId: victimReward.id }, { key: victim.keys.admin });
    expect(victimPurchase.status, JSON.stringify(victimPurchase.body)).toBe(201);
    const neighbourUser = await createMember(t, neighbour.keys.admin);
    await t.request('POST', `/v1/users/${neighbourUser}/points`, { delta: 50, reason: 'neighbour credit' }, { key: neighbour.keys.admin });
    const neighbourReward = await makeReward(t, neighbour);
    const neighbourPurchase = await t.request('POST', `/v1/users/${neighbourUser}/purchases`, { rewardId: neighbourReward.id }, { key: neighbour.keys.admin });
    expect(neighbourPurchase.status, JSON.stringify(neighbourPurchase.body)).toBe(201);
    // Both logs must be readable by their owners, or the absence of A's events below would prove nothing.
    await eventsVisible(t, victim.keys.admin, victimUser);
    await eventsVisible(t, neighbour.keys.admin, neighbourUser);

    // Look-ups (reads that need a query naming something, like a voucher code), aimed at program A's data.
    const lookups = await Promise.all(
      operations
        // (A report's range of days names nothing: reports are read below with the lists.)
        .filter((op) => op.method === 'GET' && op.idParams.length === 0 && op.requiredQuery.some((name) => !REPORT_RANGE.includes(name)))
        .map(async (op) => ({ op, url: (await target(t, victim, op)).url })),
    );

    // Everything that would identify program A's data if it showed up.
    const victimRows = await programRows(t, victim.programId);
    const secrets = [victim.programId, externalId, victimReward.name];
    for (const rows of Object.values(victimRows)) {
      for (const text of rows) {
        const row = JSON.parse(text as string) as Record<string, unknown>;
        for (const column of ['id', 'key_prefix', 'external_id', 'code', 'code_normal']) {
          if (typeof row[column] === 'string') secrets.push(row[column] as string);
        }
      }
    }
    expect(secrets).toContain(victimPurchase.body.voucher.code);

    const lists = operations.filter((op) => op.method === 'GET' && op.idParams.length === 0 && op.requiredQuery.length === 0);
    const urls = [
      ...lists.map((op) => op.path),
      `/v1/users?externalId=${externalId}`,
      `/v1/events?userId=${victimUser}`,
      '/v1/events?type=POINTS_ADJUSTED',
      '/v1/events?type=PURCHASED_REWARD',
      `/v1/vouchers?userId=${victimUser}`,
      `/v1/vouchers?rewardId=${victimReward.id}`,
      '/v1/vouchers?status=ACTIVE',
      '/v1/rewards?status=ACTIVE',
    ];
    expect(urls).toEqual(expect.arrayContaining(['/v1/users', '/v1/api-keys', '/v1/events', '/v1/rewards', '/v1/vouchers']));
    for (const url of urls) {
      for (const role of ['admin', 'app'] as const) {
        const list = await readWholeList(t, url, neighbour.keys[role]);
        if (list.status === 403) continue; // this role may not read this list at all
        expect.soft(list.status, `${url} as ${role}`).toBe(200);
        const text = JSON.stringify(list.items);
        for (const secret of secrets) expect.soft(text, `${url} as ${role} shows program A's ${secret}`).not.toContain(secret);
      }
    }

    expect(lookups.map(({ op }) => op.label)).toContain('GET /v1/vouchers/lookup');
    for (const { op, url } of lookups) {
      // Program A finds its own object there, so program B's 404 below is about the program alone.
      const own = await t.request('GET', url, undefined, { key: victim.keys[op.roles[0]!] });
      expect.soft(own.status, `${url} as program A: ${JSON.stringify(own.body)}`).toBe(200);
      for (const role of ROLES) {
        const label = `${url} as program B's ${role}`;
        const response = await t.request('GET', url, undefined, { key: neighbour.keys[role] });
        if (op.roles.includes(role)) expectProblem(label, response, 404, 'NOT_FOUND');
        else expectProblem(label, response, 403, 'FORBIDDEN');
        const text = JSON.stringify(response.body);
        for (const secret of secrets) expect.soft(text, `${label} shows program A's ${secret}`).not.toContain(secret);
      }
    }

    // Reports: the neighbour's show none of program A's rewards, venues or figures.
    const today = new Date().toISOString().slice(0, 10);
    for (const url of [`/v1/reports/rewards?from=${today}&to=${today}`, `/v1/reports/venues?from=${today}&to=${today}`]) {
      const report = await t.request('GET', url, undefined, { key: neighbour.keys.admin });
      expect(report.status).toBe(200);
      for (const secret of secrets) expect(JSON.stringify(report.body)).not.toContain(secret);
    }
    const aimed = await t.request('GET', `/v1/reports/activity?from=${today}&to=${today}&rewardId=${victimReward.id}`, undefined, { key: neighbour.keys.admin });
    expect(aimed.status).toBe(404);

    // The neighbour's own data is there, so the lists above were not empty by accident.
    expect(JSON.stringify((await readWholeList(t, '/v1/users', neighbour.keys.admin)).items)).toContain(neighbourUser);
    expect(JSON.stringify((await readWholeList(t, '/v1/events', neighbour.keys.admin)).items)).toContain(neighbourUser);
    expect(JSON.stringify((await readWholeList(t, '/v1/rewards', neighbour.keys.app)).items)).toContain(neighbourReward.id);
    expect(JSON.stringify((await readWholeList(t, '/v1/vouchers', neighbour.keys.app)).items)).toContain(neighbourPurchase.body.voucher.id);
    const byExternalId = await t.request('GET', `/v1/users?externalId=${externalId}`, undefined, { key: neighbour.keys.app });
    expect(byExternalId.body.data).toEqual([]);
  });

  it('lets program B register the externalId program A already uses, without revealing it is taken', async () => {
    const externalId = `taken-${salt()}`;
    const inA = await createMember(t, a.keys.admin, externalId);
    const inB = await t.request('POST', '/v1/users', { externalId }, { key: b.keys.app });
    expect(inB.status).toBe(201);
    expect(inB.body.id).not.toBe(inA);
    const fromA = await t.request('GET', `/v1/users?externalId=${externalId}`, undefined, { key: a.keys.app });
    expect(fromA.body.data.map((u: { id: string }) => u.id)).toEqual([inA]);
  });

  it('keeps Idempotency-Keys apart: program B reusing program A’s key neither replays A’s answer nor is refused', async () => {
    const idempotent = operations.filter((op) => op.takesIdempotencyKey);
    expect(idempotent.length).toBeGreaterThan(0);
    for (const op of idempotent) {
      const role = op.roles[0]!;
      const idempotencyKey = `shared-${salt()}`;
      const inA = await target(t, a, op);
      const inB = await target(t, b, op);
      // The very same body, unless it must name program B's own objects.
      const bodyInB = REQUESTS[op.label]?.body ? inB.body : inA.body;
      const first = await send(t, op, inA.url, { bearer: a.keys[role] }, inA.body, { 'idempotency-key': idempotencyKey });
      expect.soft(first.status, `${op.label} in program A: ${JSON.stringify(first.body)}`).toBeLessThan(300);

      const bRowsBefore = await programRows(t, b.programId);
      const second = await send(t, op, inB.url, { bearer: b.keys[role] }, bodyInB, { 'idempotency-key': idempotencyKey });
      const label = `${op.label} in program B with program A's Idempotency-Key`;
      expect.soft(second.status, `${label}: ${JSON.stringify(second.body)}`).toBeGreaterThanOrEqual(200);
      expect.soft(second.status, `${label}: ${JSON.stringify(second.body)}`).toBeLessThan(300);
      expect.soft(second.headers['idempotent-replayed'], `${label}: replayed`).toBeUndefined();
      if (first.body?.id !== undefined) expect.soft(second.body?.id, `${label}: got program A's object`).not.toBe(first.body.id);
      expect.soft(JSON.stringify(second.body ?? null), `${label}: shows program A's id`).not.toContain(a.programId);
      const bRowsAfter = await programRows(t, b.programId);
      expect.soft(bRowsAfter.idempotency_keys!.length, `${label}: key not recorded for program B`).toBe(bRowsBefore.idempotency_keys!.length + 1);
    }
  });
});
