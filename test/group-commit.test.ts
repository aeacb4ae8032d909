import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/db/group-commit.js';
import { WalSync } from '../src/db/wal-sync.js';
import { until } from './until.js';

/** A real SQLite connection driven by the group-commit loop, counting the commits it makes. */
function openCounted(durable?: () => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-gc-'));
  const db = new SQLite(path.join(dir, 'gc.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table items (name text primary key)');
  let commits = 0;
  const groupCommit = new GroupCommit<SQLite.Database>({
    exclusive: (run) => run(db),
    begin: () => {
      db.exec('BEGIN IMMEDIATE');
    },
    savepoint: () => db.exec('SAVEPOINT unit'),
    release: () => db.exec('RELEASE unit'),
    rollbackToSavepoint: () => db.exec('ROLLBACK TO unit'),
    commit: () => {
      db.exec('COMMIT');
      commits++;
    },
    rollback: () => db.exec('ROLLBACK'),
    ...(durable ? { durable } : {}),
  });
  const names = () => (db.prepare('select name from items order by name').all() as { name: string }[]).map((r) => r.name);
  return {
    db,
    groupCommit,
    names,
    commits: () => commits,
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('group commit', () => {
  let opened: ReturnType<typeof openCounted> | undefined;
  afterEach(() => opened?.close());

  it('makes writes that arrive together durable with one commit', async () => {
    opened = openCounted();
    const { groupCommit, db } = opened;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        groupCommit.run(async () => {
          db.prepare('insert into items (name) values (?)').run(`item-${String(i).padStart(3, '0')}`);
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(opened.names()).toHaveLength(100);
    expect(opened.commits()).toBe(1);
  });

  it('undoes only the unit that failed, and reports its error', async () => {
    opened = openCounted();
    const { groupCommit, db } = opened;
    const insert = (name: string) => () => Promise.resolve(db.prepare('insert into items (name) values (?)').run(name));
    const outcomes = await Promise.allSettled([
      groupCommit.run(insert('a')),
      groupCommit.run(async () => {
        db.prepare('insert into items (name) values (?)').run('half-done');
        throw new Error('business rule says no');
      }),
      groupCommit.run(insert('a')), // violates the primary key: only this unit is undone
      groupCommit.run(insert('b')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('business rule says no');
    expect(opened.names()).toEqual(['a', 'b']);
    expect(opened.commits()).toBe(1);
  });

  it('answers nobody before the commit: a failed commit fails the whole batch', async () => {
    opened = openCounted();
    const { groupCommit, db } = opened;
    const answered: string[] = [];
    // A deferred foreign key violation is only detected at COMMIT, after every unit succeeded.
    db.exec('create table parents (id text primary key)');
    db.exec('create table children (parent text references parents(id) deferrable initially deferred)');
    db.pragma('foreign_keys = ON');
    const outcomes = await Promise.allSettled([
      groupCommit.run(async () => {
        db.prepare('insert into items (name) values (?)').run('innocent');
      }).then(() => answered.push('innocent')),
      groupCommit.run(async () => {
        db.prepare('insert into children (parent) values (?)').run('missing');
      }).then(() => answered.push('orphan')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(answered).toEqual([]);
    expect(opened.names()).toEqual([]);
  });

  it('keeps accepting work after a failed batch', async () => {
    opened = openCounted();
    const { groupCommit, db } = opened;
    await expect(groupCommit.run(async () => db.exec('this is not sql'))).rejects.toThrow();
    await groupCommit.run(async () => db.prepare('insert into items (name) values (?)').run('after'));
    expect(opened.names()).toEqual(['after']);
  });

  it('with a separate sync, answers a batch only once its sync is done, and runs the next batch meanwhile', async () => {
    const syncs: Array<() => void> = [];
    opened = openCounted(() => new Promise<void>((resolve) => syncs.push(resolve)));
    const { groupCommit, db } = opened;
    const answered: string[] = [];
    const insert = (name: string) =>
      groupCommit.run(async () => db.prepare('insert into items (name) values (?)').run(name)).then(() => answered.push(name));

    const first = insert('first');
    await until('the first sync', () => syncs.length, (n) => n === 1);
    expect(opened.names()).toEqual(['first']); // committed, not yet answered
    expect(answered).toEqual([]);

    const second = insert('second');
    await until('the second sync', () => syncs.length, (n) => n === 2); // committed while the first batch's sync is still pending
    expect(opened.commits()).toBe(2);
    expect(answered).toEqual([]);

    syncs[1]!();
    await second;
    expect(answered).toEqual(['second']);
    syncs[0]!();
    await first;
    await groupCommit.flush();
    expect(answered).toEqual(['second', 'first']);
  });

  it('fails a batch whose sync fails, though its commit happened', async () => {
    opened = openCounted(() => Promise.reject(new Error('EIO')));
    const { groupCommit, db } = opened;
    await expect(groupCommit.run(async () => db.prepare('insert into items (name) values (?)').run('x'))).rejects.toThrow('EIO');
  });
});

describe('WAL sync', () => {
  it('stays failed after a failed sync, so nothing later is called durable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-walsync-'));
    try {
      const walSync = new WalSync(path.join(dir, 'missing.db-wal'));
      await expect(walSync.sync()).rejects.toThrow('could not be synced');
      // The file appearing later does not make the store trustworthy again.
      fs.writeFileSync(path.join(dir, 'missing.db-wal'), '');
      await expect(walSync.sync()).rejects.toThrow('could not be synced');
      expect(() => walSync.assertHealthy()).toThrow('could not be synced');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves callers who arrive during a sync with one more sync', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-walsync-'));
    try {
      const file = path.join(dir, 'x.db-wal');
      fs.writeFileSync(file, 'frames');
      const walSync = new WalSync(file);
      const first = walSync.sync();
      const queued = [walSync.sync(), walSync.sync(), walSync.sync()];
      expect(queued[0]).toBe(queued[2]);
      expect(queued[0]).not.toBe(first);
      await Promise.all([first, ...queued]);
      walSync.assertHealthy();
      walSync.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
