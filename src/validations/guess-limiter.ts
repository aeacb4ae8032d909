import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Redis as RedisClient } from 'ioredis';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import type { Storage } from '../config.js';
import { AppError } from '../errors.js';
import { loadWhenNeeded } from '../load-when-needed.js';

export interface GuessLimits {
  /** NOT_FOUND answers one API key may get per window before it is refused. */
  limit: number;
  windowSeconds: number;
  /** How long a key that went over stays refused. */
  blockSeconds: number;
}

export const DEFAULT_GUESS_LIMITS: GuessLimits = { limit: 30, windowSeconds: 60, blockSeconds: 60 };

const SWEEP_EVERY_MS = 300_000;

/** The store limiters' public `clearExpired(before)`, which the library's type declarations leave out. */
const clearExpiredOf = (limiter: RateLimiterStoreAbstract) => (before: number) =>
  (limiter as unknown as { clearExpired(before: number): Promise<unknown> }).clearExpired(before);

/**
 * Throttles code guessing per API key: every NOT_FOUND answer is counted, and a key that gets too
 * many is refused (RATE_LIMITED, with Retry-After) for a while. Counters live where every instance
 * sees them: Redis when configured, else PostgreSQL, else a SQLite file beside the database.
 */
export class GuessLimiter {
  private readonly sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly limiter: RateLimiterStoreAbstract,
    private readonly closeStore: () => Promise<void>,
    /** Settles once the counters' store is set up; rejects when it could not be. */
    readonly ready: Promise<void> = Promise.resolve(),
    /** Deletes counters that expired an hour ago or more; run every few minutes until closed. */
    clearExpired?: (before: number) => Promise<unknown>,
  ) {
    // Ours rather than the library's own timer, which outlives close() and then fails on a closed store.
    if (clearExpired) {
      this.sweep = setInterval(() => clearExpired(Date.now() - 3_600_000).catch(() => {}), SWEEP_EVERY_MS);
      this.sweep.unref();
    }
  }

  /** Refuses a key this instance has already seen go over its limit, without asking the store. */
  refuseIfBlocked(keyId: string): void {
    // A public method of the library's store limiters that its type declarations leave out.
    const inMemory = this.limiter as unknown as { getInMemoryBlockMsBeforeExpire(rlKey: string): number };
    const ms = inMemory.getInMemoryBlockMsBeforeExpire(this.limiter.getKey(keyId));
    if (ms > 0) throw rateLimited(ms);
  }

  /** Counts a NOT_FOUND answer; throws RATE_LIMITED when it is one too many. */
  async countMiss(keyId: string): Promise<void> {
    try {
      await this.limiter.consume(keyId);
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) throw rateLimited(outcome.msBeforeNext);
      throw outcome;
    }
  }

  close(): Promise<void> {
    clearInterval(this.sweep);
    return this.closeStore();
  }
}

function rateLimited(ms: number): AppError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AppError('RATE_LIMITED', `Too many unknown codes from this API key: try again in ${seconds} s`, undefined, {
    'retry-after': String(seconds),
  });
}

export interface GuessLimiterOptions {
  storage: Storage;
  redisUrl?: string;
  limits?: GuessLimits;
}

export function openGuessLimiter({ storage, redisUrl, limits = DEFAULT_GUESS_LIMITS }: GuessLimiterOptions): GuessLimiter {
  const common = {
    keyPrefix: 'guess',
    points: limits.limit,
    duration: limits.windowSeconds,
    blockDuration: limits.blockSeconds,
    // Once a key is over, this instance refuses it from memory instead of asking the store again.
    inMemoryBlockOnConsumed: limits.limit + 1,
    inMemoryBlockDuration: limits.blockSeconds,
  };
  // Should the shared store fail, counting goes on in this process rather than letting guesses through.
  const insuranceLimiter = new RateLimiterMemory({ keyPrefix: 'guess', points: limits.limit, duration: limits.windowSeconds, blockDuration: limits.blockSeconds });

  if (redisUrl !== undefined) {
    // Counted outside any transaction (see MissToCount), yet a till waits for it: a slow Redis fails fast.
    const { Redis } = loadWhenNeeded<{ Redis: typeof RedisClient }>('ioredis');
    const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 250 });
    redis.on('error', () => {
      // Reconnects on its own; meanwhile the insurance limiter counts.
    });
    const limiter = new RateLimiterRedis({ ...common, storeClient: redis, insuranceLimiter, rejectIfRedisNotReady: true });
    return new GuessLimiter(limiter, async () => {
      redis.disconnect();
    });
  }
  if (storage.engine === 'postgres') {
    const { Pool } = loadWhenNeeded<typeof pg>('pg');
    const pool = new Pool({ connectionString: storage.url, max: 2, connectionTimeoutMillis: 1000, options: '-c statement_timeout=250' });
    pool.on('error', () => {
      // An idle connection dropped: the pool replaces it.
    });
    const limiter = new RateLimiterPostgres({ ...common, storeClient: pool, tableName: 'guess_counters', tableCreated: true, clearExpiredByTimeout: false, insuranceLimiter });
    return new GuessLimiter(limiter, () => pool.end(), undefined, clearExpiredOf(limiter));
  }
  const { dir, name } = path.parse(storage.file);
  const database = new SQLite(path.join(dir, `${name}.guesses.db`));
  // Instances starting together create this file together: while setting up, wait for each other's
  // locks instead of failing; afterwards, counting never blocks the thread for long.
  database.pragma('busy_timeout = 5000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = OFF');
  let limiter!: RateLimiterSQLite;
  const ready = new Promise<void>((resolve, reject) => {
    const tableCreated = (error?: Error) => (error ? reject(error) : resolve());
    limiter = new RateLimiterSQLite(
      { ...common, storeClient: database, storeType: 'better-sqlite3', tableName: 'guess_counters', clearExpiredByTimeout: false, insuranceLimiter },
      tableCreated,
    );
  }).then(() => {
    database.pragma('busy_timeout = 200');
  });
  return new GuessLimiter(
    limiter,
    async () => {
      database.close();
    },
    ready,
    clearExpiredOf(limiter),
  );
}
