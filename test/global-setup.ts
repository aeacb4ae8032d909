import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An admin URL of a reachable PostgreSQL server, or null when none answers (skipped locally, fatal in CI). */
    postgresAdminUrl: string | null;
  }
}

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<void> {
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
