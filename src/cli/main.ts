#!/usr/bin/env node
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import { stringify as stringifyCsv } from 'csv-stringify';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { backupSqlite, restoreSqlite } from '../db/backup.js';
import { migrateToLatest } from '../db/migrate.js';
import { openStore } from '../db/open-store.js';
import type { Store } from '../db/store.js';
import { createApiKey } from '../keys/create-api-key.js';
import { ROLES, type Role } from '../keys/roles.js';
import { createProgram } from '../programs/create-program.js';
import { runServer } from '../server.js';
import { loadReward } from '../rewards/get-reward.js';
import { exportVouchers } from '../vouchers/export-vouchers.js';
import { VERSION } from '../version.js';
import { describeReport, formatOf, uploadStraightToDatabase, uploadThroughServer } from './upload-codes.js';

/** The columns of `vouchers export`, in order. */
const EXPORT_COLUMNS = [
  'id', 'code', 'status', 'userId', 'externalId', 'rewardId', 'purchaseId', 'activatedAt', 'expiresAt', 'burnedAt', 'voidedAt', 'createdAt',
];

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

/** The program a command acts on: the one named, or the only one there is. */
async function programOf(store: Store, named: string | undefined): Promise<string> {
  const programs = await store.db.selectFrom('programs').select('id').execute();
  const programId = named ?? (programs.length === 1 ? programs[0]!.id : undefined);
  if (programId === undefined) throw new Error('There are several programs: choose one with --program');
  if (!programs.some((p) => p.id === programId)) throw new Error(`No program ${programId}`);
  return programId;
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
      const programId = await programOf(store, options.program);
      return store.write((trx) =>
        createApiKey(trx, systemClock, programId, { role: options.role, name: options.name, venue: options.venue }),
      );
    });
    console.log(`Key id: ${key.id}\nRole:   ${key.role}${key.venue ? `\nVenue:  ${key.venue}` : ''}\nKey:    ${key.key}\n(The key is shown only this once.)`);
  });

program
  .command('codes')
  .description('manage code pools')
  .command('upload')
  .description('upload a file of codes to a POOL reward, with a progress bar, and print the report')
  .argument('<file>', 'one code a line (.txt), CSV with the codes in the first column (.csv), or {"codes": [...]} (.json)')
  .requiredOption('--reward <id>', 'the POOL reward')
  .option('--format <format>', 'text, csv or json (default: from the file name)')
  .option('--url <url>', 'the server to send it to', process.env.TESSERA_URL ?? 'http://127.0.0.1:3000')
  .option('--key <key>', 'an admin API key (or TESSERA_API_KEY)', process.env.TESSERA_API_KEY)
  .option('--direct', 'write straight to the database of DATABASE_URL instead of through a server')
  .option('--program <id>', 'with --direct: the program (required when there is more than one)')
  .option('--json', 'print the report as JSON')
  .action(async (file: string, options: { reward: string; format?: string; url: string; key?: string; direct?: boolean; program?: string; json?: boolean }) => {
    const format = formatOf(file, options.format);
    let report;
    if (options.direct) {
      report = await withStore(async (store) =>
        uploadStraightToDatabase(store, { programId: await programOf(store, options.program), rewardId: options.reward, file, format }),
      );
    } else {
      if (!options.key) throw new Error('An admin API key is needed: --key or TESSERA_API_KEY (or use --direct)');
      report = await uploadThroughServer({ url: options.url, key: options.key, rewardId: options.reward, file, format });
    }
    console.log(options.json ? JSON.stringify(report, null, 2) : describeReport(report));
  });

program
  .command('vouchers')
  .description('read vouchers')
  .command('export')
  .description("write a reward's vouchers as CSV to standard output, straight from the database")
  .requiredOption('--reward <id>', 'the reward')
  .option('--program <id>', 'the program (required when there is more than one)')
  .action(async (options: { reward: string; program?: string }) => {
    await withStore(async (store) => {
      const programId = await programOf(store, options.program);
      await loadReward(store.db, programId, options.reward);
      const csv = stringifyCsv({ header: true, columns: EXPORT_COLUMNS });
      const written = pipeline(csv, process.stdout);
      for await (const voucher of exportVouchers(store.db, systemClock, programId, options.reward)) {
        if (!csv.write(voucher)) await once(csv, 'drain');
      }
      csv.end();
      await written;
    });
  });

/** The SQLite file of the configured database; PostgreSQL has its own tools. */
function sqliteFile(): string {
  const { storage } = loadConfig();
  if (storage.engine !== 'sqlite') throw new Error('For PostgreSQL use its own tools (pg_dump and pg_restore, or base backups): see the README');
  return storage.file;
}

program
  .command('backup')
  .description('copy the SQLite database, consistently, to a new file while it serves')
  .argument('<file>', 'the new file')
  .action((file: string) => {
    const { bytes } = backupSqlite(sqliteFile(), file);
    console.log(`Backed up to ${file} (${bytes} bytes).`);
  });

program
  .command('restore')
  .description('put a backup in place of the SQLite database (stop the servers first)')
  .argument('<file>', 'a file made by tessera backup')
  .action(async (file: string) => {
    const target = sqliteFile();
    const { bytes } = await restoreSqlite(file, target);
    console.log(`Restored ${file} to ${target} (${bytes} bytes).`);
  });

try {
  await program.parseAsync();
} catch (error) {
  const message = error instanceof ConfigError ? error.message : `Error: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
