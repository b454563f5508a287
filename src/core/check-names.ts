/** Every check, in the order reports list them (DESIGN's table). */
export const CHECK_NAMES = [
  'no-duplicate-effects',
  'no-lost-effects',
  'replay-is-noop',
  'exit-codes',
  'effect-field',
  'key-mismatch-rejected',
  'concurrent-same-key',
  'dry-run-no-effects',
  'no-retry-on-permanent',
  'retry-policy',
  'key-stable-across-retries',
  'outcome-honesty',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
