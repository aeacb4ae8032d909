import fs from 'node:fs';
import SQLite from 'better-sqlite3';

/**
 * A consistent copy of a SQLite database taken while it serves: `VACUUM INTO` reads one snapshot
 * (in WAL mode writers go on meanwhile) and writes it, compacted, to a new file. Refuses to write
 * over an existing file.
 */
export function backupSqlite(file: string, destination: string): { bytes: number } {
  if (fs.existsSync(destination)) throw new Error(`${destination} exists: a backup is written to a new file`);
  const database = new SQLite(file, { fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    database.prepare('vacuum into ?').run(destination);
  } finally {
    database.close();
  }
  return { bytes: fs.statSync(destination).size };
}

/**
 * Puts a backup in place of a SQLite database, after checking that it is whole and is one of ours.
 * SQLite's backup API writes it page by page under SQLite's own locks, so a process that still has
 * the database open sees the restored state, never a torn file; stop the servers first all the
 * same, so no write lands between the restore and their restart.
 */
export async function restoreSqlite(backup: string, file: string): Promise<{ bytes: number }> {
  const source = new SQLite(backup, { readonly: true, fileMustExist: true });
  try {
    const integrity = source.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') throw new Error(`${backup} is damaged: ${String(integrity)}`);
    const ours = source.prepare("select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'").get() as { n: number };
    if (ours.n === 0) throw new Error(`${backup} is not a Tessera database`);
    await source.backup(file);
  } finally {
    source.close();
  }
  return { bytes: fs.statSync(file).size };
}
