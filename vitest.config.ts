import { defineConfig } from 'vitest/config';

/**
 * Tests import the packages by name, as a consumer does; this condition (declared first in each
 * package's `exports`) resolves the name to the package's TypeScript source instead of its build.
 */
const SOURCE_CONDITION = '@canvas-credential-broker/source';

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, 'node', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // S1: every test file's stdout/stderr is scanned for token and secret shapes after it runs.
    setupFiles: ['test/setup/leak-scan.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // Integration tests start real servers (dynalite, the simulator) on loopback; two workers fit the 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests never depend on wall-clock speed; this only stops a hung test from stalling CI.
    teardownTimeout: 10_000,
  },
});
