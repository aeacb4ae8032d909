import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const CONFIG_VARIABLE = /^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL|TESSERA_.*)$/;

/**
 * `npm start` as a newcomer (or a process manager) runs it, on a tree `npm install` has built: it
 * starts without building, says where the console is, and SIGTERM to npm stops everything.
 */
describe('npm start', () => {
  const started: ChildProcess[] = [];
  const dirs: string[] = [];

  afterEach(() => {
    // The whole process group: npm, and the server it started, even when npm is already gone.
    for (const child of started.splice(0)) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts without building, leads / to the console, and stops whole on SIGTERM to npm', async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist', '.built')), 'the tree is built (npm install builds it)').toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-start-'));
    dirs.push(dir);
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!CONFIG_VARIABLE.test(name) && !name.startsWith('npm_')) env[name] = value;
    Object.assign(env, { PORT: '0', DATABASE_URL: `file:${path.join(dir, 'start.db')}` });
    const npm = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    started.push(npm);
    let output = '';
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));

    // Waits on the server's progress, not on a clock: it listens, or npm gives up first.
    const console = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const match = /Console: +(http:\/\/127\.0\.0\.1:\d+)\/console/.exec(output);
        if (match) resolve(match[1]!);
      };
      npm.stdout!.on('data', look);
      void exited.then(() => reject(new Error(`npm start ended before serving:\n${output}`)));
    });
    expect(output).not.toContain('building first');
    expect(output).toContain(`API docs: ${console}/docs`);
    const home = await fetch(`${console}/`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/console');

    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"signal":"SIGTERM"');
    // Nothing is left serving.
    await expect(fetch(`${console}/healthz`)).rejects.toThrow();
  });
});
