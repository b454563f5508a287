// Mutation testing of the checks (issue 18): `npm run mutation`. Not part of `npm test`.
// StrykerJS 9.x (Node >= 20); the vitest runner drives vitest.mutation.config.ts, which runs
// only the fast unit tests (hand-built ledger rows) and skips the end-to-end blocks.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/checks/**/*.ts', 'src/upstream/fingerprint.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // No type checking of mutants: a mutant tsc rejects would never ship, but checking them costs more than it saves here.
  checkers: [],
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  ignorePatterns: ['reports', 'dist', '.ci', 'scenarios/real/.venv', 'test/bench'],
  thresholds: { high: 90, low: 80, break: null },
};
