import { beforeAll, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/errors.js';
import { type TestApp, createKey, createMember, describeEachEngine } from './harness.js';

/**
 * Invariant 9: malformed input of any kind gets a 4xx problem answer naming the field at fault,
 * never a 5xx, and never writes anything.
 *
 * URLs and bodies may name the suite's fixtures: `{user}` is a member of the program, `{key}` a live
 * app key, `{reward}` a ONE_TIME reward, `{poolReward}` a POOL one, `{voucher}` an ACTIVE voucher with a code, `{purchase}` a
 * COMPLETED purchase, `{burn}` a validation that burned a voucher and `{webhook}` a subscription. A `{fresh…}` fixture is made for its case alone, so a wrongly accepted change
 * spoils no other case: `{freshKey}` an app key, `{freshReward}` a reward, `{freshVoucher}` an ACTIVE
 * voucher, `{freshTwoStepVoucher}` a PURCHASED one (of a TWO_STEP reward), `{freshPurchase}` a
 * COMPLETED purchase.
 */

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
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
  /** Every `errors[].path` must start with this. */
  expectPathsUnder?: string;
}

const USERS = '/v1/users';
const POINTS = '/v1/users/{user}/points';
const KEYS = '/v1/api-keys';
const REWARDS = '/v1/rewards';
const PURCHASES = '/v1/users/{user}/purchases';
const GIFTS = '/v1/users/{user}/gifts';
const VALIDATIONS = '/v1/voucher-validations';
const WEBHOOKS = '/v1/webhooks';
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
  [REWARDS]: () => ({ name: `malformed-${++serial}`, pricePoints: 10, codeType: 'ONE_TIME', incentives: [] }),
  [PURCHASES]: () => ({ rewardId: '{reward}' }),
  [GIFTS]: () => ({ rewardId: '{reward}' }),
  [VALIDATIONS]: () => ({ code: 'PROMO-NOSUCHCODE' }),
  [WEBHOOKS]: () => ({ url: 'https://hooks.example.com/tessera', eventTypes: ['PURCHASED_REWARD'] }),
};
const JSON_ROUTES = [USERS, POINTS, KEYS, REWARDS, PURCHASES, GIFTS, VALIDATIONS, WEBHOOKS] as const;
/** The first required field of each route's body: what an empty body is missing first. */
const FIRST_REQUIRED: Record<(typeof JSON_ROUTES)[number], string> = {
  [USERS]: '/body/externalId',
  [POINTS]: '/body/delta',
  [KEYS]: '/body/role',
  [REWARDS]: '/body/name',
  [PURCHASES]: '/body/rewardId',
  [GIFTS]: '/body/rewardId',
  [VALIDATIONS]: '/body/code',
  [WEBHOOKS]: '/body/url',
};
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
  // An empty body reads as {}, so it lacks the body's required fields.
  { name: `${url}: an empty body`, method: 'POST', url, payload: '', expectStatus: 400, expectPath: FIRST_REQUIRED[url], expectPathsUnder: '/body' },
  { name: `${url}: a body of whitespace`, method: 'POST', url, payload: ' \n\t ', expectStatus: 400, expectPath: FIRST_REQUIRED[url], expectPathsUnder: '/body' },
  { name: `${url}: no body and no content type`, method: 'POST', url, expectStatus: 400, expectPath: FIRST_REQUIRED[url], expectPathsUnder: '/body' },
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

const REWARD = '/v1/rewards/{freshReward}';
const REFUND = '/v1/purchases/{freshPurchase}/refund';
const VOID = '/v1/vouchers/{freshVoucher}/void';
const REVEAL = '/v1/vouchers/{freshTwoStepVoucher}/reveal';
const REVERSAL = '/v1/voucher-validations/{burn}/reversal';
const A_REWARD_ID = 'rwd_01jz0000000000000000000000';
const incentive = (fields: Record<string, unknown>) => valid(REWARDS, { incentives: [fields] });

const rewardCases: Case[] = [
  ...['name', 'pricePoints', 'codeType', 'incentives'].map(
    (field): Case => ({ name: `rewards: missing ${field}`, method: 'POST', url: REWARDS, body: without(REWARDS, field), expectStatus: 400, expectPath: `/body/${field}` }),
  ),
  { name: 'rewards: an unknown codeType', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeType: 'MAGIC' }), expectStatus: 400, expectPath: '/body/codeType' },
  { name: 'rewards: codeType in lower case', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeType: 'one_time' }), expectStatus: 400, expectPath: '/body/codeType' },
  { name: 'rewards: codeLength 5', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeLength: 5 }), expectStatus: 400, expectPath: '/body/codeLength' },
  { name: 'rewards: codeLength 33', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeLength: 33 }), expectStatus: 400, expectPath: '/body/codeLength' },
  { name: 'rewards: pricePoints -1', method: 'POST', url: REWARDS, body: valid(REWARDS, { pricePoints: -1 }), expectStatus: 400, expectPath: '/body/pricePoints' },
  { name: 'rewards: pricePoints 1.5', method: 'POST', url: REWARDS, body: valid(REWARDS, { pricePoints: 1.5 }), expectStatus: 400, expectPath: '/body/pricePoints' },
  { name: 'rewards: pricePoints as a string', method: 'POST', url: REWARDS, body: valid(REWARDS, { pricePoints: '10' }), expectStatus: 400, expectPath: '/body/pricePoints' },
  { name: 'rewards: a codeFormat without {code}', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeFormat: 'PROMO-CODE' }), expectStatus: 400, expectPath: '/body/codeFormat' },
  { name: 'rewards: a codeFormat with {code} twice', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeFormat: '{code}-{code}' }), expectStatus: 400, expectPath: '/body/codeFormat' },
  { name: 'rewards: a PERCENTAGE of 0', method: 'POST', url: REWARDS, body: incentive({ type: 'PERCENTAGE', value: 0 }), expectStatus: 400, expectPath: '/body/incentives/0/value' },
  { name: 'rewards: a PERCENTAGE of 101', method: 'POST', url: REWARDS, body: incentive({ type: 'PERCENTAGE', value: 101 }), expectStatus: 400, expectPath: '/body/incentives/0/value' },
  { name: 'rewards: an AMOUNT_OFF without currency', method: 'POST', url: REWARDS, body: incentive({ type: 'AMOUNT_OFF', value: 500 }), expectStatus: 400, expectPath: '/body/incentives/0/currency' },
  { name: 'rewards: a currency in lower case', method: 'POST', url: REWARDS, body: incentive({ type: 'AMOUNT_OFF', value: 500, currency: 'gbp' }), expectStatus: 400, expectPath: '/body/incentives/0/currency' },
  { name: 'rewards: an unknown incentive type', method: 'POST', url: REWARDS, body: incentive({ type: 'FREE_LUNCH', value: 1 }), expectStatus: 400, expectPath: '/body/incentives/0/type' },
  {
    name: 'rewards: availableUntil before availableFrom',
    method: 'POST',
    url: REWARDS,
    body: valid(REWARDS, { availableFrom: '2030-02-01T00:00:00Z', availableUntil: '2030-01-01T00:00:00Z' }),
    expectStatus: 400,
    expectPath: '/body/availableUntil',
  },
  { name: 'rewards: a validUntil that is not a date-time', method: 'POST', url: REWARDS, body: valid(REWARDS, { validUntil: 'next tuesday' }), expectStatus: 400, expectPath: '/body/validUntil' },
  { name: 'rewards: a validUntil that is a date alone', method: 'POST', url: REWARDS, body: valid(REWARDS, { validUntil: '2030-01-01' }), expectStatus: 400, expectPath: '/body/validUntil' },
  { name: 'rewards: an empty venues list', method: 'POST', url: REWARDS, body: valid(REWARDS, { venues: [] }), expectStatus: 400, expectPath: '/body/venues' },
  { name: 'rewards: venues that are not strings', method: 'POST', url: REWARDS, body: valid(REWARDS, { venues: [42, { id: 'store-042' }] }), expectStatus: 400, expectPath: '/body/venues/0' },
  { name: 'rewards: a status smuggled in', method: 'POST', url: REWARDS, body: valid(REWARDS, { status: 'ARCHIVED' }), expectStatus: 400, expectPath: '/body/status' },
  { name: 'rewards: a chosen id smuggled in', method: 'POST', url: REWARDS, body: valid(REWARDS, { id: A_REWARD_ID }), expectStatus: 400, expectPath: '/body/id' },
  { name: 'rewards: a staticCode on a ONE_TIME reward', method: 'POST', url: REWARDS, body: valid(REWARDS, { staticCode: 'SUMMER24' }), expectStatus: 400, expectPath: '/body/staticCode' },
  { name: 'rewards: a STATIC reward without staticCode', method: 'POST', url: REWARDS, body: valid(REWARDS, { codeType: 'STATIC' }), expectStatus: 400, expectPath: '/body/staticCode' },
  { name: 'rewards: name with a NUL character', method: 'POST', url: REWARDS, body: valid(REWARDS, { name: 'gift\u0000' }), expectStatus: 400, expectPath: '/body/name' },

  { name: 'reward changes: a new codeType', method: 'PATCH', url: REWARD, body: { codeType: 'STATIC', staticCode: 'SUMMER24' }, expectStatus: 400, expectPath: '/body/codeType' },
  { name: 'reward changes: codeType POOL', method: 'PATCH', url: REWARD, body: { codeType: 'POOL' }, expectStatus: 400, expectPath: '/body/codeType' },
  { name: 'reward changes: an unknown codeType', method: 'PATCH', url: REWARD, body: { codeType: 'MAGIC' }, expectStatus: 400, expectPath: '/body/codeType' },
  { name: 'reward changes: a status smuggled in', method: 'PATCH', url: REWARD, body: { status: 'ACTIVE', name: 'x' }, expectStatus: 400, expectPath: '/body/status' },
  { name: 'reward changes: guessability smuggled in', method: 'PATCH', url: REWARD, body: { guessability: null }, expectStatus: 400, expectPath: '/body/guessability' },
  { name: 'reward changes: name as a number', method: 'PATCH', url: REWARD, body: { name: 5 }, expectStatus: 400, expectPath: '/body/name' },
  { name: 'reward changes: name null', method: 'PATCH', url: REWARD, body: { name: null }, expectStatus: 400, expectPath: '/body/name' },
  { name: 'reward changes: pricePoints as a string', method: 'PATCH', url: REWARD, body: { pricePoints: '10' }, expectStatus: 400, expectPath: '/body/pricePoints' },
  { name: 'reward changes: pricePoints -1', method: 'PATCH', url: REWARD, body: { pricePoints: -1 }, expectStatus: 400, expectPath: '/body/pricePoints' },
  { name: 'reward changes: purchasable as a string', method: 'PATCH', url: REWARD, body: { purchasable: 'yes' }, expectStatus: 400, expectPath: '/body/purchasable' },
  { name: 'reward changes: incentives as an object', method: 'PATCH', url: REWARD, body: { incentives: { type: 'PERCENTAGE', value: 10 } }, expectStatus: 400, expectPath: '/body/incentives' },
  { name: 'reward changes: venues as a string', method: 'PATCH', url: REWARD, body: { venues: 'store-042' }, expectStatus: 400, expectPath: '/body/venues' },
  { name: 'reward changes: validUntil as a number', method: 'PATCH', url: REWARD, body: { validUntil: 1_900_000_000 }, expectStatus: 400, expectPath: '/body/validUntil' },
  { name: 'reward changes: a codeFormat without {code}', method: 'PATCH', url: REWARD, body: { codeFormat: 'PROMO-CODE' }, expectStatus: 400, expectPath: '/body/codeFormat' },
  { name: 'reward changes: a JSON array as body', method: 'PATCH', url: REWARD, body: [{ name: 'x' }], expectStatus: 400, expectPath: '/body' },
  { name: 'reward changes: invalid JSON', method: 'PATCH', url: REWARD, payload: '{"name": ', expectStatus: 400, expectPath: '/body' },
  { name: 'reward changes: an unknown query parameter', method: 'PATCH', url: `${REWARD}?force=true`, body: { name: 'x' }, expectStatus: 400, expectPath: '/querystring/force' },
  { name: 'reward changes: an empty Idempotency-Key', method: 'PATCH', url: REWARD, body: { name: 'x' }, headers: { 'idempotency-key': '' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },

  { name: 'archive: an unknown field', method: 'POST', url: `${REWARD}/archive`, body: { reason: 'old' }, expectStatus: 400, expectPath: '/body/reason' },
  { name: 'archive: a JSON array as body', method: 'POST', url: `${REWARD}/archive`, body: [], expectStatus: 400, expectPath: '/body' },
];

const purchaseCases: Case[] = ([PURCHASES, GIFTS] as const).flatMap((url): Case[] => {
  const what = url === PURCHASES ? 'purchases' : 'gifts';
  return [
    { name: `${what}: missing rewardId`, method: 'POST', url, body: url === GIFTS ? { comment: 'for you' } : {}, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: rewardId that is not an id`, method: 'POST', url, body: { rewardId: 'not-an-id' }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: rewardId of a member`, method: 'POST', url, body: { rewardId: '{user}' }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: rewardId in capitals`, method: 'POST', url, body: { rewardId: A_REWARD_ID.toUpperCase() }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: rewardId as a number`, method: 'POST', url, body: { rewardId: 42 }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: rewardId null`, method: 'POST', url, body: { rewardId: null }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: a list of rewardIds`, method: 'POST', url, body: { rewardId: ['{reward}', '{reward}'] }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: a SQL fragment as rewardId`, method: 'POST', url, body: { rewardId: "rwd_' OR '1'='1" }, expectStatus: 400, expectPath: '/body/rewardId' },
    { name: `${what}: a price smuggled in`, method: 'POST', url, body: valid(url, { pricePoints: 0 }), expectStatus: 400, expectPath: '/body/pricePoints' },
    { name: `${what}: a userId smuggled in`, method: 'POST', url, body: valid(url, { userId: A_USER_ID }), expectStatus: 400, expectPath: '/body/userId' },
  ];
});

const giftCases: Case[] = [
  { name: 'gifts: comment of 501 characters', method: 'POST', url: GIFTS, body: valid(GIFTS, { comment: 'c'.repeat(501) }), expectStatus: 400, expectPath: '/body/comment' },
  { name: 'gifts: comment empty', method: 'POST', url: GIFTS, body: valid(GIFTS, { comment: '' }), expectStatus: 400, expectPath: '/body/comment' },
  { name: 'gifts: comment with a NUL character', method: 'POST', url: GIFTS, body: valid(GIFTS, { comment: 'for you\u0000' }), expectStatus: 400, expectPath: '/body/comment' },
  { name: 'gifts: comment as a number', method: 'POST', url: GIFTS, body: valid(GIFTS, { comment: 7 }), expectStatus: 400, expectPath: '/body/comment' },
];

/** Refund and void take an optional reason and nothing else. */
const reasonCases: Case[] = [
  { what: 'refund', url: REFUND },
  { what: 'void', url: VOID },
  { what: 'reversal', url: REVERSAL },
].flatMap(({ what, url }): Case[] => [
  { name: `${what}: reason of 501 characters`, method: 'POST', url, body: { reason: 'r'.repeat(501) }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: reason empty`, method: 'POST', url, body: { reason: '' }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: reason as a number`, method: 'POST', url, body: { reason: 42 }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: reason as an object`, method: 'POST', url, body: { reason: { text: 'x' } }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: reason null`, method: 'POST', url, body: { reason: null }, expectStatus: 400, expectPath: '/body/reason' },
  // The same text rules as a points reason: a refund's reason ends up in a ledger entry's.
  { name: `${what}: reason with a NUL character`, method: 'POST', url, body: { reason: 'fraud\u0000' }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: reason with CR LF`, method: 'POST', url, body: { reason: 'fraud\r\nX-Injected: 1' }, expectStatus: 400, expectPath: '/body/reason' },
  { name: `${what}: an unknown field`, method: 'POST', url, body: { reason: 'fraud', points: 1000 }, expectStatus: 400, expectPath: '/body/points' },
  { name: `${what}: a JSON array as body`, method: 'POST', url, body: [{ reason: 'fraud' }], expectStatus: 400, expectPath: '/body' },
  { name: `${what}: invalid JSON`, method: 'POST', url, payload: '{"reason": "fraud"', expectStatus: 400, expectPath: '/body' },
  { name: `${what}: an unknown query parameter`, method: 'POST', url: `${url}?force=true`, body: {}, expectStatus: 400, expectPath: '/querystring/force' },
  { name: `${what}: an Idempotency-Key with a space`, method: 'POST', url, body: {}, headers: { 'idempotency-key': 'two words' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
]);

const basket = { currency: 'GBP', total: 2350, items: [{ sku: 'CAKE-1', quantity: 1, unitPrice: 450 }] };
const withItem = (change: Record<string, unknown>) => valid(VALIDATIONS, { basket: { ...basket, items: [{ ...basket.items[0], ...change }] } });
const validationCases: Case[] = [
  { name: 'validation: missing code', method: 'POST', url: VALIDATIONS, body: { dryRun: true }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: code empty', method: 'POST', url: VALIDATIONS, body: { code: '' }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: code of 129 characters', method: 'POST', url: VALIDATIONS, body: { code: 'C'.repeat(129) }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: code as a number', method: 'POST', url: VALIDATIONS, body: { code: 1234 }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: code null', method: 'POST', url: VALIDATIONS, body: { code: null }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: code with a NUL character', method: 'POST', url: VALIDATIONS, body: { code: 'PROMO-\u0000' }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: a list of codes', method: 'POST', url: VALIDATIONS, body: { code: ['A', 'B'] }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'validation: dryRun as a string', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { dryRun: 'true' }), expectStatus: 400, expectPath: '/body/dryRun' },
  { name: 'validation: dryRun as 1', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { dryRun: 1 }), expectStatus: 400, expectPath: '/body/dryRun' },
  { name: 'validation: venue empty', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { venue: '' }), expectStatus: 400, expectPath: '/body/venue' },
  { name: 'validation: venue as a number', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { venue: 42 }), expectStatus: 400, expectPath: '/body/venue' },
  { name: 'validation: venue with a line break', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { venue: 'store\n1' }), expectStatus: 400, expectPath: '/body/venue' },
  { name: 'validation: userId as a number', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { userId: 7 }), expectStatus: 400, expectPath: '/body/userId' },
  { name: 'validation: reference of 201 characters', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { reference: 'r'.repeat(201) }), expectStatus: 400, expectPath: '/body/reference' },
  { name: 'validation: reference empty', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { reference: '' }), expectStatus: 400, expectPath: '/body/reference' },
  { name: 'validation: basket as an array', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: [basket] }), expectStatus: 400, expectPath: '/body/basket' },
  { name: 'validation: basket without currency', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { total: 100 } }), expectStatus: 400, expectPath: '/body/basket/currency' },
  { name: 'validation: basket currency in lower case', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, currency: 'gbp' } }), expectStatus: 400, expectPath: '/body/basket/currency' },
  { name: 'validation: basket currency of 4 letters', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, currency: 'GBPX' } }), expectStatus: 400, expectPath: '/body/basket/currency' },
  { name: 'validation: basket without total', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { currency: 'GBP' } }), expectStatus: 400, expectPath: '/body/basket/total' },
  { name: 'validation: basket total negative', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, total: -1 } }), expectStatus: 400, expectPath: '/body/basket/total' },
  { name: 'validation: basket total with a fraction', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, total: 23.5 } }), expectStatus: 400, expectPath: '/body/basket/total' },
  { name: 'validation: basket total as a string', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, total: '2350' } }), expectStatus: 400, expectPath: '/body/basket/total' },
  { name: 'validation: basket total beyond 10^15', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, total: 1e16 } }), expectStatus: 400, expectPath: '/body/basket/total' },
  { name: 'validation: basket with an unknown field', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, coupon: 'X' } }), expectStatus: 400, expectPath: '/body/basket/coupon' },
  { name: 'validation: items as an object', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, items: basket.items[0] } }), expectStatus: 400, expectPath: '/body/basket/items' },
  { name: 'validation: 501 items', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, items: Array(501).fill(basket.items[0]) } }), expectStatus: 400, expectPath: '/body/basket/items' },
  { name: 'validation: an item without sku', method: 'POST', url: VALIDATIONS, body: valid(VALIDATIONS, { basket: { ...basket, items: [{ quantity: 1, unitPrice: 450 }] } }), expectStatus: 400, expectPath: '/body/basket/items/0/sku' },
  { name: 'validation: an item quantity of 0', method: 'POST', url: VALIDATIONS, body: withItem({ quantity: 0 }), expectStatus: 400, expectPath: '/body/basket/items/0/quantity' },
  { name: 'validation: an item quantity with a fraction', method: 'POST', url: VALIDATIONS, body: withItem({ quantity: 1.5 }), expectStatus: 400, expectPath: '/body/basket/items/0/quantity' },
  { name: 'validation: an item unitPrice negative', method: 'POST', url: VALIDATIONS, body: withItem({ unitPrice: -450 }), expectStatus: 400, expectPath: '/body/basket/items/0/unitPrice' },
  { name: 'validation: an item unitPrice beyond 10^9', method: 'POST', url: VALIDATIONS, body: withItem({ unitPrice: 1e10 }), expectStatus: 400, expectPath: '/body/basket/items/0/unitPrice' },
  { name: 'validation: an item with an unknown field', method: 'POST', url: VALIDATIONS, body: withItem({ discount: 100 }), expectStatus: 400, expectPath: '/body/basket/items/0/discount' },
];

const webhookCases: Case[] = [
  { name: 'webhooks: missing url', method: 'POST', url: WEBHOOKS, body: { eventTypes: ['PURCHASED_REWARD'] }, expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: url as a number', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 42 }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: an ftp url', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 'ftp://example.com/x' }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: a url that is no URL', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 'hooks here please' }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: a url with a NUL character', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 'https://hooks.example.com/a\u0000b' }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: a javascript: url', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 'javascript:alert(1)' }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: a url with credentials', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: 'https://a:b@example.com/' }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: a url of 2001 characters', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { url: `https://example.com/${'x'.repeat(1981)}` }), expectStatus: 400, expectPath: '/body/url' },
  { name: 'webhooks: missing eventTypes', method: 'POST', url: WEBHOOKS, body: { url: 'https://example.com/' }, expectStatus: 400, expectPath: '/body/eventTypes' },
  { name: 'webhooks: no eventTypes', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { eventTypes: [] }), expectStatus: 400, expectPath: '/body/eventTypes' },
  { name: 'webhooks: an unknown event type', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { eventTypes: ['EVERYTHING'] }), expectStatus: 400, expectPath: '/body/eventTypes/0' },
  { name: 'webhooks: an event type twice', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { eventTypes: ['PURCHASED_REWARD', 'PURCHASED_REWARD'] }), expectStatus: 400, expectPath: '/body/eventTypes' },
  { name: 'webhooks: eventTypes as a string', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { eventTypes: 'PURCHASED_REWARD' }), expectStatus: 400, expectPath: '/body/eventTypes' },
  { name: 'webhooks: description of 501 characters', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { description: 'd'.repeat(501) }), expectStatus: 400, expectPath: '/body/description' },
  { name: 'webhooks: description with a NUL character', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { description: 'x\u0000' }), expectStatus: 400, expectPath: '/body/description' },
  { name: 'webhooks: a secret smuggled in', method: 'POST', url: WEBHOOKS, body: valid(WEBHOOKS, { secret: 'whsec_mine' }), expectStatus: 400, expectPath: '/body/secret' },
  { name: 'webhook test: an unknown field', method: 'POST', url: '/v1/webhooks/{webhook}/test', body: { eventType: 'X' }, expectStatus: 400, expectPath: '/body/eventType' },
  { name: 'webhook retry: a delivery id that is not an id', method: 'POST', url: '/v1/webhooks/{webhook}/deliveries/not-an-id/retry', body: {}, expectStatus: 400, expectPath: '/params/deliveryId' },
  { name: 'webhook retry: a delivery id of the wrong kind', method: 'POST', url: '/v1/webhooks/{webhook}/deliveries/{voucher}/retry', body: {}, expectStatus: 400, expectPath: '/params/deliveryId' },
  { name: 'webhook retry: a webhook id that is not an id', method: 'POST', url: '/v1/webhooks/not-an-id/deliveries/whd_01jz0000000000000000000000/retry', body: {}, expectStatus: 400, expectPath: '/params/id' },
  { name: 'webhook retry: an unknown field', method: 'POST', url: '/v1/webhooks/{webhook}/deliveries/whd_01jz0000000000000000000000/retry', body: { force: true }, expectStatus: 400, expectPath: '/body/force' },
];

const revealCases: Case[] = [
  { name: 'reveal: an unknown field', method: 'POST', url: REVEAL, body: { code: 'MYCHOICE' }, expectStatus: 400, expectPath: '/body/code' },
  { name: 'reveal: a JSON array as body', method: 'POST', url: REVEAL, body: [], expectStatus: 400, expectPath: '/body' },
  { name: 'reveal: invalid JSON', method: 'POST', url: REVEAL, payload: '{', expectStatus: 400, expectPath: '/body' },
  { name: 'reveal: an unknown query parameter', method: 'POST', url: `${REVEAL}?code=MYCHOICE`, body: {}, expectStatus: 400, expectPath: '/querystring/code' },
];

const voucherReadCases: Case[] = [
  { name: 'vouchers: an unknown status', method: 'GET', url: '/v1/vouchers?status=NOPE', expectStatus: 400, expectPath: '/querystring/status' },
  { name: 'vouchers: a status in lower case', method: 'GET', url: '/v1/vouchers?status=active', expectStatus: 400, expectPath: '/querystring/status' },
  { name: 'vouchers: a userId that is not an id', method: 'GET', url: '/v1/vouchers?userId=not-an-id', expectStatus: 400, expectPath: '/querystring/userId' },
  { name: 'vouchers: a userId that is a reward id', method: 'GET', url: `/v1/vouchers?userId=${A_REWARD_ID}`, expectStatus: 400, expectPath: '/querystring/userId' },
  { name: 'vouchers: a userId with a SQL fragment', method: 'GET', url: `/v1/vouchers?userId=${encodeURIComponent("usr_' OR '1'='1")}`, expectStatus: 400, expectPath: '/querystring/userId' },
  { name: 'vouchers: a rewardId that is not an id', method: 'GET', url: '/v1/vouchers?rewardId=not-an-id', expectStatus: 400, expectPath: '/querystring/rewardId' },
  { name: 'vouchers: a rewardId that is a member id', method: 'GET', url: `/v1/vouchers?rewardId=${A_USER_ID}`, expectStatus: 400, expectPath: '/querystring/rewardId' },
  { name: 'rewards: an unknown status filter', method: 'GET', url: '/v1/rewards?status=DELETED', expectStatus: 400, expectPath: '/querystring/status' },
  { name: 'lookup: no code', method: 'GET', url: '/v1/vouchers/lookup', expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: an empty code', method: 'GET', url: '/v1/vouchers/lookup?code=', expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: a code of 257 characters', method: 'GET', url: `/v1/vouchers/lookup?code=${'C'.repeat(257)}`, expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: a code of 10,000 characters', method: 'GET', url: `/v1/vouchers/lookup?code=${'C'.repeat(10_000)}`, expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: a code with a NUL character', method: 'GET', url: '/v1/vouchers/lookup?code=ABC%00DEF', expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: a code with an escape character', method: 'GET', url: '/v1/vouchers/lookup?code=ABC%1BDEF', expectStatus: 400, expectPath: '/querystring/code' },
  { name: 'lookup: an unknown query parameter', method: 'GET', url: '/v1/vouchers/lookup?code=ABCDEFGH&programId=prg_01jz0000000000000000000000', expectStatus: 400, expectPath: '/querystring/programId' },
  { name: 'barcode: type=pdf417', method: 'GET', url: '/v1/vouchers/{voucher}/barcode.svg?type=pdf417', expectStatus: 400, expectPath: '/querystring/type' },
  { name: 'barcode: type in capitals', method: 'GET', url: '/v1/vouchers/{voucher}/barcode.svg?type=QRCODE', expectStatus: 400, expectPath: '/querystring/type' },
  { name: 'barcode: an empty type', method: 'GET', url: '/v1/vouchers/{voucher}/barcode.svg?type=', expectStatus: 400, expectPath: '/querystring/type' },
  { name: 'barcode: an unknown query parameter', method: 'GET', url: '/v1/vouchers/{voucher}/barcode.svg?scale=1000', expectStatus: 400, expectPath: '/querystring/scale' },
  { name: 'GET a reward with an unknown query parameter', method: 'GET', url: '/v1/rewards/{reward}?expand=all', expectStatus: 400, expectPath: '/querystring/expand' },
  { name: 'GET a voucher with an unknown query parameter', method: 'GET', url: '/v1/vouchers/{voucher}?expand=all', expectStatus: 400, expectPath: '/querystring/expand' },
  { name: 'report: no range', method: 'GET', url: '/v1/reports/activity', expectStatus: 400, expectPath: '/querystring/from' },
  { name: 'report: a date that is not a date', method: 'GET', url: '/v1/reports/activity?from=2026-02-30x&to=2026-03-01', expectStatus: 400, expectPath: '/querystring/from' },
  { name: 'report: an unknown timezone', method: 'GET', url: '/v1/reports/activity?from=2026-01-01&to=2026-01-02&timezone=Mars%2FBase', expectStatus: 400, expectPath: '/querystring/timezone' },
  { name: 'report: the widest range there is', method: 'GET', url: '/v1/reports/activity?from=0001-01-01&to=9999-12-31', expectStatus: 400, expectPath: '/querystring/to' },
  { name: 'report CSV: to before from', method: 'GET', url: '/v1/reports/activity.csv?from=2026-01-02&to=2026-01-01', expectStatus: 400, expectPath: '/querystring/to' },
  { name: 'rewards report: a cursor of another list', method: 'GET', url: `/v1/reports/rewards?from=2026-01-01&to=2026-01-02&cursor=${Buffer.from('42').toString('base64url')}`, expectStatus: 400, expectPath: '/querystring/cursor' },
  { name: 'venues report: a limit too large', method: 'GET', url: '/v1/reports/venues?from=2026-01-01&to=2026-01-02&limit=201', expectStatus: 400, expectPath: '/querystring/limit' },
];

/** The lists, each with a cursor of the wrong shape for it. */
const LISTS: Array<{ url: string; wrongShapeCursor: string }> = [
  { url: '/v1/users', wrongShapeCursor: cursorOf([1, 2]) },
  { url: '/v1/api-keys', wrongShapeCursor: cursorOf({ id: 'key_' }) },
  { url: '/v1/events', wrongShapeCursor: cursorOf('evt_01jz0000000000000000000000') },
  { url: '/v1/users/{user}/points', wrongShapeCursor: cursorOf(42) },
  { url: '/v1/rewards', wrongShapeCursor: cursorOf({ id: 'rwd_' }) },
  { url: '/v1/vouchers', wrongShapeCursor: cursorOf(['vch_01jz0000000000000000000000']) },
  { url: '/v1/webhooks', wrongShapeCursor: cursorOf('usr_01jz0000000000000000000000') },
  { url: '/v1/webhooks/{webhook}/deliveries', wrongShapeCursor: cursorOf('whk_01jz0000000000000000000000') },
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
  ...newPathCases(),
];

/**
 * Every path of the rewards, purchases and vouchers routes with an id that is no id, an id of the
 * wrong kind, one in capitals, one a character short and a SQL fragment: each a 400 on /params/id.
 */
function newPathCases(): Case[] {
  const routes: Array<{ method: Case['method']; path: string; prefix: string; wrongKind: string; body?: unknown }> = [
    { method: 'GET', path: '/v1/rewards/{id}', prefix: 'rwd', wrongKind: '{voucher}' },
    { method: 'PATCH', path: '/v1/rewards/{id}', prefix: 'rwd', wrongKind: '{user}', body: { name: 'x' } },
    { method: 'POST', path: '/v1/rewards/{id}/archive', prefix: 'rwd', wrongKind: '{purchase}', body: {} },
    { method: 'POST', path: '/v1/users/{id}/purchases', prefix: 'usr', wrongKind: '{reward}', body: { rewardId: '{reward}' } },
    { method: 'POST', path: '/v1/users/{id}/gifts', prefix: 'usr', wrongKind: '{voucher}', body: { rewardId: '{reward}' } },
    { method: 'POST', path: '/v1/purchases/{id}/refund', prefix: 'pur', wrongKind: '{voucher}', body: {} },
    { method: 'GET', path: '/v1/vouchers/{id}', prefix: 'vch', wrongKind: '{purchase}' },
    { method: 'GET', path: '/v1/vouchers/{id}/barcode.svg', prefix: 'vch', wrongKind: '{reward}' },
    { method: 'POST', path: '/v1/vouchers/{id}/reveal', prefix: 'vch', wrongKind: '{purchase}', body: {} },
    { method: 'POST', path: '/v1/vouchers/{id}/void', prefix: 'vch', wrongKind: '{user}', body: {} },
    { method: 'POST', path: '/v1/voucher-validations/{id}/reversal', prefix: 'val', wrongKind: '{voucher}', body: {} },
    { method: 'GET', path: '/v1/webhooks/{id}', prefix: 'whk', wrongKind: '{user}' },
    { method: 'DELETE', path: '/v1/webhooks/{id}', prefix: 'whk', wrongKind: '{reward}' },
    { method: 'POST', path: '/v1/webhooks/{id}/test', prefix: 'whk', wrongKind: '{voucher}', body: {} },
    { method: 'GET', path: '/v1/webhooks/{id}/deliveries', prefix: 'whk', wrongKind: '{purchase}' },
    { method: 'POST', path: '/v1/rewards/{id}/codes', prefix: 'rwd', wrongKind: '{user}', body: { codes: ['MALFORMED-1'] } },
    { method: 'GET', path: '/v1/rewards/{id}/codes/summary', prefix: 'rwd', wrongKind: '{voucher}' },
  ];
  return routes.flatMap(({ method, path, prefix, wrongKind, body }) => {
    const anId = `${prefix}_01jz0000000000000000000000`;
    const ids: Array<[string, string]> = [
      ['not-an-id', 'not-an-id'],
      ['an id of the wrong kind', wrongKind],
      ['an id in capitals', anId.toUpperCase()],
      ['an id one character short', anId.slice(0, -1)],
      ['an id with a NUL character', `${anId.slice(0, -1)}%00`],
      ['a SQL fragment', encodeURIComponent(`${prefix}_' OR 1=1--`)],
    ];
    return ids.map(([what, id]): Case => ({
      name: `${method} ${path} with ${what}`,
      method,
      url: path.replace('{id}', id),
      ...(body !== undefined ? { body } : {}),
      expectStatus: 400,
      expectPath: '/params/id',
    }));
  });
}

/** Uploads to a POOL reward that cannot be read at all: nothing of them is added. */
const UPLOAD = '/v1/rewards/{poolReward}/codes';
const uploadCases: Case[] = [
  { name: 'an upload of broken JSON', method: 'POST', url: UPLOAD, payload: '{"codes":["A-1","A-2"', expectStatus: 400, expectPath: '/body' },
  { name: 'an upload of JSON with a trailing comma and garbage', method: 'POST', url: UPLOAD, payload: '{"codes":["A-1",]} x', expectStatus: 400, expectPath: '/body' },
  { name: 'an upload of JSON that is not an object of codes', method: 'POST', url: UPLOAD, payload: '["A-1"]', expectStatus: 400, expectPath: '/body' },
  { name: 'an upload of JSON with no codes', method: 'POST', url: UPLOAD, body: { codes: [] }, expectStatus: 400, expectPath: '/body' },
  { name: 'an upload of CSV with an unclosed quote', method: 'POST', url: UPLOAD, payload: 'code\n"A-1\nA-2\n', contentType: 'text/csv', expectStatus: 400, expectPath: '/body' },
  { name: 'an upload of empty text', method: 'POST', url: UPLOAD, payload: '', contentType: 'text/plain', expectStatus: 400, expectPath: '/body' },
  { name: 'an upload with no body at all', method: 'POST', url: UPLOAD, expectStatus: 400, expectPath: '/body' },
  { name: 'an upload in XML', method: 'POST', url: UPLOAD, payload: '<codes><code>A-1</code></codes>', contentType: 'application/xml', expectStatus: 415 },
  { name: 'an upload with header=maybe', method: 'POST', url: `${UPLOAD}?header=maybe`, payload: 'A-1', contentType: 'text/csv', expectStatus: 400, expectPath: '/querystring/header' },
  { name: 'an upload with an unknown query parameter', method: 'POST', url: `${UPLOAD}?format=csv`, payload: 'A-1', contentType: 'text/plain', expectStatus: 400, expectPath: '/querystring/format' },
  { name: 'an upload with an empty Idempotency-Key', method: 'POST', url: UPLOAD, payload: 'A-1', contentType: 'text/plain', headers: { 'idempotency-key': '' }, expectStatus: 400, expectPath: '/headers/idempotency-key' },
  { name: 'a pool summary with an unknown query parameter', method: 'GET', url: '/v1/rewards/{poolReward}/codes/summary?all=true', expectStatus: 400, expectPath: '/querystring/all' },
];

const cases: Case[] = [
  ...bodyShapeCases,
  ...uploadCases,
  ...userCases,
  ...pointsCases,
  ...keyCases,
  ...rewardCases,
  ...purchaseCases,
  ...giftCases,
  ...reasonCases,
  ...revealCases,
  ...validationCases,
  ...webhookCases,
  ...voucherReadCases,
  ...listCases,
  ...filterCases,
  ...pathCases,
];

/** The tables a program's rows live in; a case must change none of them. */
const COUNTED_TABLES = ['users', 'ledger_entries', 'events', 'api_keys', 'idempotency_keys', 'rewards', 'reward_holdings', 'purchases', 'vouchers', 'voucher_codes', 'code_uploads', 'validations', 'webhooks', 'webhook_deliveries'] as const;
/** Tables whose rows a wrongly accepted update would change in place: compared row by row. */
const COMPARED_TABLES = ['rewards', 'reward_holdings', 'purchases', 'vouchers', 'voucher_codes', 'validations'] as const;

/** How many rows the program has in each table, and the state an update could change. */
async function footprint(t: TestApp, programId: string): Promise<Record<string, unknown>> {
  const db = t.store.db;
  const count = async (table: (typeof COUNTED_TABLES)[number]) =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('program_id', '=', programId).executeTakeFirstOrThrow()).n);
  const rows = async (table: (typeof COMPARED_TABLES)[number]) =>
    (await db.selectFrom(table).selectAll().where('program_id', '=', programId).execute()).map((row) => JSON.stringify(row)).sort();
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
  const snapshot: Record<string, unknown> = {};
  for (const table of COUNTED_TABLES) snapshot[table] = await count(table);
  for (const table of COMPARED_TABLES) snapshot[`${table} rows`] = await rows(table);
  snapshot.live_api_keys = Number(liveKeys.n);
  snapshot.total_balance = Number(balance.total ?? 0);
  return snapshot;
}

describeEachEngine('malformed input', (t) => {
  let programId: string;
  let adminKey: string;
  const ids: Record<string, string> = {};

  async function makeReward(settings: Record<string, unknown> = {}): Promise<string> {
    const body = { name: `malformed-fixture-${++serial}`, pricePoints: 10, codeType: 'ONE_TIME', incentives: [], ...settings };
    const response = await t.request('POST', REWARDS, body, { key: adminKey });
    if (response.status !== 201) throw new Error(`could not create a fixture reward: ${JSON.stringify(response.body)}`);
    return response.body.id;
  }

  /** A fresh member with 100 points buys a fresh reward: the purchase and its voucher. */
  async function makePurchase(settings: Record<string, unknown> = {}): Promise<{ purchaseId: string; voucherId: string; status: string }> {
    const member = await createMember(t, adminKey);
    await t.request('POST', `/v1/users/${member}/points`, { delta: 100, reason: 'fixture' }, { key: adminKey });
    const bought = await t.request('POST', `/v1/users/${member}/purchases`, { rewardId: await makeReward(settings) }, { key: adminKey });
    if (bought.status !== 201) throw new Error(`could not buy a fixture reward: ${JSON.stringify(bought.body)}`);
    return { purchaseId: bought.body.purchase.id, voucherId: bought.body.voucher.id, status: bought.body.voucher.status };
  }

  /** Fixtures made anew for each case that names them. */
  const FRESH: Record<string, () => Promise<string>> = {
    freshKey: async () => (await createKey(t, adminKey, 'app')).id,
    freshReward: () => makeReward(),
    freshVoucher: async () => (await makePurchase()).voucherId,
    freshPurchase: async () => (await makePurchase()).purchaseId,
    freshTwoStepVoucher: async () => {
      const { voucherId, status } = await makePurchase({ redemptionFlow: 'TWO_STEP' });
      if (status !== 'PURCHASED') throw new Error(`a TWO_STEP purchase gave a ${status} voucher`);
      return voucherId;
    },
  };

  beforeAll(async () => {
    ({ programId, adminKey } = await t.newProgram());
    ids.user = await createMember(t, adminKey, 'malformed-fixture');
    await t.request('POST', `/v1/users/${ids.user}/points`, { delta: 100, reason: 'fixture' }, { key: adminKey });
    ids.key = (await createKey(t, adminKey, 'app')).id;
    ids.reward = await makeReward();
    ids.poolReward = await makeReward({ codeType: 'POOL' });
    const bought = await makePurchase();
    ids.voucher = bought.voucherId;
    ids.purchase = bought.purchaseId;
    // A burn, for the reversal cases (each refused, so it stays unreversed).
    const { voucherId } = await makePurchase();
    const code = (await t.request('GET', `/v1/vouchers/${voucherId}`, undefined, { key: adminKey })).body.code;
    ids.burn = (await t.request('POST', VALIDATIONS, { code }, { key: adminKey })).body.validation.id;
    ids.webhook = (await t.request('POST', WEBHOOKS, validBody[WEBHOOKS]!(), { key: adminKey })).body.id;
  });

  it('has a case for every route that takes input', async () => {
    // Every operation of /openapi.json with a path, query, body or header input.
    const document = await t.request('GET', '/openapi.json');
    expect(document.status).toBe(200);
    const routes: string[] = [];
    for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.requestBody || (op.parameters ?? []).length > 0) routes.push(`${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{id}')}`);
      }
    }
    expect(routes).toEqual(expect.arrayContaining(['POST /v1/users', 'GET /v1/vouchers/lookup', 'POST /v1/vouchers/{id}/reveal']));
    const covered = new Set(cases.map((c) => `${c.method} ${c.url.split('?')[0]!.replace(/\{\w+\}|not-an-id|[a-z]{3}_[^/]*/gi, '{id}')}`));
    expect(routes.filter((route) => !covered.has(route)), 'routes without a malformed-input case').toEqual([]);
  });

  for (const c of cases) it(`refuses ${c.name} with ${c.expectStatus}, writing nothing`, async () => {
    for (const [, name] of `${c.url} ${c.payload ?? JSON.stringify(c.body) ?? ''}`.matchAll(/\{(fresh\w+)\}/g)) {
      const make = FRESH[name!];
      if (!make) throw new Error(`no fresh fixture {${name}}`);
      ids[name!] = await make();
    }
    const fill = (text: string) => text.replace(/\{(\w+)\}/g, (whole, name: string) => ids[name] ?? whole);
    const url = fill(c.url);
    const payload = c.payload ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
    const before = await footprint(t, programId);
    const response = await t.request(c.method, url, undefined, {
      key: adminKey,
      ...(payload !== undefined ? { payload: fill(payload) } : {}),
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
      expect(response.body.errors, answer).toEqual(expect.arrayContaining([expect.objectContaining({ path: c.expectPath, message: expect.any(String) })]));
    }
    if (c.expectPathsUnder !== undefined) {
      for (const error of response.body.errors ?? []) expect(error.path, answer).toMatch(new RegExp(`^${c.expectPathsUnder}(/|$)`));
    }
    expect(after, 'the program’s rows changed').toEqual(before);
  });
});
