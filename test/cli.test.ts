import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { TEST_UPLOAD_SETTINGS, type TestDatabase, createTestDatabase, engines } from './harness.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, startServer } from './server-process.js';
import { REPO_ROOT, programArgs } from './entry-points.js';
import { until } from './until.js';

/** Codes a test server gathers before writing them (TESSERA_UPLOAD_SPAN_CODES). */
const SPAN = TEST_UPLOAD_SETTINGS.spanCodes;

const CONFIG_VARIABLE = /^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL|TESSERA_.*)$/;
const UNKNOWN_REWARD = 'rwd_01jz0000000000000000000000';

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `tessera <args>` as an operator runs it: in `cwd`, with the server's variables from `env` only, and
 * its output piped (not a terminal, as in a CI log).
 */
function tessera(args: string[], options: { env?: Record<string, string>; cwd?: string; node?: string[] } = {}) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!CONFIG_VARIABLE.test(name)) env[name] = value;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [...programArgs('cli/main', options.node), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ended = new Promise<Ended>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { ended, stderr: () => stderr };
}

const run = (args: string[], options: Parameters<typeof tessera>[1] = {}) => tessera(args, options).ended;

/** A port on 127.0.0.1 that nothing listens on. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dirs: string[] = [];
const newDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-'));
  dirs.push(dir);
  return dir;
};

afterEach(async () => {
  await killAllServers();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('tessera --version and --help', () => {
  it('load the command line alone: neither the server, nor the configuration, nor a database driver', async () => {
    const dir = newDir();
    // Records every module the process resolves, as it resolves it.
    fs.writeFileSync(
      path.join(dir, 'trace-hooks.mjs'),
      `import fs from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  fs.appendFileSync(file, resolved.url + '\\n');
  return resolved;
}
`,
    );
    fs.writeFileSync(
      path.join(dir, 'trace.mjs'),
      `import { register } from 'node:module';
register(new URL('./trace-hooks.mjs', import.meta.url), { data: { file: process.env.TRACE_FILE } });
`,
    );
    const node = ['--import', pathToFileURL(path.join(dir, 'trace.mjs')).href];
    // A configuration the server would refuse: neither command reads it.
    const broken = { DATABASE_URL: 'mysql://nowhere', PORT: 'eighty' };
    const traced = async (flag: string) => {
      const trace = path.join(dir, `${flag.slice(2)}.trace`);
      const ended = await run([flag], { node, env: { ...broken, TRACE_FILE: trace } });
      const files = fs.readFileSync(trace, 'utf8').split('\n').filter((url) => url.startsWith('file:')).map((url) => new URL(url).pathname);
      return {
        ...ended,
        // As sources, whether the build or the sources ran.
        ours: [...new Set(files.filter((file) => !file.includes('/node_modules/')).map((file) => path.relative(REPO_ROOT, file).replace(/^dist\/(.*)\.js$/, 'src/$1.ts')))].sort(),
        packages: [...new Set(files.map((file) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(file)?.[1]).filter((name) => name !== undefined))],
      };
    };
    const [version, help] = await Promise.all([traced('--version'), traced('--help')]);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version}\n` });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('codes');
    for (const { ours, packages } of [version, help]) {
      expect(ours).toEqual(['src/cli/main.ts', 'src/keys/roles.ts', 'src/version.ts']);
      expect(packages).toEqual(['commander']);
    }
  });
});

describe('tessera codes upload finding the server', () => {
  it('goes where the server listens (TESSERA_URL, else HOST and PORT), or to --url, and names it and the reason when nothing answers', async () => {
    const dir = newDir();
    const file = path.join(dir, 'codes.txt');
    fs.writeFileSync(file, 'CODE-1\nCODE-2\n');
    const port = await freePort();
    const upload = (env: Record<string, string>, ...extra: string[]) =>
      run(['codes', 'upload', '--reward', UNKNOWN_REWARD, ...extra, file], { env: { TESSERA_API_KEY: BOOTSTRAP_ADMIN_KEY, ...env } });
    const unreachable = (url: string) =>
      `Error: Cannot reach the Tessera server at ${url} (connection refused: ECONNREFUSED). Is it running? Set TESSERA_URL or --url.\n`;
    const [byPort, everyInterface, byUrl, byOption] = await Promise.all([
      upload({ PORT: String(port) }),
      // A server listening on every interface is reached on this machine at 127.0.0.1.
      upload({ HOST: '0.0.0.0', PORT: String(port) }),
      upload({ TESSERA_URL: `http://127.0.0.1:${port}`, PORT: '1' }),
      upload({ TESSERA_URL: 'http://127.0.0.1:1' }, '--url', `http://127.0.0.1:${port}`),
    ]);
    for (const ended of [byPort, everyInterface, byUrl, byOption]) {
      expect(ended).toEqual({ code: 1, stdout: '', stderr: unreachable(`http://127.0.0.1:${port}`) });
    }
  });
});

describe('tessera commands that open the database', () => {
  const noDatabase = (file: string, setting: string) =>
    `Error: No database at ${file} (${setting}). Run from the server's folder, set DATABASE_URL, or create it with \`tessera migrate\`.\n`;

  it('refuse to create a SQLite database where there is none; migrate and programs create make one', async () => {
    const dir = newDir();
    const codes = path.join(dir, 'codes.txt');
    fs.writeFileSync(codes, 'CODE-1\n');
    const here = { cwd: dir };
    const refusals = await Promise.all([
      run(['vouchers', 'export', '--reward', UNKNOWN_REWARD], here),
      run(['keys', 'create', '--role', 'admin'], here),
      run(['codes', 'upload', '--direct', '--reward', UNKNOWN_REWARD, codes], here),
      run(['backup', path.join(dir, 'copy.db')], here),
      run(['vouchers', 'export', '--reward', UNKNOWN_REWARD], { cwd: dir, env: { DATABASE_URL: 'file:elsewhere.db' } }),
    ]);
    const unset = noDatabase(path.join(dir, 'data', 'tessera.db'), 'DATABASE_URL is not set: data/tessera.db in this folder');
    expect(refusals).toEqual([
      { code: 1, stdout: '', stderr: unset },
      { code: 1, stdout: '', stderr: unset },
      { code: 1, stdout: '', stderr: unset },
      { code: 1, stdout: '', stderr: unset },
      { code: 1, stdout: '', stderr: noDatabase(path.join(dir, 'elsewhere.db'), 'DATABASE_URL=file:elsewhere.db') },
    ]);
    expect(fs.readdirSync(dir), 'nothing was created').toEqual(['codes.txt']);

    const migrated = await run(['migrate'], here);
    expect(migrated).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Applied: 0001-foundation, /) });
    expect(fs.existsSync(path.join(dir, 'data', 'tessera.db'))).toBe(true);
    expect(await run(['migrate'], here)).toMatchObject({ code: 0, stdout: 'The schema is up to date.\n' });

    expect(await run(['vouchers', 'export', '--reward', UNKNOWN_REWARD], here)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: There are no programs in this database: create one with `tessera programs create NAME`\n',
    });
    expect(await run(['programs', 'create', 'Coffee Club'], here)).toMatchObject({ code: 0, stdout: expect.stringContaining('Admin key: tsk_') });
    expect(await run(['keys', 'create', '--role', 'pos', '--venue', 'store-042'], here)).toMatchObject({ code: 0, stdout: expect.stringContaining('Venue:  store-042') });
  });

  it.skipIf(!inject('postgresAdminUrl'))('name a PostgreSQL database they cannot open, without its password, and the reason', async () => {
    const url = new URL(inject('postgresAdminUrl')!);
    const name = `tessera_missing_${randomBytes(4).toString('hex')}`;
    url.pathname = `/${name}`;
    url.password = 'hunter2';
    const shown = new URL(url);
    shown.password = '';
    const ended = await run(['vouchers', 'export', '--reward', UNKNOWN_REWARD], { env: { DATABASE_URL: url.toString() } });
    expect(ended).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: Cannot open the database ${shown.toString()} (DATABASE_URL): database "${name}" does not exist\n`,
    });
  });
});

describe.each(engines)('tessera codes upload [%s]', (engine) => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
    database = undefined;
  });

  const call = async (server: ServerProcess, method: string, url: string, body?: unknown) => {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as any;
  };

  /** An upload sent over a socket of its own, its body held open after `head` until `end()`; answers its status. */
  function uploadHeldOpen(server: ServerProcess, rewardId: string, head: string) {
    const request = http.request(new URL(`/v1/rewards/${rewardId}/codes`, server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
    });
    const answered = new Promise<number>((resolve, reject) => {
      request.once('response', (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      });
      request.once('error', reject);
    });
    request.write(head);
    return { end: () => (request.end(), answered) };
  }

  /** The progress lines a bar wrote with no terminal: [percentage, stored, total]. */
  const barLines = (stderr: string) =>
    [...stderr.matchAll(/(\d+)% \| (\d+) of (\d+) codes stored/g)].map(([, percentage, stored, total]) => [Number(percentage), Number(stored), Number(total)]);

  it('moves its bar by the codes the server has stored, not the bytes sent, and ends it only with the report; --direct too', async () => {
    database = await createTestDatabase(engine);
    const server = await startServer(database.url);
    const reward = await call(server, 'POST', '/v1/rewards', { name: 'Partner voucher', pricePoints: 1, codeType: 'POOL', incentives: [] });
    const summary = `/v1/rewards/${reward.id}/codes/summary`;

    // Another upload of the program is arriving, and has stored a span: this one waits its turn.
    const other = uploadHeldOpen(server, reward.id, Array.from({ length: SPAN }, (_, i) => `OTHER-${i}\n`).join(''));
    let held = true;
    try {
      await until('the other upload to store a span', async () => (await call(server, 'GET', summary)).upload?.received, (received) => received === SPAN);

      const dir = newDir();
      const file = path.join(dir, 'codes.txt');
      fs.writeFileSync(file, Array.from({ length: 3_000 }, (_, i) => `MINE-${i}\n`).join(''));
      const cli = tessera(['codes', 'upload', '--reward', reward.id, file], { env: { TESSERA_URL: server.url, TESSERA_API_KEY: BOOTSTRAP_ADMIN_KEY } });
      // Its whole file fits in the socket's buffers, but nothing of it is stored: two lines of the bar
      // (one at the start, one two seconds on) show none, and not the other upload's count.
      await until('the bar to draw twice', () => barLines(cli.stderr()).length, (lines) => lines >= 2);
      expect(barLines(cli.stderr())).toEqual([
        [0, 0, 3_000],
        [0, 0, 3_000],
      ]);

      expect(await other.end()).toBe(201);
      held = false;
      const ended = await cli.ended;
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.stdout).toMatch(/received: +3000\n +added: +3000\n/);
      const lines = barLines(ended.stderr);
      expect(lines.at(-1)).toEqual([100, 3_000, 3_000]);
      expect(lines.slice(0, -1).filter(([percentage]) => percentage === 100), 'the end before the report').toEqual([]);
    } finally {
      if (held) await other.end().catch(() => {});
    }
    expect(await call(server, 'GET', summary)).toEqual({ total: SPAN + 3_000, available: SPAN + 3_000, issued: 0 });

    const direct = path.join(newDir(), 'direct.csv');
    fs.writeFileSync(direct, `code\n${Array.from({ length: 2_500 }, (_, i) => `DIRECT-${i}`).join('\n')}\n`);
    const ended = await run(['codes', 'upload', '--direct', '--reward', reward.id, direct], { env: { DATABASE_URL: database.url } });
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toMatch(/received: +2500\n +added: +2500\n/);
    // The header line counted in the file's lines; the report sets the bar's end to what was received.
    expect(barLines(ended.stderr).at(-1)).toEqual([100, 2_500, 2_500]);
    expect(barLines(ended.stderr)[0]).toEqual([0, 0, 2_501]);
  });
});
