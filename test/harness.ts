import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { type Api, type AppOptions, buildApp } from '../src/app.js';
import type { Clock } from '../src/clock.js';
import type { Engine } from '../src/db/engine.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { migrations } from '../src/db/migrations/index.js';
import { type StoreOptions, openStore } from '../src/db/open-store.js';
import type { Store } from '../src/db/store.js';
import { createProgram } from '../src/programs/create-program.js';
import type { Storage } from '../src/config.js';
import type { UploadSettings } from '../src/pools/upload-settings.js';
import type { WebhookSettings } from '../src/webhooks/webhook.js';
import { DEFAULT_GUESS_LIMITS, type GuessLimiter, type GuessLimits, openGuessLimiter } from '../src/validations/guess-limiter.js';

/** The engines this run covers: SQLite always, PostgreSQL when reachable. */
export const engines: Engine[] = inject('postgresAdminUrl') ? ['sqlite', 'postgres'] : ['sqlite'];

/** The upload limit of test apps: above the largest upload a test sends, small enough that going over it is quick. */
export const TEST_UPLOAD_LIMIT_BYTES = 524_288;

/**
 * Uploads in test apps: spans a tenth of the default, so the tests that need an upload of several
 * spans (one still arriving after its first span is in, say) send thousands of codes, not 100,000s.
 */
export const TEST_UPLOAD_SETTINGS: UploadSettings = { limitBytes: TEST_UPLOAD_LIMIT_BYTES, idleMs: 30_000, spanCodes: 5_000 };

/** Quick retries and timeouts, and receivers on 127.0.0.1 allowed. */
export const TEST_WEBHOOK_SETTINGS: WebhookSettings = { allowPrivate: true, timeoutMs: 500, retryBaseMs: 50, maxAgeMs: 3_600_000, pollMs: 20 };

/** A clock tests can move; it starts at the real time. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A fresh, empty database of one engine; `url` is a DATABASE_URL for it. */
export interface TestDatabase {
  engine: Engine;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
    return {
      engine,
      url: `file:${path.join(dir, `${name}.db`)}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new Error('PostgreSQL is not available');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export function storageOf(database: TestDatabase): Storage {
  return database.engine === 'sqlite' ? { engine: 'sqlite', file: database.url.slice('file:'.length) } : { engine: 'postgres', url: database.url };
}

export function openTestStore(database: TestDatabase, options: StoreOptions = {}, pgPoolSize = 8): Store {
  return openStore({ storage: storageOf(database), durability: 'strict', pgPoolSize }, options);
}

export interface Response {
  status: number;
  headers: Record<string, string | number | string[] | undefined>;
  body: any;
}

export interface RequestOptions {
  key?: string | null;
  headers?: Record<string, string>;
  /** Raw payload, sent as is (for malformed input). */
  payload?: string;
  contentType?: string;
}

/** A running app on a fresh database, reached through Fastify's in-process HTTP. */
export interface TestApp {
  engine: Engine;
  app: Api;
  store: Store;
  clock: TestClock;
  database: TestDatabase;
  /** A new program with its admin key, isolated from every other test's data. */
  newProgram(): Promise<{ programId: string; adminKey: string }>;
  request(method: string, url: string, body?: unknown, options?: RequestOptions): Promise<Response>;
}

export interface TestAppOptions {
  guessLimits?: GuessLimits;
  /** Reach the app's store: an observer of its statements, say. */
  storeOptions?: StoreOptions;
  /** PostgreSQL connections of the app's store (8 unless said). */
  pgPoolSize?: number;
  /** Overrides of the app's settings. */
  config?: Partial<AppOptions['config']>;
  /** The guess counters, when not the usual ones beside the database (`guessLimits` then does not apply). */
  guessLimiter?: (database: TestDatabase) => GuessLimiter;
  /** Stop the migrations after this one: a database as an earlier version left it, for a later migration to meet. */
  migratedTo?: string;
}

/** Brings a database up or back to (and including) the migration named, and no further. */
export async function migrateTo(store: Store, name: string): Promise<void> {
  const { error } = await new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } }).migrateTo(name);
  if (error) throw error;
}

/** Builds an app for this describe block's engine before its tests and tears it down after. */
export function useTestApp(engine: Engine, options: TestAppOptions = {}): TestApp {
  const { guessLimits = DEFAULT_GUESS_LIMITS, storeOptions = {}, pgPoolSize, config = {} } = options;
  const t = { engine, clock: new TestClock() } as TestApp;
  beforeAll(async () => {
    t.database = await createTestDatabase(engine);
    t.store = openTestStore(t.database, storeOptions, pgPoolSize);
    await (options.migratedTo === undefined ? migrateToLatest(t.store) : migrateTo(t.store, options.migratedTo));
    t.app = await buildApp({
      store: t.store,
      clock: t.clock,
      config: { bodyLimitBytes: 65_536, uploads: TEST_UPLOAD_SETTINGS, trustProxy: false, logLevel: 'silent', webhooks: TEST_WEBHOOK_SETTINGS, ...config },
      guessLimiter: options.guessLimiter?.(t.database) ?? openGuessLimiter({ storage: storageOf(t.database), limits: guessLimits }),
    });
    await t.app.ready();
  });
  afterAll(async () => {
    await t.app?.close();
    await t.store?.close();
    await t.database?.drop();
  });
  t.newProgram = async () => {
    const created = await t.store.write((trx) => createProgram(trx, t.clock, 'Test program'));
    return { programId: created.programId, adminKey: created.adminKey };
  };
  t.request = async (method, url, body, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let payload: string | undefined = options.payload;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await t.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    let parsed: unknown = response.body;
    try {
      parsed = response.body === '' ? undefined : JSON.parse(response.body);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.statusCode, headers: response.headers, body: parsed };
  };
  return t;
}

/** Runs a describe block once per engine, each with its own app and database. */
export function describeEachEngine(name: string, body: (t: TestApp) => void): void {
  describe.each(engines)(`${name} [%s]`, (engine) => {
    body(useTestApp(engine));
  });
}

/** Creates a member and returns their id. */
export async function createMember(t: TestApp, key: string, externalId = `m-${randomBytes(4).toString('hex')}`): Promise<string> {
  const response = await t.request('POST', '/v1/users', { externalId }, { key });
  if (response.status !== 201) throw new Error(`could not create a member: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** Creates a key with `role` and returns its secret. */
export async function createKey(t: TestApp, adminKey: string, role: 'admin' | 'app' | 'pos', extra: object = {}): Promise<{ id: string; key: string }> {
  const response = await t.request('POST', '/v1/api-keys', { role, name: `${role} key`, ...extra }, { key: adminKey });
  if (response.status !== 201) throw new Error(`could not create a key: ${JSON.stringify(response.body)}`);
  return { id: response.body.id, key: response.body.key };
}
