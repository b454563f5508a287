import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report is what .ci/run counts from.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
