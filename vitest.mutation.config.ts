import { defineConfig } from 'vitest/config';

// The tests `npm run mutation` (stryker.config.mjs) runs against every mutant of
// src/checks and the helpers the checks judge with: the unit tests that judge
// hand-built ledger rows, and the fingerprint tests. The end-to-end blocks in the
// same files spawn tools and run whole scenarios; RETRYPROOF_UNIT_ONLY=1 skips
// them (test/helpers/end-to-end.ts). Not part of `npm test`.
process.env.RETRYPROOF_UNIT_ONLY = '1';

export default defineConfig({
  test: {
    include: ['test/checks/**/*.test.ts', 'test/upstream/fingerprint.test.ts'],
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
