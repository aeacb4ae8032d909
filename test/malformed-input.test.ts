import { beforeAll, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/errors.js';
import { type TestApp, createKey, createMember, describeEachEngine } from './harness.js';

/**
 * Invariant 9: malformed input of any kind gets a 4xx problem answer naming the field at fault,
 * never a 5xx, and never writes anything.
 *
 * URLs may name the suite's fixtures: `{user}` is a member of the program, `{key}` a live app key, and
 * `{freshKey}` an app key made for that case alone (so a wrongly accepted DELETE spoils no other case).
 */

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** Serialised as JSON. */
  body?: unknown;
  /** Sent exactly as written (takes precedence over `body`). */
  payload?: string;
  /** Defaults to application/json whenever something is sent. */
  contentType?: string;
  headers?: Record<string, string>;
  expectStatus: number;
  /** The `errors[].path` that must name the culprit. */
  expectPath?: string;
}

const USERS = '/v1/users';
const POINTS = '/v1/users/{user}/points';
const KEYS = '/v1/api-keys';
const A_KEY_ID = 'key_01jz0000000000000000000000';
const A_USER_ID = 'usr_01jz0000000000000000000000';

/** Base64url JSON, the shape of this API's cursors, so a forged one looks plausible. */
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A body that would be accepted, so a case can break exactly one thing. */
let serial = 0;
const validBody: Record<string, () => Record<string, unknown>> = {
  [USERS]: () => ({ externalId: `malformed-${++serial}` }),
  [POINTS]: () => ({ delta: 5, reason: 'malformed-input test' }),
  [KEYS]: () => ({ role: 'app', name: 'malformed-input test' }),
};
const JSON_ROUTES = [USERS, POINTS, KEYS] as const;
const valid = (url: (typeof JSON_ROUTES)[number], change: Record<string, unknown> = {}) => ({ ...validBody[url]!(), ...change });
const without = (url: (typeof JSON_ROUTES)[number], field: string) => {
  const body = valid(url);
  delete body[field];
  return body;
};

const bodyShapeCases: Case[] = JSON_ROUTES.flatMap((url): Case[] => [
  { name: `${url}: invalid JSON`, method: 'POST', url, payload: '{"externalId": "m-1",', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: JSON with a trailing comma`, method: 'POST', url, payload: '{"delta": 5,}', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: single-quoted pseudo-JSON`, method: 'POST', url, payload: "{'delta': 5}", expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a JSON array as body`, method: 'POST', url, payload: JSON.stringify([valid(url)]), expectStatus: 400, expectPath: '/body' },
  { name: `${url}: null as body`, method: 'POST', url, payload: 'null', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a string as body`, method: 'POST', url, payload: '"hello"', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a number as body`, method: 'POST', url, payload: '42', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a boolean as body`, method: 'POST', url, payload: 'true', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: an empty body`, method: 'POST', url, payload: '', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a body of whitespace`, method: 'POST', url, payload: ' \n\t ', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: no body and no content type`, method: 'POST', url, expectStatus: 400, expectPath: '/body' },
  { name: `${url}: an empty object`, method: 'POST', url, body: {}, expectStatus: 400 },
  { name: `${url}: a __proto__ key`, method: 'POST', url, payload: `{"__proto__": {"role": "admin"}, ${JSON.stringify(valid(url)).slice(1)}`, expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a constructor.prototype key`, method: 'POST', url, payload: `{"constructor": {"prototype": {"role": "admin"}}, ${JSON.stringify(valid(url)).slice(1)}`, expectStatus: 400, expectPath: '/body' },
  { name: `${url}: 20,000 levels of nesting`, method: 'POST', url, payload: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, expectStatus: 400, expectPath: '/body' },
  // text/plain has a parser (pool uploads need one), so it arrives as a string that is not an object.
  { name: `${url}: a valid body as text/plain`, method: 'POST', url, payload: JSON.stringify(valid(url)), contentType: 'text/plain', expectStatus: 400, expectPath: '/body' },
  { name: `${url}: a form-encoded body`, method: 'POST', url, payload: new URLSearchParams(valid(url) as Record<string, string>).toString(), contentType: 'application/x-www-form-urlencoded', expectStatus: 415 },
  { name: `${url}: a multipart body`, method: 'POST', url, payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n', contentType: 'multipart/form-data; boundary=x', expectStatus: 415 },
  { name: `${url}: a body over the size limit`, method: 'POST', url, payload: JSON.stringify({ ...valid(url), padding: 'x'.repeat(70_000) }), expectStatus: 413 },
  { name: `${url}: a text body over the size limit`, method: 'POST', url, payload: 'x'.repeat(70_000), contentType: 'text/plain', expectStatus: 413 },
  { name: `${url}: a form-encoded body over the size limit`, method: 'POST', url, payload: `a=${'x'.repeat(70_000)}`, contentType: 'application/x-www-form-urlencoded', expectStatus: 415 },
  { name: `${url}: an unknown extra field`, method: 'POST', url, body: valid(url, { programId: 'prg_01jz0000000000000000000000' }), expectStatus: 400, expectPath: '/body/programId' },
  { name: `${url}: an empty Idempotency-Key`, method: 'POST', url, body: valid(url), headers: { 'idempotency-key': '' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
  { name: `${url}: an Idempotency-Key of 256 characters`, method: 'POST', url, body: valid(url), headers: { 'idempotency-key': 'k'.repeat(256) }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
  { name: `${url}: an Idempotency-Key with a space`, method: 'POST', url, body: valid(url), headers: { 'idempotency-key': 'two words' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
  { name: `${url}: an Idempotency-Key with a non-ASCII letter`, method: 'POST', url, body: valid(url), headers: { 'idempotency-key': 'clé-1' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
  { name: `${url}: an unknown query parameter`, method: 'POST', url: `${url}?dryRun=true`, body: valid(url), expectStatus: 400, expectPath: '/querystring/dryRun' },
]);

const userCases: Case[] = [
  { name: 'users: missing externalId', method: 'POST', url: USERS, body: { email: 'ann@example.com' }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: a balance smuggled in', method: 'POST', url: USERS, body: valid(USERS, { balance: 1_000_000 }), expectStatus: 400, expectPath: '/body/balance' },
  { name: 'users: externalId as a number', method: 'POST', url: USERS, body: { externalId: 123 }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId as a boolean', method: 'POST', url: USERS, body: { externalId: true }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId as an object', method: 'POST', url: USERS, body: { externalId: { $ne: null } }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId as an array', method: 'POST', url: USERS, body: { externalId: ['a'] }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId null', method: 'POST', url: USERS, body: { externalId: null }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId empty', method: 'POST', url: USERS, body: { externalId: '' }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId of 129 characters', method: 'POST', url: USERS, body: { externalId: 'e'.repeat(129) }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId with a NUL character', method: 'POST', url: USERS, body: { externalId: 'm-\u0000-1' }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId with a line break', method: 'POST', url: USERS, body: { externalId: 'm-\n-1' }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: externalId with DEL', method: 'POST', url: USERS, body: { externalId: 'm-\u007f-1' }, expectStatus: 400, expectPath: '/body/externalId' },
  { name: 'users: name with a tab', method: 'POST', url: USERS, body: valid(USERS, { name: 'Ann\tLee' }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'users: name with an escape sequence', method: 'POST', url: USERS, body: valid(USERS, { name: '\u001b[31mAnn' }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'users: name of 201 characters', method: 'POST', url: USERS, body: valid(USERS, { name: 'n'.repeat(201) }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'users: name empty', method: 'POST', url: USERS, body: valid(USERS, { name: '' }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'users: name as a number', method: 'POST', url: USERS, body: valid(USERS, { name: 5 }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'users: an email without @', method: 'POST', url: USERS, body: valid(USERS, { email: 'not-an-email' }), expectStatus: 400, expectPath: '/body/email' },
  { name: 'users: an email without a domain', method: 'POST', url: USERS, body: valid(USERS, { email: 'ann@' }), expectStatus: 400, expectPath: '/body/email' },
  { name: 'users: an email with a space', method: 'POST', url: USERS, body: valid(USERS, { email: 'ann lee@example.com' }), expectStatus: 400, expectPath: '/body/email' },
  { name: 'users: an email of 255 characters', method: 'POST', url: USERS, body: valid(USERS, { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com` }), expectStatus: 400, expectPath: '/body/email' },
  { name: 'users: email null', method: 'POST', url: USERS, body: valid(USERS, { email: null }), expectStatus: 400, expectPath: '/body/email' },
];

const pointsCases: Case[] = [
  { name: 'points: missing delta', method: 'POST', url: POINTS, body: without(POINTS, 'delta'), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: missing reason', method: 'POST', url: POINTS, body: without(POINTS, 'reason'), expectStatus: 400, expectPath: '/body/reason' },
  { name: 'points: a kind smuggled in', method: 'POST', url: POINTS, body: valid(POINTS, { kind: 'PURCHASE' }), expectStatus: 400, expectPath: '/body/kind' },
  { name: 'points: a userId smuggled in', method: 'POST', url: POINTS, body: valid(POINTS, { userId: A_USER_ID }), expectStatus: 400, expectPath: '/body/userId' },
  { name: 'points: delta as a string', method: 'POST', url: POINTS, body: valid(POINTS, { delta: '5' }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta as a float', method: 'POST', url: POINTS, body: valid(POINTS, { delta: 1.5 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta as a boolean', method: 'POST', url: POINTS, body: valid(POINTS, { delta: true }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta as an object', method: 'POST', url: POINTS, body: valid(POINTS, { delta: { value: 5 } }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta as an array', method: 'POST', url: POINTS, body: valid(POINTS, { delta: [5] }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta null', method: 'POST', url: POINTS, body: valid(POINTS, { delta: null }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta 0', method: 'POST', url: POINTS, body: valid(POINTS, { delta: 0 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta -0', method: 'POST', url: POINTS, payload: '{"delta": -0, "reason": "x"}', expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta 0.0', method: 'POST', url: POINTS, payload: '{"delta": 0.0, "reason": "x"}', expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta 1e12', method: 'POST', url: POINTS, body: valid(POINTS, { delta: 1e12 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta -1e12', method: 'POST', url: POINTS, body: valid(POINTS, { delta: -1e12 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta one past the maximum', method: 'POST', url: POINTS, body: valid(POINTS, { delta: 1_000_000_001 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta one past the minimum', method: 'POST', url: POINTS, body: valid(POINTS, { delta: -1_000_000_001 }), expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta beyond exact integers', method: 'POST', url: POINTS, payload: '{"delta": 9007199254740993, "reason": "x"}', expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: delta overflowing to Infinity', method: 'POST', url: POINTS, payload: '{"delta": 1e309, "reason": "x"}', expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: a duplicate key whose last value is 0', method: 'POST', url: POINTS, payload: '{"delta": 5, "reason": "x", "delta": 0}', expectStatus: 400, expectPath: '/body/delta' },
  { name: 'points: reason empty', method: 'POST', url: POINTS, body: valid(POINTS, { reason: '' }), expectStatus: 400, expectPath: '/body/reason' },
  { name: 'points: reason of 501 characters', method: 'POST', url: POINTS, body: valid(POINTS, { reason: 'r'.repeat(501) }), expectStatus: 400, expectPath: '/body/reason' },
  { name: 'points: reason with a NUL character', method: 'POST', url: POINTS, body: valid(POINTS, { reason: 'bonus\u0000' }), expectStatus: 400, expectPath: '/body/reason' },
  { name: 'points: reason with CR LF', method: 'POST', url: POINTS, body: valid(POINTS, { reason: 'bonus\r\nX-Injected: 1' }), expectStatus: 400, expectPath: '/body/reason' },
  { name: 'points: reason as a number', method: 'POST', url: POINTS, body: valid(POINTS, { reason: 42 }), expectStatus: 400, expectPath: '/body/reason' },
];

const keyCases: Case[] = [
  { name: 'api keys: missing role', method: 'POST', url: KEYS, body: without(KEYS, 'role'), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: missing name', method: 'POST', url: KEYS, body: without(KEYS, 'name'), expectStatus: 400, expectPath: '/body/name' },
  { name: 'api keys: an unknown role', method: 'POST', url: KEYS, body: valid(KEYS, { role: 'superuser' }), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: a role in capitals', method: 'POST', url: KEYS, body: valid(KEYS, { role: 'ADMIN' }), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: an empty role', method: 'POST', url: KEYS, body: valid(KEYS, { role: '' }), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: role as a number', method: 'POST', url: KEYS, body: valid(KEYS, { role: 1 }), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: a list of roles', method: 'POST', url: KEYS, body: valid(KEYS, { role: ['app', 'admin'] }), expectStatus: 400, expectPath: '/body/role' },
  { name: 'api keys: a chosen secret smuggled in', method: 'POST', url: KEYS, body: valid(KEYS, { key: 'tsk_chosen-by-the-caller' }), expectStatus: 400, expectPath: '/body/key' },
  { name: 'api keys: name empty', method: 'POST', url: KEYS, body: valid(KEYS, { name: '' }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'api keys: name of 101 characters', method: 'POST', url: KEYS, body: valid(KEYS, { name: 'n'.repeat(101) }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'api keys: name with a NUL character', method: 'POST', url: KEYS, body: valid(KEYS, { name: 'till\u0000' }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'api keys: name as an object', method: 'POST', url: KEYS, body: valid(KEYS, { name: {} }), expectStatus: 400, expectPath: '/body/name' },
  { name: 'api keys: a venue on an app key', method: 'POST', url: KEYS, body: { role: 'app', name: 'web', venue: 'store-042' }, expectStatus: 400, expectPath: '/body/venue' },
  { name: 'api keys: a venue on an admin key', method: 'POST', url: KEYS, body: { role: 'admin', name: 'ops', venue: 'store-042' }, expectStatus: 400, expectPath: '/body/venue' },
  {
    name: 'api keys: a venue on an app key, sent with an Idempotency-Key',
    method: 'POST',
    url: KEYS,
    body: { role: 'app', name: 'web', venue: 'store-042' },
    headers: { 'idempotency-key': 'venue-on-app-key' },
    expectStatus: 400,
    expectPath: '/body/venue',
  },
  { name: 'api keys: a venue of 101 characters', method: 'POST', url: KEYS, body: { role: 'pos', name: 'till', venue: 'v'.repeat(101) }, expectStatus: 400, expectPath: '/body/venue' },
  { name: 'api keys: an empty venue', method: 'POST', url: KEYS, body: { role: 'pos', name: 'till', venue: '' }, expectStatus: 400, expectPath: '/body/venue' },
  { name: 'api keys: a venue with a line break', method: 'POST', url: KEYS, body: { role: 'pos', name: 'till', venue: 'store\n042' }, expectStatus: 400, expectPath: '/body/venue' },
  { name: 'api keys: venue as a number', method: 'POST', url: KEYS, body: { role: 'pos', name: 'till', venue: 42 }, expectStatus: 400, expectPath: '/body/venue' },
  { name: 'api keys: venue null', method: 'POST', url: KEYS, body: { role: 'pos', name: 'till', venue: null }, expectStatus: 400, expectPath: '/body/venue' },
];

/** The lists, each with a cursor of the wrong shape for it. */
const LISTS: Array<{ url: string; wrongShapeCursor: string }> = [
  { url: '/v1/users', wrongShapeCursor: cursorOf([1, 2]) },
  { url: '/v1/api-keys', wrongShapeCursor: cursorOf({ id: 'key_' }) },
  { url: '/v1/events', wrongShapeCursor: cursorOf('evt_01jz0000000000000000000000') },
  { url: '/v1/users/{user}/points', wrongShapeCursor: cursorOf(42) },
];

const listCases: Case[] = LISTS.flatMap(({ url, wrongShapeCursor }): Case[] => {
  const get = (query: string, name: string, expectPath: string): Case => ({ name: `${url}: ${name}`, method: 'GET', url: `${url}?${query}`, expectStatus: 400, expectPath });
  return [
    get('limit=0', 'limit=0', '/querystring/limit'),
    get('limit=201', 'limit=201', '/querystring/limit'),
    get('limit=-1', 'limit=-1', '/querystring/limit'),
    get('limit=abc', 'limit=abc', '/querystring/limit'),
    get('limit=1.5', 'limit=1.5', '/querystring/limit'),
    get('limit=', 'an empty limit', '/querystring/limit'),
    get('limit=99999999999999999999', 'a huge limit', '/querystring/limit'),
    get('limit=1&limit=2', 'limit given twice', '/querystring/limit'),
    get('offset=10', 'an unknown query parameter', '/querystring/offset'),
    get('limit=10&programId=prg_01jz0000000000000000000000', 'a programId query parameter', '/querystring/programId'),
    get('cursor=bm9wZQ', 'a forged cursor that is not JSON', '/querystring/cursor'),
    get('cursor=%25%25%25', 'a cursor that is not base64url', '/querystring/cursor'),
    get(`cursor=${wrongShapeCursor}`, 'a forged cursor of the wrong shape', '/querystring/cursor'),
    get(`cursor=${cursorOf('\u0000')}`, 'a forged cursor holding a NUL character', '/querystring/cursor'),
    get(`cursor=${cursorOf('x'.repeat(100))}`, 'a forged cursor of 100 characters', '/querystring/cursor'),
    get('cursor=', 'an empty cursor', '/querystring/cursor'),
    get(`cursor=${'A'.repeat(513)}`, 'a cursor of 513 characters', '/querystring/cursor'),
  ];
});

const filterCases: Case[] = [
  { name: 'users: an empty externalId filter', method: 'GET', url: '/v1/users?externalId=', expectStatus: 400, expectPath: '/querystring/externalId' },
  { name: 'users: an externalId filter of 129 characters', method: 'GET', url: `/v1/users?externalId=${'e'.repeat(129)}`, expectStatus: 400, expectPath: '/querystring/externalId' },
  { name: 'users: an externalId filter with a NUL character', method: 'GET', url: '/v1/users?externalId=m%00', expectStatus: 400, expectPath: '/querystring/externalId' },
  { name: 'users: an externalId filter with a line break', method: 'GET', url: '/v1/users?externalId=m%0A1', expectStatus: 400, expectPath: '/querystring/externalId' },
  { name: 'events: an unknown event type', method: 'GET', url: '/v1/events?type=NOPE', expectStatus: 400, expectPath: '/querystring/type' },
  { name: 'events: an event type in lower case', method: 'GET', url: '/v1/events?type=points_adjusted', expectStatus: 400, expectPath: '/querystring/type' },
  { name: 'events: a userId that is not an id', method: 'GET', url: '/v1/events?userId=not-an-id', expectStatus: 400, expectPath: '/querystring/userId' },
  { name: 'events: a userId with the wrong prefix', method: 'GET', url: `/v1/events?userId=${A_KEY_ID}`, expectStatus: 400, expectPath: '/querystring/userId' },
  { name: 'events: a userId with a SQL fragment', method: 'GET', url: `/v1/events?userId=${encodeURIComponent("usr_' OR '1'='1")}`, expectStatus: 400, expectPath: '/querystring/userId' },
];

const pathCases: Case[] = [
  { name: 'GET /v1/users/not-an-id', method: 'GET', url: '/v1/users/not-an-id', expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by an api key id', method: 'GET', url: '/v1/users/{key}', expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by an id in capitals', method: 'GET', url: `/v1/users/${A_USER_ID.toUpperCase()}`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by an id one character short', method: 'GET', url: `/v1/users/${A_USER_ID.slice(0, -1)}`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by an id with a letter outside the alphabet', method: 'GET', url: `/v1/users/${A_USER_ID.slice(0, -1)}u`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by an id with a NUL character', method: 'GET', url: `/v1/users/${A_USER_ID.slice(0, -1)}%00`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user by a SQL fragment', method: 'GET', url: `/v1/users/${encodeURIComponent("usr_' OR 1=1--")}`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET a user with an unknown query parameter', method: 'GET', url: '/v1/users/{user}?expand=all', expectStatus: 400, expectPath: '/querystring/expand' },
  { name: 'GET points of not-an-id', method: 'GET', url: '/v1/users/not-an-id/points', expectStatus: 400, expectPath: '/params/id' },
  { name: 'GET points by an api key id', method: 'GET', url: '/v1/users/{key}/points', expectStatus: 400, expectPath: '/params/id' },
  { name: 'POST points to not-an-id', method: 'POST', url: '/v1/users/not-an-id/points', body: valid(POINTS), expectStatus: 400, expectPath: '/params/id' },
  { name: 'POST points to an api key id', method: 'POST', url: '/v1/users/{key}/points', body: valid(POINTS), expectStatus: 400, expectPath: '/params/id' },
  { name: 'DELETE /v1/api-keys/not-an-id', method: 'DELETE', url: '/v1/api-keys/not-an-id', expectStatus: 400, expectPath: '/params/id' },
  { name: 'DELETE an api key by a user id', method: 'DELETE', url: '/v1/api-keys/{user}', expectStatus: 400, expectPath: '/params/id' },
  { name: 'DELETE an api key by a SQL fragment', method: 'DELETE', url: `/v1/api-keys/${encodeURIComponent("key_' OR '1'='1")}`, expectStatus: 400, expectPath: '/params/id' },
  { name: 'DELETE an api key with an invalid JSON body', method: 'DELETE', url: '/v1/api-keys/{freshKey}', payload: '{"reason":', expectStatus: 400, expectPath: '/body' },
  { name: 'DELETE an api key with an unknown query parameter', method: 'DELETE', url: '/v1/api-keys/{freshKey}?dryRun=true', expectStatus: 400, expectPath: '/querystring/dryRun' },
  { name: 'DELETE an api key with an empty Idempotency-Key', method: 'DELETE', url: '/v1/api-keys/{freshKey}', headers: { 'idempotency-key': '' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
];

const cases: Case[] = [...bodyShapeCases, ...userCases, ...pointsCases, ...keyCases, ...listCases, ...filterCases, ...pathCases];

/** How many rows the program has in each table, and the state an update could change. */
async function footprint(t: TestApp, programId: string): Promise<Record<string, number>> {
  const db = t.store.db;
  const count = async (table: 'users' | 'ledger_entries' | 'events' | 'api_keys' | 'idempotency_keys') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('program_id', '=', programId).executeTakeFirstOrThrow()).n);
  const liveKeys = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('program_id', '=', programId)
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  const balance = await db
    .selectFrom('users')
    .select((eb) => eb.fn.sum<number>('balance').as('total'))
    .where('program_id', '=', programId)
    .executeTakeFirstOrThrow();
  return {
    users: await count('users'),
    ledger_entries: await count('ledger_entries'),
    events: await count('events'),
    api_keys: await count('api_keys'),
    idempotency_keys: await count('idempotency_keys'),
    live_api_keys: Number(liveKeys.n),
    total_balance: Number(balance.total ?? 0),
  };
}

describeEachEngine('malformed input', (t) => {
  let programId: string;
  let adminKey: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ programId, adminKey } = await t.newProgram());
    ids.user = await createMember(t, adminKey, 'malformed-fixture');
    await t.request('POST', `/v1/users/${ids.user}/points`, { delta: 100, reason: 'fixture' }, { key: adminKey });
    ids.key = (await createKey(t, adminKey, 'app')).id;
  });

  it('has a case for every route that takes input', () => {
    const routes = new Set(cases.map((c) => `${c.method} ${c.url.split('?')[0]!.replace(/\{(user|key|freshKey)\}|not-an-id|(usr|key)_[^/]*/g, '{id}')}`));
    expect([...routes]).toEqual(
      expect.arrayContaining([
        'POST /v1/users',
        'GET /v1/users',
        'GET /v1/users/{id}',
        'POST /v1/users/{id}/points',
        'GET /v1/users/{id}/points',
        'POST /v1/api-keys',
        'GET /v1/api-keys',
        'DELETE /v1/api-keys/{id}',
        'GET /v1/events',
      ]),
    );
  });

  for (const c of cases) it(`refuses ${c.name} with ${c.expectStatus}, writing nothing`, async () => {
    if (c.url.includes('{freshKey}')) ids.freshKey = (await createKey(t, adminKey, 'app')).id;
    const url = c.url.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? `{${name}}`);
    const before = await footprint(t, programId);
    const response = await t.request(c.method, url, c.body, {
      key: adminKey,
      ...(c.payload !== undefined ? { payload: c.payload } : {}),
      ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    const after = await footprint(t, programId);

    const answer = `answered ${response.status} ${JSON.stringify(response.body)}`;
    expect(response.status, answer).toBeGreaterThanOrEqual(400);
    expect(response.status, answer).toBeLessThan(500);
    expect(response.status, answer).toBe(c.expectStatus);
    expect(String(response.headers['content-type']), answer).toMatch(/^application\/problem\+json/);
    expect(response.body, answer).toMatchObject({ status: response.status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(ERROR_STATUS[response.body.code as keyof typeof ERROR_STATUS], `code ${response.body.code} for ${response.status}`).toBe(response.status);
    if (c.expectPath !== undefined) {
      expect(response.body.errors, answer).toEqual(expect.arrayContaining([{ path: c.expectPath, message: expect.any(String) }]));
    }
    expect(after, 'the program’s rows changed').toEqual(before);
  });
});
