import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { type FieldError, fieldError } from '../errors.js';
import { EXPECTS, STREAMED } from './schemas.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

// verbose: each error carries its schema and the value it judged, which the messages below read.
const common = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false, verbose: true } as const;
// Bodies are JSON: a wrong type is an error, never quietly converted. Query strings and path
// parameters are text by nature, so "limit=20" becomes the number 20 there.
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
for (const ajv of [bodyAjv, textAjv]) ajv.addKeyword({ keyword: EXPECTS, schemaType: 'string' });

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  // A streamed body is read (and checked) by its handler; its schema is there for the document.
  if (httpPart === 'body' && (schema as Record<string, unknown>)[STREAMED] === true) return () => true;
  return (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
};

/*
 * Messages are built here from the keyword that failed and the schema around it, rather than
 * written into each schema (ajv-errors' errorMessage): a shared primitive such as Id is the value of
 * many fields (id, rewardId, userId), and only the error's path knows which one to name; one
 * sentence per keyword covers every schema, new ones included; and the keyword that failed stays a
 * plain field of the error instead of being folded into an errorMessage error. Where the keyword
 * alone cannot say it in words (a pattern, an amount in minor units), the schema carries them in
 * x-expects (src/http/schemas.ts).
 */

type Schema = Record<string, any>;

/** What each string format the schemas use looks like. */
const FORMATS: Record<string, string> = {
  'date-time': 'a date and time with its offset, such as 2030-01-31T23:59:59Z',
  date: 'a date such as 2026-11-30',
  email: 'an email address such as ann@example.com',
};

const numbers = new Intl.NumberFormat('en', { maximumFractionDigits: 20 });

function show(value: unknown): string {
  if (typeof value === 'number') return numbers.format(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const oneOf = (values: unknown[]) => (values.length === 1 ? show(values[0]) : `one of ${values.map(show).join(', ')}`);

/** "from 1 to 200", "at least 0", "at most 100", or nothing for a number without bounds. */
function range(schema: Schema): string {
  const { minimum, maximum } = schema;
  if (minimum !== undefined && maximum !== undefined) return `from ${show(minimum)} to ${show(maximum)}`;
  if (minimum !== undefined) return `at least ${show(minimum)}`;
  if (maximum !== undefined) return `at most ${show(maximum)}`;
  return '';
}

/** What a value of `type` under `schema` is, finishing "must be …". */
function kindOf(schema: Schema, type: string, path: string): string {
  if (typeof schema[EXPECTS] === 'string') return schema[EXPECTS];
  switch (type) {
    case 'integer':
      return `a whole number ${range(schema)}`.trim();
    case 'number':
      return `a number ${range(schema)}`.trim();
    case 'string':
      return FORMATS[schema.format] ?? 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object':
      return path === '/body' ? 'a JSON object, sent with Content-Type: application/json' : 'an object';
    case 'null':
      return 'null';
    default:
      return `of type ${type}`;
  }
}

/** One branch of an anyOf, in words. */
function branchKind(schema: Schema, path: string): string {
  if (Array.isArray(schema.enum)) return oneOf(schema.enum);
  if ('const' in schema) return show(schema.const);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types.length > 0 ? types.map((type) => kindOf(schema, type, path)).join(' or ') : (schema[EXPECTS] ?? 'a value of another form');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Whether a value is of the kind a branch takes, whatever else the branch says of it. */
function fits(schema: Schema, value: unknown): boolean {
  const actual = jsonType(value);
  const given = (v: unknown) => jsonType(v) === actual;
  if (Array.isArray(schema.enum)) return schema.enum.some(given);
  if ('const' in schema) return given(schema.const);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return true;
  return types.some((type) => type === actual || ((type === 'integer' || type === 'number') && actual === 'number'));
}

/** The end of the sentence "<field> …" for one Ajv error. */
function predicate(error: ErrorObject, path: string, part: string): string {
  const schema = (error.parentSchema ?? {}) as Schema;
  const params = error.params as Record<string, any>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const what = { querystring: 'query parameter', headers: 'header', params: 'path parameter' }[part] ?? 'field';
      const known = Object.keys(schema.properties ?? {});
      if (known.length === 0) return `is not a known ${what}: ${error.instancePath === '' ? 'this route' : 'this object'} takes none`;
      return `is not a known ${what}; the ${what}s are ${known.join(', ')}`;
    }
    case 'type':
      return `must be ${String(params.type)
        .split(',')
        .map((type) => kindOf(schema, type, path))
        .join(' or ')}`;
    case 'enum':
      return `must be ${oneOf(params.allowedValues)}`;
    case 'const':
      return `must be ${show(params.allowedValue)}`;
    case 'not': {
      const not = (error.schema ?? {}) as Schema;
      if ('const' in not) return `must not be ${show(not.const)}`;
      if (Array.isArray(not.enum)) return `must not be ${oneOf(not.enum)}`;
      if (typeof schema[EXPECTS] === 'string') return `must be ${schema[EXPECTS]}`;
      return ['string', 'number', 'boolean'].includes(typeof error.data) ? `must not be ${show(error.data)}` : 'is not allowed in this form';
    }
    case 'pattern':
      return typeof schema[EXPECTS] === 'string' ? `must be ${schema[EXPECTS]}` : 'is not in the form this field takes';
    case 'format':
      return `must be ${schema[EXPECTS] ?? FORMATS[params.format] ?? `a valid ${params.format}`}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${show(params.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${show(params.limit)} characters long`;
    case 'minimum':
    case 'maximum':
      return `must be ${range(schema)}`;
    case 'exclusiveMinimum':
      return `must be more than ${show(params.limit)}`;
    case 'exclusiveMaximum':
      return `must be less than ${show(params.limit)}`;
    case 'multipleOf':
      return `must be a multiple of ${show(params.multipleOf)}`;
    case 'minItems':
      return params.limit === 1 ? 'must not be empty' : `must have at least ${show(params.limit)} items`;
    case 'maxItems':
      return `must have at most ${show(params.limit)} items`;
    case 'uniqueItems':
      return `must not hold the same value twice (items ${params.j} and ${params.i} are the same)`;
    case 'minProperties':
      return `must have at least ${show(params.limit)} fields`;
    case 'maxProperties':
      return `must have at most ${show(params.limit)} fields`;
    default:
      return (error.message ?? 'is not valid').replace(/\bNOT\b/g, 'not');
  }
}

interface Found {
  path: string;
  predicate: string;
  keyword: string;
}

/** Each anyOf error with the errors its branches reported (they come before it). */
type Branches = Map<ErrorObject, ErrorObject[]>;

/**
 * An anyOf (a nullable setting, say) in one sentence, or in the errors of the one branch whose kind
 * the value has: 5000 for "a whole number up to 3650, or null" is only too large.
 */
function anyOfFindings(anyOf: ErrorObject, branches: Branches, part: string): Found[] {
  const path = `/${part}${anyOf.instancePath}`;
  const branchErrors = branches.get(anyOf) ?? [];
  const schemas = (Array.isArray(anyOf.schema) ? anyOf.schema : []) as Schema[];
  const fitting = schemas.map((schema, i) => ({ schema, i })).filter(({ schema }) => fits(schema, anyOf.data));
  if (fitting.length === 1) {
    const prefix = `${anyOf.schemaPath}/${fitting[0]!.i}/`;
    const own = branchErrors.filter((e) => e.schemaPath.startsWith(prefix));
    if (own.length > 0 && !own.some((e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath)) {
      return own.flatMap((e) => findings(e, branches, part));
    }
  }
  const kinds = schemas.map((schema) => branchKind(schema, path));
  const allTypes = branchErrors.every((e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath);
  return [{ path, predicate: `must be ${kinds.join(', or ')}`, keyword: allTypes ? 'type' : anyOf.keyword }];
}

function findings(error: ErrorObject, branches: Branches, part: string): Found[] {
  if (branches.has(error)) return anyOfFindings(error, branches, part);
  let path = `/${part}${error.instancePath}`;
  if (error.keyword === 'required') path += `/${escape((error.params as { missingProperty: string }).missingProperty)}`;
  if (error.keyword === 'additionalProperties') path += `/${escape((error.params as { additionalProperty: string }).additionalProperty)}`;
  return [{ path, predicate: predicate(error, path, part), keyword: error.keyword }];
}

const escape = (name: string) => name.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Ajv's findings as `{ path, message, keyword }`: paths are JSON pointers starting with the request
 * part, messages sentences that start with the field's name ("delta must not be 0"), keywords the
 * schema keyword that failed.
 */
export function fieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  // An anyOf reports each branch's errors, then its own: those are read together, once.
  const branches: Branches = new Map();
  const inBranch = new Set<ErrorObject>();
  errors.forEach((error, i) => {
    if (error.keyword !== 'anyOf' && error.keyword !== 'oneOf') return;
    const under = (e: ErrorObject) =>
      e.schemaPath.startsWith(`${error.schemaPath}/`) && (e.instancePath === error.instancePath || e.instancePath.startsWith(`${error.instancePath}/`));
    const branchErrors = errors.slice(0, i).filter((e) => !inBranch.has(e) && under(e));
    for (const e of branchErrors) inBranch.add(e);
    branches.set(error, branchErrors);
  });
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    if (inBranch.has(error)) continue;
    for (const f of findings(error, branches, part)) {
      const entry = fieldError(f.path, f.predicate, f.keyword);
      const id = `${entry.path} ${entry.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(entry);
    }
  }
  return out;
}
