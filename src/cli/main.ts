#!/usr/bin/env node
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../keys/roles.js';
import { VERSION } from '../version.js';

// Each command loads what it needs when it runs, so `tessera --version` and `--help` load neither
// the server nor a database driver and answer at once.

/** The columns of `vouchers export`, in order. */
const EXPORT_COLUMNS = [
  'id', 'code', 'status', 'userId', 'externalId', 'rewardId', 'purchaseId', 'activatedAt', 'expiresAt', 'burnedAt', 'voidedAt', 'createdAt',
];

const role = (value: string): Role => {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose one of ${ROLES.join(', ')}`);
  return value as Role;
};

const httpUrl = (value: string): string => {
  if (!/^https?:\/\/./.test(value) || !URL.canParse(value)) throw new InvalidArgumentError('give an http:// or https:// URL');
  return value;
};

const program = new Command('tessera')
  .description('Tessera loyalty voucher engine. Reads the same environment variables as the server.')
  .version(VERSION);

program
  .command('serve')
  .description('start the HTTP server')
  .action(async () => {
    const { runServer } = await import('../server.js');
    await runServer();
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const { withStore } = await import('./database.js');
    const applied = await withStore('may create', async (_store, applied) => applied);
    console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
  });

program
  .command('programs')
  .description('manage programs')
  .command('create')
  .argument('<name>', 'the program\'s name')
  .description('create a program and print its first admin key')
  .action(async (name: string) => {
    const [{ withStore }, { createProgram }, { systemClock }] = await Promise.all([
      import('./database.js'),
      import('../programs/create-program.js'),
      import('../clock.js'),
    ]);
    const created = await withStore('may create', (store) => store.write((trx) => createProgram(trx, systemClock, name)));
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
    const [{ withStore, programOf }, { createApiKey }, { systemClock }] = await Promise.all([
      import('./database.js'),
      import('../keys/create-api-key.js'),
      import('../clock.js'),
    ]);
    const key = await withStore('must exist', async (store) => {
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
  .option('--url <url>', 'the server to send it to (default: TESSERA_URL, else http://HOST:PORT as the server reads them)', httpUrl)
  .option('--key <key>', 'an admin API key (default: TESSERA_API_KEY)')
  .option('--direct', 'write straight to the database of DATABASE_URL instead of through a server')
  .option('--program <id>', 'with --direct: the program (required when there is more than one)')
  .option('--json', 'print the report as JSON')
  .action(async (file: string, options: { reward: string; format?: string; url?: string; key?: string; direct?: boolean; program?: string; json?: boolean }) => {
    const { describeReport, formatOf, uploadStraightToDatabase, uploadThroughServer } = await import('./upload-codes.js');
    const format = formatOf(file, options.format);
    let report;
    if (options.direct) {
      const { withStore, programOf } = await import('./database.js');
      report = await withStore('must exist', async (store) =>
        uploadStraightToDatabase(store, { programId: await programOf(store, options.program), rewardId: options.reward, file, format }),
      );
    } else {
      const key = options.key ?? process.env.TESSERA_API_KEY;
      if (!key) throw new Error('An admin API key is needed: --key or TESSERA_API_KEY (or use --direct)');
      const { serverUrl } = await import('../config.js');
      report = await uploadThroughServer({ url: options.url ?? serverUrl(), key, rewardId: options.reward, file, format });
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
    const [{ stringify: stringifyCsv }, { withStore, programOf }, { loadReward }, { exportVouchers }, { systemClock }] = await Promise.all([
      import('csv-stringify'),
      import('./database.js'),
      import('../rewards/get-reward.js'),
      import('../vouchers/export-vouchers.js'),
      import('../clock.js'),
    ]);
    await withStore('must exist', async (store) => {
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

program
  .command('backup')
  .description('copy the SQLite database, consistently, to a new file while it serves')
  .argument('<file>', 'the new file')
  .action(async (file: string) => {
    const [{ sqliteFile }, { backupSqlite }] = await Promise.all([import('./database.js'), import('../db/backup.js')]);
    const { bytes } = backupSqlite(sqliteFile('must exist'), file);
    console.log(`Backed up to ${file} (${bytes} bytes).`);
  });

program
  .command('restore')
  .description('put a backup in place of the SQLite database (stop the servers first)')
  .argument('<file>', 'a file made by tessera backup')
  .action(async (file: string) => {
    const [{ sqliteFile }, { restoreSqlite }] = await Promise.all([import('./database.js'), import('../db/backup.js')]);
    // A backup may be restored where there is no database yet.
    const target = sqliteFile('may create');
    const { bytes } = await restoreSqlite(file, target);
    console.log(`Restored ${file} to ${target} (${bytes} bytes).`);
  });

try {
  await program.parseAsync();
} catch (error) {
  // By name: the class is in a module --version does not load.
  const message = (error as Error).name === 'ConfigError' ? (error as Error).message : `Error: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
