import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serverUrl } from '../src/config.js';

describe('configuration', () => {
  it('defaults to SQLite under ./data with strict durability on port 3000', () => {
    const config = loadConfig({}, '/srv/tessera');
    expect(config).toMatchObject({
      port: 3000,
      storage: { engine: 'sqlite', file: path.resolve('/srv/tessera/data/tessera.db') },
      durability: 'strict',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads file: and postgres URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'file:./x/y.db' }, '/srv').storage).toEqual({ engine: 'sqlite', file: '/srv/x/y.db' });
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h:5432/db' }).storage).toEqual({ engine: 'postgres', url: 'postgresql://u@h:5432/db' });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TESSERA_DURABILITY: 'maybe', LOG_LEVEL: 'loud', TESSERA_BOOTSTRAP_ADMIN_KEY: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'TESSERA_DURABILITY', 'LOG_LEVEL', 'TESSERA_BOOTSTRAP_ADMIN_KEY']) {
        expect(problems).toContain(name);
      }
    }
  });

  it('tells a client where the server listens: TESSERA_URL, else HOST and PORT with the same defaults, every interface at loopback', () => {
    expect(serverUrl({})).toBe(`http://127.0.0.1:${loadConfig({}).port}`);
    expect(serverUrl({ PORT: '8080' })).toBe('http://127.0.0.1:8080');
    expect(serverUrl({ HOST: 'tessera.internal', PORT: '8080' })).toBe('http://tessera.internal:8080');
    expect(serverUrl({ HOST: '0.0.0.0' })).toBe('http://127.0.0.1:3000');
    expect(serverUrl({ HOST: '::', PORT: '8080' })).toBe('http://[::1]:8080');
    expect(serverUrl({ HOST: 'fd00::7' })).toBe('http://[fd00::7]:3000');
    expect(serverUrl({ TESSERA_URL: 'https://loyalty.example.com/tessera/', HOST: '0.0.0.0', PORT: '1' })).toBe('https://loyalty.example.com/tessera/');
    expect(() => serverUrl({ PORT: 'eighty' })).toThrow(/PORT must be a whole number/);
    expect(() => serverUrl({ TESSERA_URL: 'loyalty.example.com' })).toThrow(/TESSERA_URL must be an http:\/\/ or https:\/\/ URL/);
  });
});
