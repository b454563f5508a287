/** The checks implemented so far, in the order reports list them. */
export const CHECK_NAMES = [
  'no-duplicate-effects',
  'no-lost-effects',
  'replay-is-noop',
  'exit-codes',
  'effect-field',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
