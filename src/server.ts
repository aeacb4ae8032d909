import closeWithGrace from 'close-with-grace';
import { type Api, buildApp } from './app.js';
import { systemClock } from './clock.js';
import { type Config, loadConfig } from './config.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore } from './db/open-store.js';
import { sweepIdempotencyKeys } from './idempotency/run-idempotent.js';
import { sweepAbandonedUploads } from './pools/pending-upload.js';
import { bootstrapFirstProgram } from './programs/bootstrap.js';
import { openGuessLimiter } from './validations/guess-limiter.js';
import { type Dispatcher, startDispatcher } from './webhooks/dispatcher.js';

const SWEEP_EVERY_MS = 10 * 60 * 1000;

/**
 * Config → database → migrations → first program → app → listen. Stops gracefully on SIGTERM and
 * SIGINT: in-flight requests finish, pending commits land, then the database closes.
 */
export async function runServer(config: Readonly<Config> = loadConfig()): Promise<Api> {
  const store = openStore(config);
  const clock = systemClock;
  const guessLimiter = openGuessLimiter({ storage: config.storage, redisUrl: config.redisUrl, limits: config.guessLimits });
  const app = await buildApp({ store, clock, config, guessLimiter, processMetrics: true });
  app.addHook('onClose', async () => {
    await store.close();
  });

  try {
    const applied = await migrateToLatest(store);
    if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
    const created = await bootstrapFirstProgram(store, clock, config.bootstrapAdminKey);
    if (created) {
      app.log.info({ programId: created.programId, keyId: created.adminKeyId }, 'first program created');
      if (!config.bootstrapAdminKey) printFirstKey(created.programId, created.adminKey);
    }
  } catch (error) {
    app.log.fatal({ err: error }, 'could not prepare the database');
    await app.close();
    throw error;
  }

  const sweeper = setInterval(() => {
    sweepIdempotencyKeys(store.db, clock).catch((error) => app.log.warn({ err: error }, 'idempotency sweep failed'));
    sweepAbandonedUploads(store, clock).catch((error) => app.log.warn({ err: error }, 'sweep of abandoned uploads failed'));
  }, SWEEP_EVERY_MS);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  // Webhooks go out in the background once the server listens; on shutdown, claiming stops and the
  // sends in flight finish before anything else closes.
  let dispatcher: Dispatcher | undefined;
  app.addHook('preClose', async () => dispatcher?.stop());
  await app.listen({ port: config.port, host: config.host });
  dispatcher = startDispatcher(store, clock, config.webhooks, app.log);
  printAddresses(app.listeningOrigin);
  return app;
}

function printAddresses(origin: string): void {
  // A server listening on every interface is reached on this machine at 127.0.0.1.
  const base = origin.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
  process.stdout.write(`\n  Tessera is serving at ${base}\n  Console:  ${base}/console\n  API docs: ${base}/docs\n\n`);
}

function printFirstKey(programId: string, key: string): void {
  process.stdout.write(
    [
      '',
      '  First start: created a program and its admin API key.',
      `  Program:   ${programId}`,
      `  Admin key: ${key}`,
      '  It is shown only this once. Keep it somewhere safe.',
      '',
      '',
    ].join('\n'),
  );
}
