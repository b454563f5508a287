import { describe } from 'vitest';

/**
 * `describe` for tests that spawn processes or run whole scenarios. With
 * RETRYPROOF_UNIT_ONLY=1 (what `npm run mutation` sets, see
 * vitest.mutation.config.ts) they are skipped, so a mutation run only repeats
 * the fast tests that judge hand-built ledger rows.
 */
export const describeEndToEnd = describe.skipIf(process.env.RETRYPROOF_UNIT_ONLY === '1');
