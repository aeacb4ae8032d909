import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Every wait inside a test is bounded by progress (test/until.ts): it fails once what it watches
    // stops changing, however busy the machine. These limits only catch a test that hangs outright,
    // so they are far above what any test takes beside another run of the suite on two cores.
    testTimeout: 10 * 60_000,
    hookTimeout: 10 * 60_000,
    // Test files share two cores with the servers they start; a few at a time keeps timings sane.
    maxWorkers: 2,
    // Each worker loads the sources once for all its files instead of once a file (a minute and a
    // half of CPU over the suite). No test file changes module state another one reads.
    isolate: false,
  },
});
