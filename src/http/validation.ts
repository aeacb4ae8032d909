import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../errors.js';
import { STREAMED } from './schemas.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const common = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false } as const;
// Bodies are JSON: a wrong type is an error, never quietly converted. Query strings and path
// parameters are text by nature, so "limit=20" becomes the number 20 there.
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  // A streamed body is read (and checked) by its handler; its schema is there for the document.
  if (httpPart === 'body' && (schema as Record<string, unknown>)[STREAMED] === true) return () => true;
  return (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
};

/** Ajv's findings as `{ path, message }` pairs, paths as JSON pointers starting with the request part. */
export function fieldErrors(errors: ErrorObject[], part: string): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    let path = `/${part}${error.instancePath}`;
    let message = error.message ?? 'is not valid';
    if (error.keyword === 'required') {
      path += `/${(error.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      path += `/${(error.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known field';
    } else if (error.keyword === 'anyOf' && out.some((e) => e.path === path)) {
      continue;
    }
    const id = `${path} ${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, message });
  }
  return out;
}
