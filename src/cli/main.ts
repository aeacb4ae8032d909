#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openStore } from '../db/open-store.js';
import type { Store } from '../db/store.js';
import { createApiKey } from '../keys/create-api-key.js';
import { ROLES, type Role } from '../keys/roles.js';
import { createProgram } from '../programs/create-program.js';
import { runServer } from '../server.js';
import { VERSION } from '../version.js';

/** Opens the configured database (migrated), runs `task`, and closes it. */
async function withStore<T>(task: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(loadConfig());
  try {
    await migrateToLatest(store);
    return await task(store);
  } finally {
    await store.close();
  }
}

const role = (value: string): Role => {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${ROLES.join(', ')}`);
  return value as Role;
};

const program = new Command('tessera')
  .description('Tessera loyalty voucher engine. Reads the same environment variables as the server.')
  .version(VERSION);

program
  .command('serve')
  .description('start the HTTP server')
  .action(async () => {
    await runServer();
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const applied = await withStore((store) => migrateToLatest(store));
    console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
  });

program
  .command('programs')
  .description('manage programs')
  .command('create')
  .argument('<name>', 'the program\'s name')
  .description('create a program and print its first admin key')
  .action(async (name: string) => {
    const created = await withStore((store) => store.write((trx) => createProgram(trx, systemClock, name)));
    console.log(`Program:   ${created.programId}\nAdmin key: ${created.adminKey}\n(The key is shown only this once.)`);
  });

program
  .command('keys')
  .description('manage API keys')
  .command('create')
  .description('create an API key and print it')
  .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, role)
  .option('--program <id>', 'the program (required when there is more than one)')
  .option('--name <name>', 'a name to recognise the key by', 'Created from the command line')
  .option('--venue <venue>', 'bind a pos key to a venue')
  .action(async (options: { role: Role; program?: string; name: string; venue?: string }) => {
    const key = await withStore(async (store) => {
      const programs = await store.db.selectFrom('programs').select('id').execute();
      const programId = options.program ?? (programs.length === 1 ? programs[0]!.id : undefined);
      if (programId === undefined) throw new Error('There are several programs: choose one with --program');
      if (!programs.some((p) => p.id === programId)) throw new Error(`No program ${programId}`);
      return store.write((trx) =>
        createApiKey(trx, systemClock, programId, { role: options.role, name: options.name, venue: options.venue }),
      );
    });
    console.log(`Key id: ${key.id}\nRole:   ${key.role}${key.venue ? `\nVenue:  ${key.venue}` : ''}\nKey:    ${key.key}\n(The key is shown only this once.)`);
  });

try {
  await program.parseAsync();
} catch (error) {
  const message = error instanceof ConfigError ? error.message : `Error: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
