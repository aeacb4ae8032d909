import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { beforeAll, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/keys/roles.js';
import { type Response, type TestApp, createKey, createMember, describeEachEngine } from './harness.js';

/**
 * Authentication, authorisation and tenant isolation for every protected operation. The route list
 * is not written here: it is read from /openapi.json, so a new route is covered the day it ships.
 */

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  not?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

interface Operation {
  /** "POST /v1/users/{id}/points", for messages. */
  label: string;
  method: string;
  path: string;
  /** The roles allowed to call it (its `x-roles`). */
  roles: Role[];
  /** Path parameters holding ids, with the id prefix their schema demands. */
  idParams: { name: string; prefix: string }[];
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

const PROGRAM_TABLES = ['users', 'ledger_entries', 'events', 'api_keys', 'idempotency_keys'] as const;

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
        throw new Error(`${label}: cannot make a string matching ${schema.pattern}; teach validBody about it`);
      }
      return value;
    }
    default:
      throw new Error(`${label}: cannot make a value for schema ${JSON.stringify(schema)}`);
  }
}

async function send(t: TestApp, op: Operation, url: string, auth: Auth, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const all: Record<string, string> = { ...headers };
  if (auth && 'bearer' in auth) all.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'apiKey' in auth) all['x-api-key'] = auth.apiKey;
  if (auth && 'authorization' in auth) all.authorization = auth.authorization;
  const payload = body ?? (op.body ? validBody(op.body, op.label) : undefined);
  return t.request(op.method, url, payload, { headers: all });
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
    snapshot[table] = rows.map((row) => JSON.stringify(row)).sort();
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

/** How to make, in a program, an object of each id kind a protected path can name. */
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
};

async function fixture(t: TestApp, program: Program, op: Operation, prefix: string): Promise<Fixture> {
  const make = FIXTURES[prefix];
  if (!make) throw new Error(`${op.label}: no fixture for ${prefix}_ ids; add one to FIXTURES`);
  return make(t, program);
}

/** The operation's URL with each id parameter filled by a fresh object of `program`. */
async function target(t: TestApp, program: Program, op: Operation): Promise<{ url: string; fixtures: Fixture[] }> {
  let url = op.path;
  const fixtures: Fixture[] = [];
  for (const param of op.idParams) {
    const made = await fixture(t, program, op, param.prefix);
    fixtures.push(made);
    url = url.replace(`{${param.name}}`, made.id);
  }
  return { url, fixtures };
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
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const response = await t.request('GET', `/v1/events?userId=${userId}`, undefined, { key });
    if (response.status === 200 && response.body.data.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the events of ${userId} never became visible`);
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
  });

  it('refuses a request without a key on every protected route, changing nothing', async () => {
    for (const op of operations) {
      const { url } = await target(t, a, op);
      const before = await programRows(t, a.programId);
      const response = await send(t, op, url, null);
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
      for (const [what, auth] of attempts) {
        const { url } = await target(t, a, op);
        const before = await programRows(t, a.programId);
        const response = await send(t, op, url, auth);
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
      for (const auth of [{ bearer: revoked.key }, { apiKey: revoked.key }]) {
        const label = `${op.label} with a revoked key (${Object.keys(auth)[0]})`;
        const { url } = await target(t, a, op);
        const before = await programRows(t, a.programId);
        const response = await send(t, op, url, auth);
        expectProblem(label, response, 401, 'UNAUTHENTICATED');
        expect.soft(await programRows(t, a.programId), `${label}: program A changed`).toEqual(before);
      }
    }
  });

  it('answers 403 FORBIDDEN to every role the route does not allow, and changes nothing', async () => {
    let checked = 0;
    for (const op of operations) {
      const denied = ROLES.filter((role) => !op.roles.includes(role));
      for (const role of denied) {
        const keys = role === 'pos' ? [a.keys.pos, a.posAtVenue] : [a.keys[role]];
        for (const key of keys) {
          const { url } = await target(t, a, op);
          const before = await programRows(t, a.programId);
          const response = await send(t, op, url, { bearer: key });
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
          const { url } = await target(t, a, op);
          const response = await send(t, op, url, auth);
          const label = `${op.label} as ${role} via ${'bearer' in auth ? 'Bearer' : 'X-Api-Key'}`;
          expect.soft(response.status, `${label}: ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(200);
          expect.soft(response.status, `${label}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
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
        const { url, fixtures } = await target(t, a, op);
        const missing = op.idParams.map((p) => missingId(p.prefix));
        const missingUrl = op.idParams.reduce((u, p, i) => u.replace(`{${p.name}}`, missing[i]!), op.path);

        const rowsBefore = await programRows(t, a.programId);
        const seenBefore = await Promise.all(fixtures.map((f) => f.observe()));
        const body = op.body ? validBody(op.body, op.label) : undefined;

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

  it('never shows program A’s data in program B’s lists or look-ups', async () => {
    const victim = await newProgram(t);
    const neighbour = await newProgram(t);
    const externalId = `shared-secret-${salt()}`;
    const victimUser = await createMember(t, victim.keys.admin, externalId);
    await t.request('POST', `/v1/users/${victimUser}/points`, { delta: 77, reason: 'victim credit' }, { key: victim.keys.admin });
    const neighbourUser = await createMember(t, neighbour.keys.admin);
    await t.request('POST', `/v1/users/${neighbourUser}/points`, { delta: 5, reason: 'neighbour credit' }, { key: neighbour.keys.admin });
    // Both logs must be readable by their owners, or the absence of A's events below would prove nothing.
    await eventsVisible(t, victim.keys.admin, victimUser);
    await eventsVisible(t, neighbour.keys.admin, neighbourUser);

    // Everything that would identify program A's data if it showed up.
    const victimRows = await programRows(t, victim.programId);
    const secrets = [victim.programId, externalId];
    for (const rows of Object.values(victimRows)) {
      for (const text of rows) {
        const row = JSON.parse(text as string) as Record<string, unknown>;
        for (const column of ['id', 'key_prefix', 'external_id']) {
          if (typeof row[column] === 'string') secrets.push(row[column] as string);
        }
      }
    }

    const lists = operations.filter((op) => op.method === 'GET' && op.idParams.length === 0);
    const urls = [
      ...lists.map((op) => op.path),
      `/v1/users?externalId=${externalId}`,
      `/v1/events?userId=${victimUser}`,
      '/v1/events?type=POINTS_ADJUSTED',
    ];
    expect(urls).toEqual(expect.arrayContaining(['/v1/users', '/v1/api-keys', '/v1/events']));
    for (const url of urls) {
      for (const role of ['admin', 'app'] as const) {
        const list = await readWholeList(t, url, neighbour.keys[role]);
        if (list.status === 403) continue; // this role may not read this list at all
        expect.soft(list.status, `${url} as ${role}`).toBe(200);
        const text = JSON.stringify(list.items);
        for (const secret of secrets) expect.soft(text, `${url} as ${role} shows program A's ${secret}`).not.toContain(secret);
      }
    }

    // The neighbour's own data is there, so the lists above were not empty by accident.
    expect(JSON.stringify((await readWholeList(t, '/v1/users', neighbour.keys.admin)).items)).toContain(neighbourUser);
    expect(JSON.stringify((await readWholeList(t, '/v1/events', neighbour.keys.admin)).items)).toContain(neighbourUser);
    const byExternalId = await t.request('GET', `/v1/users?externalId=${externalId}`, undefined, { key: neighbour.keys.app });
    expect(byExternalId.body.data).toEqual([]);
  }, 120_000);

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
      const body = op.body ? validBody(op.body, op.label) : undefined;
      const first = await send(t, op, (await target(t, a, op)).url, { bearer: a.keys[role] }, body, { 'idempotency-key': idempotencyKey });
      expect.soft(first.status, `${op.label} in program A: ${JSON.stringify(first.body)}`).toBeLessThan(300);

      const bRowsBefore = await programRows(t, b.programId);
      const second = await send(t, op, (await target(t, b, op)).url, { bearer: b.keys[role] }, body, { 'idempotency-key': idempotencyKey });
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
