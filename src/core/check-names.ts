/**
 * Every check belongs to exactly one family:
 * - effects: what reached the upstreams (or the target's own state);
 * - retry: what the target does on its own when a request fails;
 * - contract: what the target says (effect field, exit codes, statuses, replays' answers).
 * "Safe to retry" is the effects and retry families; the contract is graded apart.
 */
export const CHECK_FAMILIES = {
  effects: [
    'no-duplicate-effects',
    'no-lost-effects',
    'replay-commits-nothing',
    'mismatch-commits-nothing',
    'concurrent-commits-once',
    'dry-run-no-effects',
  ],
  retry: ['key-stable-across-retries', 'no-retry-on-permanent', 'retry-policy'],
  contract: ['replay-is-noop', 'key-mismatch-rejected', 'concurrent-same-key', 'exit-codes', 'effect-field', 'outcome-honesty'],
} as const;

export type CheckFamily = keyof typeof CHECK_FAMILIES;

/** Every check, in the order reports list them: effects, retry behaviour, contract. */
export const CHECK_NAMES = [...CHECK_FAMILIES.effects, ...CHECK_FAMILIES.retry, ...CHECK_FAMILIES.contract] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

/** The checks that decide "safe to retry". */
export const SAFETY_FAMILIES: readonly CheckFamily[] = ['effects', 'retry'];

export function familyOf(check: CheckName): CheckFamily {
  if ((CHECK_FAMILIES.effects as readonly string[]).includes(check)) return 'effects';
  if ((CHECK_FAMILIES.retry as readonly string[]).includes(check)) return 'retry';
  return 'contract';
}

export function isSafetyCheck(check: CheckName): boolean {
  return SAFETY_FAMILIES.includes(familyOf(check));
}

/**
 * Three checks used to judge both what a probe committed and what the target
 * said about it. They were split; their old names now name the contract half,
 * and a scenario that names one (in `checks`, `expect.fail` or `--check`) still
 * means both halves, so files written before the split keep their verdicts.
 */
export const SPLIT_CHECKS: Readonly<Partial<Record<CheckName, CheckName>>> = {
  'replay-is-noop': 'replay-commits-nothing',
  'key-mismatch-rejected': 'mismatch-commits-nothing',
  'concurrent-same-key': 'concurrent-commits-once',
};

/** A check and, for a split check, its effects half: what naming it in a scenario means. */
export function checkAndHalves(check: CheckName): CheckName[] {
  const half = SPLIT_CHECKS[check];
  return half ? [check, half] : [check];
}

/** Names as a scenario gives them, expanded to both halves of a split check, in report order. */
export function expandCheckNames(names: readonly CheckName[]): CheckName[] {
  const wanted = new Set(names.flatMap(checkAndHalves));
  return CHECK_NAMES.filter((name) => wanted.has(name));
}
