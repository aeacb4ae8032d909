import fs from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('the installed tree and the Node versions the project declares', () => {
  const oldest = semver.minVersion(manifest.engines.node)!;

  it('every locked package runs on the oldest Node the project accepts and on this one, so npm install warns of no engine', () => {
    const refused: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!wanted) continue;
      for (const node of [oldest.version, process.versions.node]) {
        if (!semver.satisfies(node, wanted)) refused.push(`${where}@${entry.version} wants Node ${wanted}, not ${node}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('this Node is one the project accepts', () => {
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });
});
