import { operationAttempts, operationOutcome } from '../../checks/outcome.js';
import type { CaseRows } from '../../ledger/rows.js';
import type { ScenarioResult } from '../../core/result.js';
import { duplicateEffectIds, outcomeOf } from '../timeline.js';

/** A count out of a total. */
export interface Ratio {
  count: number;
  of: number;
}

/** The run in numbers, counted from the ledger rows of every case. */
export interface RunNumbers {
  cases: number;
  failedCases: number;
  /** Cases whose first invocation succeeded, out of the cases that invoked the target. */
  firstAttemptSuccess: Ratio;
  /** Cases in which the caller had to retry, out of the same. */
  retried: Ratio;
  /** Cases whose operation still failed after all the caller's retries. */
  failedAfterRetries: Ratio;
  /** Cases whose operation ended with an unknown outcome (killed, timed out). */
  unknownOutcome: Ratio;
  /** Upstream requests answered from an idempotency key (outcome `replayed`): no new effect. */
  replayedByKey: number;
  /** Effects beyond the clean run's, as the no-duplicate-effects check found them. */
  duplicateEffects: number;
  casesWithDuplicates: number;
}

/** Counts the run's numbers; `rowsOf` reads a case's rows from the ledger. */
export function runNumbers(result: ScenarioResult, rowsOf: (caseId: string) => CaseRows): RunNumbers {
  const numbers: RunNumbers = {
    cases: result.cases.length,
    failedCases: result.cases.filter((item) => item.verdict === 'fail').length,
    firstAttemptSuccess: { count: 0, of: 0 },
    retried: { count: 0, of: 0 },
    failedAfterRetries: { count: 0, of: 0 },
    unknownOutcome: { count: 0, of: 0 },
    replayedByKey: 0,
    duplicateEffects: 0,
    casesWithDuplicates: 0,
  };
  for (const item of result.cases) {
    const rows = rowsOf(item.id);
    numbers.replayedByKey += rows.requests.filter((request) => request.outcome === 'replayed').length;
    const duplicates = duplicateEffectIds(item);
    if (duplicates.length > 0) {
      numbers.casesWithDuplicates += 1;
      numbers.duplicateEffects += excessEffects(result, item.operation, rows, duplicates);
    }
    const attempts = operationAttempts(rows.invocations);
    const first = attempts[0];
    if (!first) continue;
    for (const ratio of [numbers.firstAttemptSuccess, numbers.retried, numbers.failedAfterRetries, numbers.unknownOutcome]) ratio.of += 1;
    if (outcomeOf(first) === 'success') numbers.firstAttemptSuccess.count += 1;
    if (attempts.filter((invocation) => invocation.role === 'attempt').length > 1) numbers.retried.count += 1;
    const outcome = operationOutcome(rows.invocations, { success: [0], failure: [] });
    if (outcome === 'failure') numbers.failedAfterRetries.count += 1;
    if (outcome === 'unknown') numbers.unknownOutcome.count += 1;
  }
  return numbers;
}

/** How many of the named effects go beyond the clean run's count on their route. */
function excessEffects(result: ScenarioResult, operation: string, rows: CaseRows, ids: readonly number[]): number {
  const expected = result.baselines.find((baseline) => baseline.operation === operation)?.effects ?? {};
  const counts = new Map<string, number>();
  for (const effect of rows.effects.filter((row) => ids.includes(row.id))) {
    const route = `${effect.upstream} ${effect.route}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
  }
  let excess = 0;
  for (const [route, count] of counts) excess += Math.max(0, count - (expected[route] ?? 0));
  // Doubled fingerprints on a route whose count looks right (a double charge next to a missing fee).
  return excess > 0 ? excess : Math.max(0, ids.length - new Set(rows.effects.filter((row) => ids.includes(row.id)).map((row) => row.fingerprint)).size);
}

export function percent(ratio: Ratio): string {
  return ratio.of === 0 ? '–' : `${Math.round((100 * ratio.count) / ratio.of)}%`;
}
