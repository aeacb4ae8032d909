import type pg from 'pg';
import { Kysely, type Logger, PostgresDialect, sql } from 'kysely';
import type { Durability } from '../config.js';
import { loadWhenNeeded } from '../load-when-needed.js';
import { statementNameOf } from './prepared.js';
import type { Store } from './store.js';
import type { Db, Tables } from './tables.js';

export interface PostgresOptions {
  url: string;
  durability: Durability;
  poolSize: number;
  /** Told of every statement; absent, Kysely adds no logging to the connection. */
  log?: Logger | undefined;
}

// bigint columns (points, sequence numbers) come back as numbers; they stay far below 2^53.
const INT8_OID = 20;
const typesOf = (driver: typeof pg) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number.parseInt(value, 10) : driver.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
});

// Serialization failures and deadlocks are safe to retry: the transaction did nothing.
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * The pool as Kysely sees it, except that the statements of `prepared` queries are sent as named
 * prepared statements, which the server parses and plans once per connection.
 */
function namingPreparedStatements(pool: pg.Pool) {
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const wrap = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (text: unknown, values?: unknown[]) => {
          const name = typeof text === 'string' ? statementNameOf(text) : undefined;
          return name === undefined ? target.query(text as string, values) : target.query({ name, text: text as string, values: values ?? [] });
        };
      },
    });
  return {
    end: () => pool.end(),
    connect: async () => {
      const client = await pool.connect();
      let proxy = wrapped.get(client);
      if (proxy === undefined) wrapped.set(client, (proxy = wrap(client)));
      return proxy;
    },
  };
}

/**
 * PostgreSQL: every instance shares the database; consistency comes from guarded statements and
 * transactions, and throughput from many commits in flight (the server groups their fsyncs).
 */
export function openPostgresStore({ url, durability, poolSize, log }: PostgresOptions): Store {
  const driver = loadWhenNeeded<typeof pg>('pg');
  const pool = new driver.Pool({
    connectionString: url,
    max: poolSize,
    types: typesOf(driver),
    // Stated either way, so a server or role default cannot quietly weaken "strict".
    options: `-c synchronous_commit=${durability === 'relaxed' ? 'off' : 'on'}`,
    application_name: 'tessera',
  });
  // A client losing its connection must not crash the process: idle, the pool drops it; in use, the
  // statement it runs fails (and the request with it, as 503) and the pool drops it on release.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db: Db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: namingPreparedStatements(pool) }), ...(log && { log }) });

  return {
    engine: 'postgres',
    db,
    async write(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(work);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (attempt < 5 && code !== undefined && RETRYABLE.has(code)) continue;
          throw error;
        }
      }
    },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
