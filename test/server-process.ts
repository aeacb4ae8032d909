import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT, programArgs } from './entry-points.js';
import { TEST_UPLOAD_SETTINGS } from './harness.js';

/** The admin key every test server bootstraps its first program with. */
export const BOOTSTRAP_ADMIN_KEY = 'tsk_multi_process_test_admin_key_0123456789';

const LISTENING = 'Server listening at ';

/** A real `node src/main.ts` process serving on 127.0.0.1. */
export interface ServerProcess {
  /** Base URL, for example http://127.0.0.1:41234 */
  url: string;
  /** The node process itself: signals sent to it reach the server, not a wrapper. */
  pid: number;
  /** SIGTERM, then waits for the exit; resolves with the exit code (null when a signal ended it). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<void>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
}

export interface StartOptions {
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** How long to wait for the "Server listening at" line. */
  timeoutMs?: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Map<ChildProcess, Promise<Exit>>();

// Configuration the server reads; the parent's values must not leak into a test server.
const CONFIG_VARIABLE = /^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL|TESSERA_.*)$/;

/**
 * Starts the server (`programArgs('main')`) on `databaseUrl` and resolves once it listens. Rejects with
 * the process output when it exits first or does not listen within the timeout (and kills it).
 */
export function startServer(databaseUrl: string, options: StartOptions = {}): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!CONFIG_VARIABLE.test(name)) env[name] = value;
  }
  Object.assign(env, {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    TESSERA_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP_ADMIN_KEY,
    TESSERA_UPLOAD_SPAN_CODES: String(TEST_UPLOAD_SETTINGS.spanCodes),
    ...options.env,
  });

  // node itself, not npm or the tsx CLI: both would put a wrapper process between us and the server.
  const child = spawn(process.execPath, programArgs('main'), {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const chunks: string[] = [];
  const output = () => chunks.join('');
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => chunks.push(chunk));

  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure emits 'error' and may never emit 'exit'.
    child.once('error', (error) => {
      chunks.push(`\n[spawn error] ${error.message}\n`);
      resolve({ code: null, signal: null });
    });
  });
  running.set(child, exited);
  void exited.then(() => running.delete(child));

  const kill = async (signal: NodeJS.Signals): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  return new Promise<ServerProcess>((resolve, reject) => {
    let pending = '';
    let ready = false;
    const timeoutMs = options.timeoutMs ?? 120_000;

    const timer = setTimeout(() => {
      if (ready) return;
      void kill('SIGKILL').then(() => reject(new Error(`the server did not listen within ${timeoutMs} ms; output:\n${output()}`)));
    }, timeoutMs);

    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening; output:\n${output()}`));
    });

    child.stdout!.on('data', (chunk: string) => {
      chunks.push(chunk);
      if (ready) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const msg = logMessage(line);
        if (msg === undefined || !msg.startsWith(LISTENING)) continue;
        ready = true;
        pending = '';
        clearTimeout(timer);
        resolve({
          url: msg.slice(LISTENING.length).trim(),
          pid: child.pid!,
          output,
          async stop(stopTimeoutMs = 60_000) {
            const deadline = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
            try {
              const exit = await kill('SIGTERM');
              if (exit.signal === 'SIGKILL') {
                throw new Error(`the server did not exit within ${stopTimeoutMs} ms of SIGTERM; output:\n${output()}`);
              }
              return exit.code;
            } finally {
              clearTimeout(deadline);
            }
          },
          async kill9() {
            await kill('SIGKILL');
          },
        });
        return;
      }
    });
  });
}

/** Kills every server this worker started that is still running; for afterEach/afterAll. */
export async function killAllServers(): Promise<void> {
  const exits = [...running.entries()].map(([child, exited]) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  await Promise.all(exits);
}

// Last resort when the test worker itself goes away: never leave servers behind.
process.once('exit', () => {
  for (const child of running.keys()) child.kill('SIGKILL');
});

/** The `msg` of one pino JSON log line, or undefined when the line is not one. */
export function logMessage(line: string): string | undefined {
  return parseLogLine(line)?.msg;
}

/** The pino JSON log lines in `output` (other lines are skipped). */
export function logLines(output: string): Array<{ msg?: string; reqId?: string; [field: string]: unknown }> {
  return output
    .split('\n')
    .map(parseLogLine)
    .filter((line) => line !== undefined);
}

function parseLogLine(line: string): { msg?: string; reqId?: string; [field: string]: unknown } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as { msg?: string }) : undefined;
  } catch {
    return undefined;
  }
}
