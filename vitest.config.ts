import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers and mostly wait on them (timeouts, holds):
    // three workers keep two cores busy without starving timing-sensitive tests.
    pool: 'forks',
    maxWorkers: 3,
    // The JSON report is what .ci/run counts from.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
