/** The one list of machine-readable error codes and the HTTP status each maps to. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INSUFFICIENT_POINTS: 409,
  OUT_OF_STOCK: 409,
  REWARD_NOT_AVAILABLE: 409,
  PER_USER_LIMIT_REACHED: 409,
  INVALID_STATE: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHENTICATED: 'An API key is required',
  FORBIDDEN: 'This API key may not do that',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  CONFLICT: 'Conflict',
  INSUFFICIENT_POINTS: 'Not enough points',
  OUT_OF_STOCK: 'Out of stock',
  REWARD_NOT_AVAILABLE: 'Reward not available',
  PER_USER_LIMIT_REACHED: 'Per-user limit reached',
  INVALID_STATE: 'Not possible in the current state',
  REQUEST_TIMEOUT: 'The request body stopped arriving',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with a different request',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Service temporarily unavailable',
};

/**
 * One field at fault: its JSON pointer (starting with the request part: /body, /querystring,
 * /params, /headers), a sentence that starts with the field's name, and for a value the request
 * schema refused, the JSON Schema keyword it failed (type, pattern, maximum, required, …).
 */
export interface FieldError {
  path: string;
  message: string;
  keyword?: string;
}

const PARTS: Record<string, string> = {
  body: 'the body',
  querystring: 'the query string',
  params: 'the path',
  headers: 'the headers',
  url: 'the URL',
};

/**
 * How a message names the field at a JSON pointer: its last segment ('/body/basket/currency' →
 * 'currency'), an array element by its list ('/body/venues/0' → 'venues[0]'), a request part in
 * words ('/body' → 'the body').
 */
export function fieldName(path: string): string {
  const segments = path.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (segments.length <= 1) return PARTS[segments[0] ?? ''] ?? 'the request';
  const last = segments[segments.length - 1]!;
  if (!/^\d+$/.test(last)) return last;
  return segments.length > 2 ? `${segments[segments.length - 2]}[${last}]` : `${PARTS[segments[0]!] ?? 'the request'} element ${last}`;
}

/** A field error whose message is the field's name followed by `predicate` ("must not be 0"). */
export const fieldError = (path: string, predicate: string, keyword?: string): FieldError => ({
  path,
  message: `${fieldName(path)} ${predicate}`,
  ...(keyword !== undefined ? { keyword } : {}),
});

/** A failure the caller can act on; turned into a problem+json response in one place. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found`);

/** 400 for fields at fault; the detail is their messages, one after another. */
export const validationFailed = (errors: FieldError[]) =>
  new AppError('VALIDATION_FAILED', errors.map((e) => e.message).join('; '), errors);

/** 400 for one field: `predicate` follows its name ("must not be before from"). */
export const invalidField = (path: string, predicate: string) => validationFailed([fieldError(path, predicate)]);

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
}

/** RFC 9457 body for an error code. */
export function problem(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `https://tessera.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[code],
    status: ERROR_STATUS[code],
    code,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
