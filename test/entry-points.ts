import path from 'node:path';
import { inject } from 'vitest';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
// Absolute, so a program runs from any folder.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * The node arguments that run one of the project's programs (`main`, the server, or `cli/main`):
 * the build when it is current, as `npm test` leaves it, which starts faster and costs a busy
 * machine less; otherwise the sources through tsx, so a test run right after an edit runs the edit.
 */
export function programArgs(entry: 'main' | 'cli/main', nodeOptions: string[] = []): string[] {
  // The caller's node options come after the sources' loader, so what they observe is the program.
  return inject('buildIsCurrent')
    ? [...nodeOptions, path.join(REPO_ROOT, 'dist', `${entry}.js`)]
    : ['--import', TSX, ...nodeOptions, path.join(REPO_ROOT, 'src', `${entry}.ts`)];
}
