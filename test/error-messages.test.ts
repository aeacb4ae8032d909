import { beforeAll, describe, expect, it } from 'vitest';
import { type Response, useTestApp } from './harness.js';
import type { JsonSchema } from './json-schema.js';

/**
 * A refused request says what is wrong in words: each message is a sentence that starts with the
 * field's name and says what it must be, never a regular expression or a validator's own phrase,
 * and keeps the schema keyword it failed beside it. The operations and their schemas are read from
 * /openapi.json and the bad values made from each schema, so a new route or field is covered the
 * day it ships. Nothing here gets past validation, so one engine is enough.
 */

type Part = 'params' | 'querystring' | 'headers' | 'body';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface Operation {
  label: string;
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON body's schema, unless the route reads its body itself (streamed). */
  body?: JsonSchema;
}

/** One way to break a request: what it sends in place of a valid value, where, and which keyword must refuse it. */
interface Break {
  what: string;
  part: Part;
  /** The JSON pointer the refusal must name. */
  path: string;
  keyword: string;
  /** Applies the break to a valid request. */
  apply(request: Request): Request;
}

interface Request {
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  /** Sent as is, with this content type, instead of `body`. */
  raw?: { payload: string; contentType: string };
}

const A_ULID = '01jz5m3t9x8k2v4q6r7s0a1b2c';
const SAMPLE_STRINGS = ['sample-1', 'GBP', 'https://hooks.example.com/tessera'];
const FORMAT_SAMPLES: Record<string, string> = { 'date-time': '2030-01-31T23:59:59Z', date: '2026-01-01', email: 'ann@example.com' };
/** Strings that break a pattern, the first one the pattern refuses is used. */
const PATTERN_BREAKERS = ['two words', 'bell\u0007here', 'lower', '!!'];

/** What a refused request's message must not hold: pieces of regular expressions and Ajv's own phrases. */
const REGEX_PIECES = /[\^$\\[\]]|\{\d+(,\d*)?\}|\(\?|\.\*|\.\+/;
const RAW_PHRASES = ['must NOT', 'must match pattern', 'must be object', 'must be integer', 'must be string', 'must be equal to', 'must have required property', 'must be >=', 'must be <=', 'must match format', 'undefined', '[object Object]', 'NaN'];

/** The name a message starts with, worked out here on its own from the path. */
function nameOf(path: string): string {
  const segments = path.split('/').slice(1);
  const parts: Record<string, string> = { body: 'the body', querystring: 'the query string', params: 'the path', headers: 'the headers' };
  if (segments.length === 1) return parts[segments[0]!]!;
  const last = segments.at(-1)!;
  return /^\d+$/.test(last) ? `${segments.at(-2)}[${last}]` : last;
}

function validString(schema: JsonSchema): string {
  if (schema.format) return FORMAT_SAMPLES[schema.format] ?? 'sample';
  const id = /^\^([a-z]+)_/.exec(schema.pattern ?? '')?.[1];
  if (id) return `${id}_${A_ULID}`;
  const fits = (s: string) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity) && (!schema.pattern || new RegExp(schema.pattern, 'u').test(s));
  const found = SAMPLE_STRINGS.find(fits) ?? SAMPLE_STRINGS.map((s) => s.slice(0, schema.maxLength).padEnd(schema.minLength ?? 0, 'x')).find(fits);
  if (found === undefined) throw new Error(`cannot make a string for ${JSON.stringify(schema)}: add a sample`);
  return found;
}

/** The smallest value the schema accepts: required fields only. */
function validValue(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return validValue(schema.anyOf.find((s) => s.type !== 'null')!);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, validValue(schema.properties![name]!)]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => validValue(schema.items!));
    case 'integer':
    case 'number': {
      const forbidden = [...(schema.not?.enum ?? []), ...(schema.not?.const !== undefined ? [schema.not.const] : [])];
      return [1, schema.minimum, schema.maximum].find((n) => n !== undefined && !forbidden.includes(n) && n >= (schema.minimum ?? -Infinity) && n <= (schema.maximum ?? Infinity));
    }
    case 'boolean':
      return false;
    case 'string':
      return validString(schema);
    default:
      throw new Error(`cannot make a value for ${JSON.stringify(schema)}`);
  }
}

/**
 * Values this schema refuses, each with the keyword that refuses it. `text` is for query strings,
 * headers and path parameters, where every value arrives as a string.
 */
function badValues(schema: JsonSchema, text: boolean): Array<{ what: string; value: unknown; keyword: string }> {
  const bad: Array<{ what: string; value: unknown; keyword: string }> = [];
  const nullable = schema.anyOf?.some((s) => s.type === 'null');
  const own = schema.anyOf?.find((s) => s.type !== 'null') ?? schema;
  if (own.enum) return [{ what: 'a value not in the list', value: 'NOT_IN_THE_LIST', keyword: 'enum' }];
  switch (own.type) {
    case 'integer':
    case 'number':
      bad.push({ what: 'a word', value: 'twelve', keyword: 'type' });
      if (own.type === 'integer') bad.push({ what: 'a fraction', value: text ? '1.5' : 1.5, keyword: 'type' });
      if (own.minimum !== undefined) bad.push({ what: 'one below the minimum', value: own.minimum - 1, keyword: 'minimum' });
      if (own.maximum !== undefined) bad.push({ what: 'one above the maximum', value: own.maximum + 1, keyword: 'maximum' });
      for (const value of [...(own.not?.enum ?? []), ...(own.not?.const !== undefined ? [own.not.const] : [])]) {
        bad.push({ what: `the forbidden ${JSON.stringify(value)}`, value, keyword: 'not' });
      }
      break;
    case 'boolean':
      bad.push({ what: 'a word', value: 'maybe', keyword: 'type' });
      break;
    case 'string': {
      if (!text) bad.push({ what: 'a number', value: 12345, keyword: 'type' });
      if (own.maxLength !== undefined) bad.push({ what: 'a string too long', value: 'x'.repeat(own.maxLength + 1), keyword: 'maxLength' });
      if ((own.minLength ?? 0) > 0) bad.push({ what: 'an empty string', value: '', keyword: 'minLength' });
      if (own.pattern) {
        const pattern = new RegExp(own.pattern, 'u');
        const breaker = PATTERN_BREAKERS.find((s) => !pattern.test(s));
        if (breaker === undefined) throw new Error(`no breaker for the pattern ${own.pattern}: add one`);
        bad.push({ what: `a string out of pattern (${JSON.stringify(breaker)})`, value: breaker, keyword: 'pattern' });
      }
      if (own.format) bad.push({ what: `a string that is no ${own.format}`, value: 'not-one-at-all', keyword: 'format' });
      break;
    }
    case 'array':
      bad.push({ what: 'a string', value: 'x', keyword: 'type' });
      if ((own.minItems ?? 0) > 0) bad.push({ what: 'an empty array', value: [], keyword: 'minItems' });
      if (own.maxItems !== undefined) bad.push({ what: 'too many items', value: Array.from({ length: own.maxItems + 1 }, () => validValue(own.items!)), keyword: 'maxItems' });
      if (own.uniqueItems) bad.push({ what: 'an item twice', value: [validValue(own.items!), validValue(own.items!)], keyword: 'uniqueItems' });
      break;
    case 'object':
      bad.push({ what: 'a string', value: 'x', keyword: 'type' });
      break;
  }
  if (!nullable && !text) bad.push({ what: 'null', value: null, keyword: 'type' });
  return bad;
}

/** Every break of a JSON body, field by field; `place` puts a value at this node of an otherwise valid body. */
function bodyBreaks(schema: JsonSchema, pointer: string, place: (value: unknown) => unknown): Break[] {
  const breaks: Break[] = [];
  const at = (what: string, path: string, keyword: string, value: unknown): Break => ({
    what,
    part: 'body',
    path,
    keyword,
    apply: (request) => ({ ...request, body: place(value) }),
  });
  const own = schema.anyOf?.find((s) => s.type !== 'null') ?? schema;
  if (pointer === '/body') {
    breaks.push(at('an array as the body', '/body', 'type', []));
    breaks.push({
      what: 'a valid body sent as text/plain',
      part: 'body',
      path: '/body',
      keyword: 'type',
      apply: (request) => ({ ...request, raw: { payload: JSON.stringify(request.body), contentType: 'text/plain' } }),
    });
  } else {
    for (const { what, value, keyword } of badValues(schema, false)) breaks.push(at(what, pointer, keyword, value));
  }
  if (own.type === 'object') {
    const valid = validValue(own) as Record<string, unknown>;
    for (const name of own.required ?? []) {
      const { [name]: _, ...rest } = valid;
      breaks.push(at(`no ${name}`, `${pointer}/${name}`, 'required', rest));
    }
    if (own.additionalProperties === false) breaks.push(at('an unknown field', `${pointer}/unexpectedField`, 'additionalProperties', { ...valid, unexpectedField: 1 }));
    for (const [name, property] of Object.entries(own.properties ?? {})) {
      breaks.push(...bodyBreaks(property, `${pointer}/${name}`, (value) => place({ ...valid, [name]: value })));
    }
  }
  if (own.type === 'array' && own.items) {
    const rest = Array.from({ length: Math.max(0, (own.minItems ?? 0) - 1) }, () => validValue(own.items!));
    breaks.push(...bodyBreaks(own.items, `${pointer}/0`, (value) => place([value, ...rest])));
  }
  return breaks;
}

const PART_OF = { path: 'params', query: 'querystring', header: 'headers' } as const;
const FIELD_OF = { path: 'params', query: 'query', header: 'headers' } as const;

function parameterBreaks(parameter: Parameter): Break[] {
  const part = PART_OF[parameter.in];
  const field = FIELD_OF[parameter.in];
  const path = `/${part}/${parameter.name}`;
  const breaks: Break[] = badValues(parameter.schema, true)
    // An empty path segment is another URL, and a header cannot hold control characters.
    .filter(({ value }) => !(parameter.in === 'path' && value === '') && !(parameter.in === 'header' && /[\u0000-\u001f]/.test(String(value))))
    .map(({ what, value, keyword }) => ({
      what,
      part,
      path,
      keyword,
      apply: (request) => ({ ...request, [field]: { ...request[field], [parameter.name]: String(value) } }),
    }));
  if (parameter.in === 'query' && parameter.required) {
    breaks.push({
      what: 'nothing',
      part,
      path,
      keyword: 'required',
      apply: (request) => {
        const { [parameter.name]: _, ...query } = request.query;
        return { ...request, query };
      },
    });
  }
  return breaks;
}

/** Every operation that takes input, as /openapi.json describes it. */
function operationsOf(document: { paths: Record<string, Record<string, any>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const body = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      const parameters = (op.parameters ?? []) as Parameter[];
      if (!Array.isArray(op['x-roles'])) continue;
      operations.push({ label: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, parameters, ...(body && !body['x-streamed'] ? { body } : {}) });
    }
  }
  return operations;
}

function validRequest(op: Operation): Request {
  const values = (where: Parameter['in'], all: boolean) =>
    Object.fromEntries(op.parameters.filter((p) => p.in === where && (all || p.required)).map((p) => [p.name, String(validValue(p.schema))]));
  return { params: values('path', true), query: values('query', false), headers: {}, ...(op.body ? { body: validValue(op.body) } : {}) };
}

/** Every string in a schema tree that holds a pattern, with where it is. */
function patternsIn(schema: JsonSchema | undefined, where: string): Array<{ where: string; schema: JsonSchema }> {
  if (!schema || typeof schema !== 'object') return [];
  const found = schema.pattern ? [{ where, schema }] : [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) found.push(...patternsIn(property, `${where}/${name}`));
  for (const branch of schema.anyOf ?? []) found.push(...patternsIn(branch, where));
  found.push(...patternsIn(schema.items, `${where}/0`));
  return found;
}

describe('error messages', () => {
  const t = useTestApp('sqlite');
  let adminKey: string;
  let operations: Operation[];

  beforeAll(async () => {
    ({ adminKey } = await t.newProgram());
    const document = await t.request('GET', '/openapi.json');
    expect(document.status).toBe(200);
    operations = operationsOf(document.body);
  });

  async function send(op: Operation, request: Request): Promise<Response> {
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params[name] ?? ''));
    const query = new URLSearchParams(request.query).toString();
    return t.request(op.method, query ? `${url}?${query}` : url, request.raw ? undefined : request.body, {
      key: adminKey,
      headers: request.headers,
      ...(request.raw ? { payload: request.raw.payload, contentType: request.raw.contentType } : {}),
    });
  }

  /** Soft, so one run lists every message that reads badly. */
  function expectReadable(label: string, error: { path: string; message: string; keyword?: string }): void {
    const name = nameOf(error.path);
    const quoted = `${label}: ${JSON.stringify(error)}`;
    expect.soft(error.message.startsWith(`${name} `), `${quoted} should start with "${name} "`).toBe(true);
    expect.soft(error.message.slice(name.length), `${quoted} holds a piece of a regular expression`).not.toMatch(REGEX_PIECES);
    for (const phrase of RAW_PHRASES) expect.soft(error.message, `${quoted} says "${phrase}"`).not.toContain(phrase);
    expect.soft(error.keyword, `${quoted} has no keyword`).toEqual(expect.any(String));
  }

  it('reads every operation with input from the document', () => {
    const labels = operations.map((op) => op.label);
    expect(labels).toEqual(expect.arrayContaining(['POST /v1/users/{id}/points', 'POST /v1/voucher-validations', 'GET /v1/vouchers/lookup', 'PATCH /v1/rewards/{id}']));
    expect(operations.filter((op) => op.body).length).toBeGreaterThan(10);
  });

  it('gives every pattern in a request schema the words for what it expects', () => {
    const missing: string[] = [];
    for (const op of operations) {
      const schemas = [
        ...op.parameters.flatMap((p) => patternsIn(p.schema, `/${PART_OF[p.in]}/${p.name}`)),
        ...patternsIn(op.body, '/body'),
      ];
      for (const { where, schema } of schemas) if (typeof schema['x-expects'] !== 'string') missing.push(`${op.label} ${where}`);
    }
    expect(missing, 'patterns without x-expects').toEqual([]);
  });

  it('refuses each bad value of every field of every operation with a sentence naming the field, and the keyword that refused it', async () => {
    let checked = 0;
    for (const op of operations) {
      const breaks = [...op.parameters.flatMap(parameterBreaks), ...(op.body ? bodyBreaks(op.body, '/body', (value) => value) : [])];
      // Every API route refuses a query parameter it does not declare.
      breaks.push({
        what: 'an unknown query parameter',
        part: 'querystring',
        path: '/querystring/unexpected',
        keyword: 'additionalProperties',
        apply: (request) => ({ ...request, query: { ...request.query, unexpected: '1' } }),
      });
      const valid = validRequest(op);
      for (const b of breaks) {
        const label = `${op.label} with ${b.what} at ${b.path}`;
        const response = await send(op, b.apply(valid));
        expect.soft(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(400);
        const errors: Array<{ path: string; message: string; keyword?: string }> = response.body?.errors ?? [];
        expect
          .soft(errors.some((e) => e.path === b.path && e.keyword === b.keyword), `${label}: no ${b.keyword} error at ${b.path} in ${JSON.stringify(errors)}`)
          .toBe(true);
        for (const error of errors) expectReadable(label, error);
        expect.soft(response.body?.detail, `${label}: detail`).toBe(errors.map((e) => e.message).join('; '));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  describe('says it in words a person reads', () => {
    const A_USER = `usr_${A_ULID}`;

    it('names the one value delta may not take', async () => {
      const response = await t.request('POST', `/v1/users/${A_USER}/points`, { delta: 0, reason: 'bonus' }, { key: adminKey });
      expect(response.body.errors).toEqual([{ path: '/body/delta', message: 'delta must not be 0', keyword: 'not' }]);
      expect(response.body.detail).toBe('delta must not be 0');
    });

    it('says what a currency and an amount in minor units look like', async () => {
      const response = await t.request('POST', '/v1/voucher-validations', { code: 'PROMO-1', basket: { currency: 'gbp', total: 23.5 } }, { key: adminKey });
      expect(response.body.errors).toEqual([
        { path: '/body/basket/currency', message: 'currency must be a three-letter ISO 4217 code such as GBP', keyword: 'pattern' },
        { path: '/body/basket/total', message: 'total must be a whole number of minor units (pence, cents): 2350 for 23.50', keyword: 'type' },
      ]);
    });

    it('shows an id of the kind wanted, not its pattern', async () => {
      const response = await t.request('GET', '/v1/users/rwd_01jz5m3t9x8k2v4q6r7s0a1b2c', undefined, { key: adminKey });
      expect(response.body.errors).toEqual([{ path: '/params/id', message: `id must be a member id such as ${A_USER}`, keyword: 'pattern' }]);
    });

    it('asks for a JSON object when a body comes as text', async () => {
      const response = await t.request('POST', '/v1/users', undefined, { key: adminKey, payload: '{"externalId":"m-1"}', contentType: 'text/plain' });
      expect(response.body.errors).toEqual([{ path: '/body', message: 'the body must be a JSON object, sent with Content-Type: application/json', keyword: 'type' }]);
    });

    it('lists the values, the bounds and the fields there are', async () => {
      const key = await t.request('POST', '/v1/api-keys', { role: 'owner', name: 'till', colour: 'red' }, { key: adminKey });
      expect(key.body.errors).toEqual([
        { path: '/body/colour', message: 'colour is not a known field; the fields are role, name, venue, expiresAt', keyword: 'additionalProperties' },
        { path: '/body/role', message: 'role must be one of admin, app, pos', keyword: 'enum' },
      ]);
      const list = await t.request('GET', '/v1/users?limit=500', undefined, { key: adminKey });
      expect(list.body.errors).toEqual([{ path: '/querystring/limit', message: 'limit must be from 1 to 200', keyword: 'maximum' }]);
      const missing = await t.request('POST', '/v1/users', { name: 'Ann' }, { key: adminKey });
      expect(missing.body.errors).toEqual([{ path: '/body/externalId', message: 'externalId is required', keyword: 'required' }]);
    });

    it('reads a setting that may be cleared as one choice, and a value of its kind by its own rules', async () => {
      const reward = `rwd_${A_ULID}`;
      const word = await t.request('PATCH', `/v1/rewards/${reward}`, { validityDays: 'soon' }, { key: adminKey });
      expect(word.body.errors).toEqual([{ path: '/body/validityDays', message: 'validityDays must be a whole number from 1 to 3,650, or null', keyword: 'type' }]);
      const long = await t.request('PATCH', `/v1/rewards/${reward}`, { validityDays: 5000, venues: ['north', 'north\tsouth'] }, { key: adminKey });
      expect(long.body.errors).toEqual([
        { path: '/body/validityDays', message: 'validityDays must be from 1 to 3,650', keyword: 'maximum' },
        { path: '/body/venues/1', message: 'venues[1] must be a line of text, without tabs, line breaks or other control characters', keyword: 'pattern' },
      ]);
    });
  });
});
