#!/usr/bin/env node
// Runs before `npm start` and `npm test`: builds only when a source is newer than the last build, so a start on a
// built tree costs a few milliseconds of looking instead of a whole build. `npm install` builds too.
// The tests ask it (`--check`) whether the servers they start can run the build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const STAMP = path.join(root, 'dist', '.built');
const SOURCES = ['src', 'console', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time under `entry` (node_modules and build output aside). */
function newest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    if (name === 'node_modules' || name === 'dist') continue;
    latest = Math.max(latest, newest(path.join(entry, name)));
  }
  return latest;
}

const built = fs.statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changed = Math.max(...SOURCES.map((source) => newest(path.join(root, source))));
// `--check` only tells, by its exit code: 0 when the build is current, 3 when it is not.
if (process.argv.includes('--check')) process.exit(changed > built ? 3 : 0);
if (changed > built) {
  process.stderr.write('Sources changed since the last build: building first.\n');
  const { status } = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(status ?? 1);
}
