import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, programArgs } from './entry-points.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, startServer } from './server-process.js';

const run = promisify(execFile);

/** `tessera <args>` as an operator runs it, on the database `file`. */
const tessera = (file: string, ...args: string[]) =>
  run(process.execPath, [...programArgs('cli/main'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: `file:${file}`, LOG_LEVEL: 'silent' },
  });

describe('tessera backup and restore (SQLite)', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-backup-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    await killAllServers();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (server: ServerProcess, method: string, url: string, body?: unknown) => {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('copies a database serving a load of purchases, and the restored copy holds every invariant and serves again', async () => {
    const live = path.join(newDir(), 'live.db');
    const server = await startServer(`file:${live}`);
    const reward = (await call(server, 'POST', '/v1/rewards', { name: 'Coffee', pricePoints: 3, codeType: 'ONE_TIME', stock: 100_000, incentives: [{ type: 'PERCENTAGE', value: 100 }] })).body;
    const members: string[] = [];
    for (let i = 0; i < 8; i++) {
      const member = (await call(server, 'POST', '/v1/users', { externalId: `backup-${i}` })).body.id as string;
      expect((await call(server, 'POST', `/v1/users/${member}/points`, { delta: 100_000, reason: 'start' })).status).toBe(201);
      members.push(member);
    }

    let running = true;
    const acknowledged: string[] = [];
    const buyer = async (member: string) => {
      while (running) {
        const bought = await call(server, 'POST', `/v1/users/${member}/purchases`, { rewardId: reward.id });
        expect(bought.status).toBe(201);
        acknowledged.push(bought.body.purchase.id);
      }
    };
    const buying = members.map(buyer);
    while (acknowledged.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = acknowledged.length;
    const backup = path.join(newDir(), 'backup.db');
    await tessera(live, 'backup', backup);
    const after = acknowledged.length;
    running = false;
    await Promise.all(buying);
    expect(after, 'purchases went on during the backup').toBeGreaterThan(before);

    const restored = path.join(newDir(), 'restored.db');
    const { stdout } = await tessera(restored, 'restore', backup);
    expect(stdout).toContain('Restored');

    const db = new SQLite(restored, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // Everything acknowledged before the backup began is in it.
      const purchases = new Set((db.prepare('select id from purchases').all() as { id: string }[]).map((row) => row.id));
      expect(acknowledged.slice(0, before).filter((id) => !purchases.has(id))).toEqual([]);
      // And it is one consistent moment: balances, vouchers, stock and events agree.
      const unbalanced = db
        .prepare('select u.id from users u where u.balance <> (select coalesce(sum(delta), 0) from ledger_entries e where e.program_id = u.program_id and e.user_id = u.id)')
        .all();
      expect(unbalanced).toEqual([]);
      const count = (query: string) => (db.prepare(query).get() as { n: number }).n;
      expect(count('select count(*) as n from vouchers where purchase_id is not null')).toBe(purchases.size);
      expect(count("select count(*) as n from events where type = 'PURCHASED_REWARD'")).toBe(purchases.size);
      expect(count("select count(*) as n from ledger_entries where kind = 'PURCHASE'")).toBe(purchases.size);
      expect(count(`select stock as n from rewards where id = '${reward.id}'`)).toBe(100_000 - purchases.size);
    } finally {
      db.close();
    }

    // The restored database serves, and takes writes.
    await killAllServers();
    const again = await startServer(`file:${restored}`);
    expect((await call(again, 'POST', `/v1/users/${members[0]}/purchases`, { rewardId: reward.id })).status).toBe(201);
  });

  it('refuses to write a backup over a file, and to restore what is not a Tessera database', async () => {
    const dir = newDir();
    const live = path.join(dir, 'live.db');
    await tessera(live, 'migrate');
    fs.writeFileSync(path.join(dir, 'taken.db'), 'x');
    await expect(tessera(live, 'backup', path.join(dir, 'taken.db'))).rejects.toMatchObject({ stderr: expect.stringContaining('exists') });
    const stranger = new SQLite(path.join(dir, 'stranger.db'));
    stranger.exec('create table t (x)');
    stranger.close();
    await expect(tessera(live, 'restore', path.join(dir, 'stranger.db'))).rejects.toMatchObject({ stderr: expect.stringContaining('not a Tessera database') });
  });
});
