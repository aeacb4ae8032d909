import type { Problem } from './client';

/** Field messages by path without its location prefix: '/body/incentives/0/value' → 'incentives/0/value'. */
export type FieldErrors = ReadonlyMap<string, string>;

const NO_ERRORS: FieldErrors = new Map();

/** What went wrong with a call, as the API said it, or as close as the browser can tell. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
}

export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  const detail = error instanceof Error ? error.message : String(error);
  return { type: 'about:blank', title: 'The server could not be reached', status: 0, code: 'UNAVAILABLE', detail };
}

/** A field path without its location prefix: '/body/incentives/0/value' → 'incentives/0/value'. */
export function fieldPath(path: string): string {
  return path.replace(/^\/(body|querystring|params|headers)\/?/, '');
}

/** The problem's `errors`, keyed by field path; the first message for a path wins. */
export function fieldErrors(problem: Problem | null | undefined): FieldErrors {
  if (!problem?.errors?.length) return NO_ERRORS;
  const byPath = new Map<string, string>();
  for (const { path, message } of problem.errors) {
    const field = fieldPath(path);
    if (!byPath.has(field)) byPath.set(field, message);
  }
  return byPath;
}

/** The id of the input for a field path, so an error summary can link to it. */
export function fieldId(path: string, scope = ''): string {
  return `${scope}field-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/**
 * The message for a field: its own, or the first one about a part of it ('venues/2' for 'venues').
 * With the field's `label`, its own message names it as the form does: the API begins each message
 * with the field's name ("pricePoints must be…"), the form shows "Price in points must be…".
 */
export function errorFor(errors: FieldErrors | undefined, name: string, label?: string): string | undefined {
  if (!errors) return undefined;
  const own = errors.get(name);
  if (own !== undefined) return label === undefined ? own : inWordsOf(label, name, own);
  for (const [path, message] of errors) if (path.startsWith(`${name}/`)) return message;
  return undefined;
}

/** The API's message about the field at `path`, beginning with `label` instead of the field's name. */
function inWordsOf(label: string, path: string, message: string): string {
  const apiName = path.slice(path.lastIndexOf('/') + 1);
  return message.startsWith(`${apiName} `) ? `${label}${message.slice(apiName.length)}` : message;
}
