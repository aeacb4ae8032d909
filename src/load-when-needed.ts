import { createRequire } from 'node:module';

/**
 * Loads a package the first time a server needs it instead of at start (a database driver it was
 * not configured for, the barcode renderer, the upload parsers): each one costs tens of milliseconds
 * of every start, and most servers never use some of them. Use with the package's type, for example
 * `loadWhenNeeded<typeof import('pg')>('pg')`; Node caches what it loaded.
 */
export const loadWhenNeeded: <T>(name: string) => T = createRequire(import.meta.url);
