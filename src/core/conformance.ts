/**
 * DESIGN's conformance scale for command-line tools:
 * - 0: mutating operations have no idempotency mechanism;
 * - 1: some accept an idempotency key, no `effect` field (or not on every one);
 * - 2: every mutating operation accepts a key and every response has `effect`;
 * - 3: level 2 plus a dry run on every mutating operation.
 */
export type ConformanceLevel = 0 | 1 | 2 | 3;

/** The level and why, as plain data (the runner stores it in report.json). */
export interface Conformance {
  /** null when the scale does not apply: not a command target, or no mutating operation. */
  level: ConformanceLevel | null;
  /** One sentence per finding, naming the operations, in the order the level was decided. */
  reasons: string[];
}
