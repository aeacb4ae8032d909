import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An admin URL of a reachable PostgreSQL server, or null when none answers (skipped locally, fatal in CI). */
    postgresAdminUrl: string | null;
    /** A reachable Redis, or null (its tests skipped locally, fatal in CI). */
    redisUrl: string | null;
    /** Whether dist/ was built from the sources as they are (then spawned programs run it). */
    buildIsCurrent: boolean;
  }
}

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probeRedis(project: TestProject): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    project.provide('redisUrl', REDIS_URL);
  } catch (error) {
    if (process.env.CI) throw new Error(`Redis is required in CI but ${REDIS_URL} does not answer: ${(error as Error).message}`);
    console.warn(`\n  NOTICE: Redis at ${REDIS_URL} does not answer, so the tests of shared counters in Redis are SKIPPED.\n`);
    project.provide('redisUrl', null);
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const check = spawnSync(process.execPath, [path.resolve(import.meta.dirname, '..', 'scripts', 'build-if-stale.mjs'), '--check']);
  project.provide('buildIsCurrent', check.status === 0);
  await probeRedis(project);
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresAdminUrl', POSTGRES_ADMIN_URL);
  } catch (error) {
    if (process.env.CI) {
      throw new Error(`PostgreSQL is required in CI but ${POSTGRES_ADMIN_URL} does not answer: ${(error as Error).message}`);
    }
    console.warn(
      `\n  NOTICE: PostgreSQL at ${POSTGRES_ADMIN_URL} does not answer, so every PostgreSQL test is SKIPPED.\n` +
        '  Start it (or set TEST_POSTGRES_URL) to run the suite on both engines.\n',
    );
    project.provide('postgresAdminUrl', null);
  } finally {
    await client.end().catch(() => {});
  }
}
