import type { Scenario } from '../scenario/load.js';
import type { OperationSpec } from '../scenario/schema.js';
import { templateReferences } from '../scenario/template.js';
import type { CheckResult } from './check.js';
import type { CheckName } from '../core/check-names.js';

import type { Conformance, ConformanceLevel } from '../core/conformance.js';

export type { Conformance, ConformanceLevel };

/** The scenario parts the level depends on; a loaded `Scenario` fits. */
export interface ConformanceScenario {
  target: Scenario['target'];
  operations: ReadonlyArray<Pick<OperationSpec, 'name' | 'mutating' | 'args' | 'env' | 'dryRun'>>;
  /** The checks that ran; an unrun check can verify nothing. */
  checks: readonly CheckName[];
}

/** One judged case; `ScenarioResult.cases` fits. */
export interface ConformanceCase {
  id: string;
  operation: string;
  checks: readonly CheckResult[];
}

export interface ConformanceInput {
  scenario: ConformanceScenario;
  /** Every case of the run (systematic, explore or replay), with its check results. */
  cases: readonly ConformanceCase[];
}

/** Checks whose failure means an operation's key does not do what a key is for. */
const KEY_CHECKS: readonly CheckName[] = ['replay-is-noop', 'key-mismatch-rejected', 'concurrent-same-key', 'no-duplicate-effects'];

/**
 * The conformance level of a command-line tool, from the scenario and the
 * check results of a run: `conformanceLevel({ scenario, cases: result.cases })`.
 *
 * Over every mutating operation of the scenario:
 * - accepts a key: its args or env (or the target's argv or env) use `{{key}}`;
 * - has `effect`: effect-field held in every case of that operation where it
 *   ran, and in at least one (not run means not shown);
 * - has a dry run: it declares `dryRun`, and dry-run-no-effects did not fail
 *   for it (a declared dry run the probe did not exercise counts, and a reason
 *   says it was not verified).
 * The level describes the interface, as DESIGN's scale does; it does not say
 * the tool is retry-safe (the checks' verdict does). Where a key-accepting
 * operation failed a key check (replay-is-noop, key-mismatch-rejected,
 * concurrent-same-key, no-duplicate-effects), a reason says so.
 *
 * Returns `level: null` for http and module targets (the scale is for
 * command-line tools) and for a scenario without mutating operations.
 */
export function conformanceLevel(input: ConformanceInput): Conformance {
  const { scenario, cases } = input;
  if (scenario.target.kind !== 'command') {
    return { level: null, reasons: [`the conformance scale is for command-line tools; this target is ${scenario.target.kind}`] };
  }
  const mutating = scenario.operations.filter((operation) => operation.mutating);
  if (mutating.length === 0) return { level: null, reasons: ['the scenario has no mutating operation to grade'] };

  const targetUsesKey = usesKey([...scenario.target.argv, ...Object.values(scenario.target.env)]);
  const reasons: string[] = [];
  const names = (operations: readonly { name: string }[]): string => operations.map((operation) => operation.name).join(', ');
  const resultsOf = (operation: string, check: CheckName): CheckResult[] =>
    cases.filter((item) => item.operation === operation).flatMap((item) => item.checks.filter((result) => result.check === check));
  const takesKey = mutating.filter((operation) => targetUsesKey || usesKey([...operation.args, ...Object.values(operation.env ?? {})]));
  // Taking a key is not a mechanism if every replay with that key acts again: the key is ignored.
  const ignored = takesKey.filter((operation) => {
    const replays = resultsOf(operation.name, 'replay-is-noop');
    const duplicates = resultsOf(operation.name, 'no-duplicate-effects');
    return replays.some((r) => r.status === 'fail') && !replays.some((r) => r.status === 'pass') && duplicates.some((r) => r.status === 'fail');
  });
  if (ignored.length > 0) {
    reasons.push(`${names(ignored)} take${ignored.length === 1 ? 's' : ''} a key but ignore${ignored.length === 1 ? 's' : ''} it: every replay with the same key acted again`);
  }
  const keyed = takesKey.filter((operation) => !ignored.includes(operation));
  const unkeyed = mutating.filter((operation) => !keyed.includes(operation));

  if (keyed.length === 0) {
    if (ignored.length === 0) reasons.push(`no mutating operation accepts an idempotency key (no {{key}} in the args or env of ${names(mutating)})`);
    return { level: 0, reasons };
  }
  reasons.push(
    unkeyed.length === 0
      ? `every mutating operation accepts an idempotency key (${names(keyed)})`
      : `${names(keyed)} accept${keyed.length === 1 ? 's' : ''} an idempotency key; ${names(unkeyed)} do${unkeyed.length === 1 ? 'es' : ''} not (no {{key}} in args or env)`,
  );
  for (const operation of keyed) {
    const failed = KEY_CHECKS.filter((check) => resultsOf(operation.name, check).some((result) => result.status === 'fail'));
    if (failed.length > 0) reasons.push(`${operation.name} accepts a key, but ${failed.join(', ')} failed for it: the key does not yet make it retry-safe`);
  }

  const effectMissing: string[] = [];
  for (const operation of mutating) {
    const results = resultsOf(operation.name, 'effect-field');
    const failures = results.filter((result) => result.status === 'fail').length;
    if (!scenario.checks.includes('effect-field')) effectMissing.push(`${operation.name} (effect-field did not run)`);
    else if (failures > 0) effectMissing.push(`${operation.name} (effect-field failed in ${failures} of ${results.length} cases)`);
    else if (!results.some((result) => result.status === 'pass')) effectMissing.push(`${operation.name} (no case showed its effect field)`);
  }
  if (effectMissing.length > 0) reasons.push(`not every response reports "effect": ${effectMissing.join('; ')}`);
  else reasons.push(`every response of ${names(mutating)} reports "effect"`);
  if (unkeyed.length > 0 || effectMissing.length > 0) return { level: 1, reasons };

  const noDryRun: string[] = [];
  const unverified: string[] = [];
  for (const operation of mutating) {
    if (!operation.dryRun) {
      noDryRun.push(`${operation.name} (declares no dryRun)`);
      continue;
    }
    const results = resultsOf(operation.name, 'dry-run-no-effects');
    const failures = results.filter((result) => result.status === 'fail');
    if (failures.length > 0) noDryRun.push(`${operation.name} (its dry run failed dry-run-no-effects: ${failures[0]!.message})`);
    else if (!results.some((result) => result.status === 'pass')) unverified.push(operation.name);
  }
  if (noDryRun.length > 0) {
    reasons.push(`not every mutating operation has a working dry run: ${noDryRun.join('; ')}`);
    return { level: 2, reasons };
  }
  reasons.push(`every mutating operation has a dry run (${names(mutating)})`);
  if (unverified.length > 0) reasons.push(`the dry run of ${unverified.join(', ')} is declared but was not exercised (probes.dryRun off, or dry-run-no-effects not run)`);
  return { level: 3, reasons };
}

function usesKey(texts: readonly string[]): boolean {
  return texts.some((text) => templateReferences(text).includes('key'));
}
