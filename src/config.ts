import path from 'node:path';
import { DEFAULT_SPAN_CODES, type UploadSettings } from './pools/upload-settings.js';
import { DEFAULT_GUESS_LIMITS, type GuessLimits } from './validations/guess-limiter.js';
import type { WebhookSettings } from './webhooks/webhook.js';

/** Where the data lives: an embedded SQLite file, or a shared PostgreSQL database. */
export type Storage =
  | { engine: 'sqlite'; file: string }
  | { engine: 'postgres'; url: string };

/**
 * `strict`: an answer is sent only after its commit reached the disk (survives power loss).
 * `relaxed`: the commit reached the operating system (survives `kill -9`, not a power loss).
 */
export type Durability = 'strict' | 'relaxed';

export interface Config {
  port: number;
  host: string;
  storage: Storage;
  durability: Durability;
  pgPoolSize: number;
  logLevel: string;
  bodyLimitBytes: number;
  uploads: UploadSettings;
  bootstrapAdminKey: string | undefined;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  guessLimits: GuessLimits;
  /** Where guessing counters are shared, when set (else the database). */
  redisUrl: string | undefined;
  webhooks: WebhookSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment, listing every problem at once. The only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => wholeNumber(env, problems, name, fallback, min, max);

  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!allowed.includes(raw as T)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  const storage = parseDatabaseUrl(env.DATABASE_URL, cwd, problems);

  const bootstrapAdminKey = env.TESSERA_BOOTSTRAP_ADMIN_KEY || undefined;
  if (bootstrapAdminKey !== undefined && !/^[\x21-\x7e]{24,128}$/.test(bootstrapAdminKey)) {
    problems.push('TESSERA_BOOTSTRAP_ADMIN_KEY must be 24 to 128 printable characters without spaces');
  }

  const config: Config = {
    ...listenAddress(env, problems),
    storage,
    durability: oneOf('TESSERA_DURABILITY', 'strict', ['strict', 'relaxed'] as const),
    pgPoolSize: integer('TESSERA_PG_POOL_SIZE', 8, 1, 200),
    logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    bodyLimitBytes: integer('TESSERA_BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    uploads: {
      limitBytes: integer('TESSERA_UPLOAD_LIMIT_BYTES', 268_435_456, 1024, 17_179_869_184),
      idleMs: integer('TESSERA_UPLOAD_IDLE_SECONDS', 30, 1, 3600) * 1000,
      spanCodes: integer('TESSERA_UPLOAD_SPAN_CODES', DEFAULT_SPAN_CODES, 1_000, 1_000_000),
    },
    bootstrapAdminKey,
    shutdownTimeoutMs: integer('TESSERA_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    trustProxy: oneOf('TESSERA_TRUST_PROXY', 'false', ['true', 'false'] as const) === 'true',
    guessLimits: {
      limit: integer('TESSERA_GUESS_LIMIT', DEFAULT_GUESS_LIMITS.limit, 1, 1_000_000),
      windowSeconds: integer('TESSERA_GUESS_WINDOW_SECONDS', DEFAULT_GUESS_LIMITS.windowSeconds, 1, 86_400),
      blockSeconds: integer('TESSERA_GUESS_BLOCK_SECONDS', DEFAULT_GUESS_LIMITS.blockSeconds, 1, 86_400),
    },
    redisUrl: redisUrl(env.REDIS_URL, problems),
    webhooks: {
      allowPrivate: oneOf('TESSERA_WEBHOOK_ALLOW_PRIVATE', 'false', ['true', 'false'] as const) === 'true',
      timeoutMs: integer('TESSERA_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      retryBaseMs: integer('TESSERA_WEBHOOK_RETRY_BASE_MS', 10_000, 10, 3_600_000),
      maxAgeMs: integer('TESSERA_WEBHOOK_MAX_AGE_HOURS', 24, 1, 24 * 30) * 3_600_000,
      pollMs: integer('TESSERA_WEBHOOK_POLL_MS', 250, 10, 60_000),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function wholeNumber(env: NodeJS.ProcessEnv, problems: string[], name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

/** Where the server listens: HOST and PORT, or their defaults. */
function listenAddress(env: NodeJS.ProcessEnv, problems: string[]): { host: string; port: number } {
  return { port: wholeNumber(env, problems, 'PORT', 3000, 0, 65535), host: env.HOST || '127.0.0.1' };
}

/**
 * Where a client on this machine finds the server that the same environment starts: TESSERA_URL
 * when set, else HOST and PORT as the server reads them. A server listening on every interface
 * (0.0.0.0 or ::) is reached at the loopback address.
 */
export function serverUrl(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.TESSERA_URL;
  if (given !== undefined && given !== '') {
    if (!/^https?:\/\/./.test(given) || !URL.canParse(given)) throw new ConfigError([`TESSERA_URL must be an http:// or https:// URL (got "${given}")`]);
    return given;
  }
  const problems: string[] = [];
  const { host, port } = listenAddress(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function redisUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^rediss?:\/\/./.test(raw)) problems.push('REDIS_URL must start with redis:// or rediss://');
  return raw;
}

function parseDatabaseUrl(raw: string | undefined, cwd: string, problems: string[]): Storage {
  if (raw === undefined || raw === '') {
    return { engine: 'sqlite', file: path.resolve(cwd, 'data', 'tessera.db') };
  }
  if (raw.startsWith('file:')) {
    const file = raw.slice('file:'.length);
    if (file === '') problems.push('DATABASE_URL file: needs a path, for example file:./data/tessera.db');
    return { engine: 'sqlite', file: path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL');
    }
    return { engine: 'postgres', url: raw };
  }
  problems.push('DATABASE_URL must start with file:, postgres:// or postgresql://');
  return { engine: 'sqlite', file: path.resolve(cwd, 'data', 'tessera.db') };
}
