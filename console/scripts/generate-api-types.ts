/**
 * Writes console/src/api/schema.d.ts from the server's own OpenAPI document: the app is built in
 * this process on a throwaway SQLite file, exactly as the server builds it, and its document is
 * turned into types by openapi-typescript. `--check` only compares, and fails when the file is stale.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';
import { buildApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openStore } from '../../src/db/open-store.js';
import { DEFAULT_SPAN_CODES } from '../../src/pools/upload-settings.js';
import { openGuessLimiter } from '../../src/validations/guess-limiter.js';

const OUTPUT = path.resolve(import.meta.dirname, '../src/api/schema.d.ts');

async function openApiDocument(): Promise<object> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-openapi-'));
  const storage = { engine: 'sqlite' as const, file: path.join(dir, 'openapi.db') };
  const store = openStore({ storage, durability: 'relaxed', pgPoolSize: 1 });
  try {
    await migrateToLatest(store);
    const app = await buildApp({
      store,
      clock: systemClock,
      config: {
        bodyLimitBytes: 1_048_576,
        uploads: { limitBytes: 1_048_576, idleMs: 30_000, spanCodes: DEFAULT_SPAN_CODES },
        trustProxy: false,
        logLevel: 'silent',
        webhooks: { allowPrivate: false, timeoutMs: 1_000, retryBaseMs: 1_000, maxAgeMs: 1_000, pollMs: 1_000 },
      },
      guessLimiter: openGuessLimiter({ storage }),
    });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const document = await openApiDocument();
// defaultNonNullable off: a field with a default (limit, dryRun) stays optional in what we send.
const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], { defaultNonNullable: false, silent: true });
const generated = COMMENT_HEADER + astToString(ast);

if (process.argv.includes('--check')) {
  const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (current !== generated) {
    process.stderr.write(`${path.relative(process.cwd(), OUTPUT)} is stale: run npm run api-types\n`);
    process.exit(1);
  }
} else {
  const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (current !== generated) fs.writeFileSync(OUTPUT, generated);
}
