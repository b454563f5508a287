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

/** Checks whose failure means an operation's key does not do all that a key is for. */
const KEY_CHECKS: readonly CheckName[] = [
  'no-duplicate-effects',
  'replay-commits-nothing',
  'mismatch-commits-nothing',
  'concurrent-commits-once',
  'replay-is-noop',
  'key-mismatch-rejected',
  'concurrent-same-key',
];

/** The fault-free reference cases the level is graded on: every command runs these same cases. */
export function isReferenceCase(id: string): boolean {
  return /\/(none|probe:[a-z-]+)$/.test(id);
}

/**
 * The conformance level of a target, from the scenario and the check results
 * of its reference cases (the fault-free case and the fixed probes, which
 * `run`, `explore` and `replay` all run, so they all give the same level):
 * `conformanceLevel({ scenario, cases: result.cases })` (other cases are
 * left out here).
 *
 * Command-line tools and module functions follow DESIGN's scale, over every
 * mutating operation:
 * - accepts a key: its args or env (or the target's argv or env) use `{{key}}`
 *   (a module function always receives `key`);
 * - has `effect`: effect-field held in every reference case of that operation
 *   where it ran, and in at least one (not run means not shown);
 * - has a dry run: it declares `dryRun`, and dry-run-no-effects did not fail
 *   for it (a declared dry run the probe did not exercise counts, and a reason
 *   says it was not verified).
 * An operation whose replay with the same key committed again has no
 * idempotency mechanism, whatever it prints: level 0.
 *
 * http APIs follow the IETF Idempotency-Key draft: 0 a replay with the same
 * key commits again (or no replay showed otherwise); 1 replays commit nothing;
 * 2 the draft's answers too (a replay returns the first response, a reused key
 * with another payload gets 422, a key in flight 409 or the same response);
 * 3 the scenario also declares `requireKey` and `replayedHeader` and both hold
 * (400 without a key, `Idempotent-Replayed: true` on replays).
 */
export function conformanceLevel(input: ConformanceInput): Conformance {
  const { scenario } = input;
  const cases = input.cases.filter((item) => isReferenceCase(item.id));
  const mutating = scenario.operations.filter((operation) => operation.mutating);
  if (mutating.length === 0) return { level: null, reasons: ['the scenario has no mutating operation to grade'] };
  const resultsOf = (operation: string, check: CheckName): CheckResult[] =>
    cases.filter((item) => item.operation === operation).flatMap((item) => item.checks.filter((result) => result.check === check));
  const failed = (operation: string, check: CheckName): CheckResult | undefined => resultsOf(operation, check).find((result) => result.status === 'fail');
  const held = (operation: string, check: CheckName): boolean => resultsOf(operation, check).some((result) => result.status === 'pass') && !failed(operation, check);
  const names = (operations: readonly { name: string }[]): string => operations.map((operation) => operation.name).join(', ');
  const reasons: string[] = [];

  // A key that a replay goes through is no mechanism at all.
  const ignored = mutating.filter((operation) => failed(operation.name, 'replay-commits-nothing'));
  if (ignored.length > 0) {
    reasons.push(`${names(ignored)}: a replay with the same key committed again, so the key is no idempotency mechanism (${failed(ignored[0]!.name, 'replay-commits-nothing')!.message})`);
  }
  if (scenario.target.kind === 'http') return httpLevel(mutating, ignored, reasons, { failed, held, names }, scenario);

  const targetUsesKey = scenario.target.kind === 'module' || usesKey(scenario.target.kind === 'command' ? [...scenario.target.argv, ...Object.values(scenario.target.env)] : []);
  const takesKey = mutating.filter((operation) => targetUsesKey || usesKey([...operation.args, ...Object.values(operation.env ?? {})]));
  const keyed = takesKey.filter((operation) => !ignored.includes(operation));
  const unkeyed = mutating.filter((operation) => !keyed.includes(operation));
  if (keyed.length === 0) {
    if (ignored.length === 0) reasons.push(`no mutating operation accepts an idempotency key (no {{key}} in the args or env of ${names(mutating)})`);
    return { level: 0, reasons };
  }
  reasons.push(
    unkeyed.length === 0
      ? `every mutating operation accepts an idempotency key (${names(keyed)})`
      : `${names(keyed)} accept${keyed.length === 1 ? 's' : ''} an idempotency key; ${names(unkeyed)} do${unkeyed.length === 1 ? 'es' : ''} not`,
  );
  for (const operation of keyed) {
    const broken = KEY_CHECKS.filter((check) => failed(operation.name, check));
    if (broken.length > 0) reasons.push(`${operation.name} accepts a key, but ${broken.join(', ')} failed for it: the key does not yet make it retry-safe`);
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
    const failure = failed(operation.name, 'dry-run-no-effects');
    if (failure) noDryRun.push(`${operation.name} (its dry run failed dry-run-no-effects: ${failure.message})`);
    else if (!held(operation.name, 'dry-run-no-effects')) unverified.push(operation.name);
  }
  if (noDryRun.length > 0) {
    reasons.push(`not every mutating operation has a working dry run: ${noDryRun.join('; ')}`);
    return { level: 2, reasons };
  }
  reasons.push(`every mutating operation has a dry run (${names(mutating)})`);
  if (unverified.length > 0) reasons.push(`the dry run of ${unverified.join(', ')} is declared but was not exercised (probes.dryRun off, or dry-run-no-effects not run)`);
  return { level: 3, reasons };
}

interface Lookups {
  failed(operation: string, check: CheckName): CheckResult | undefined;
  held(operation: string, check: CheckName): boolean;
  names(operations: readonly { name: string }[]): string;
}

/** The IETF draft's scale for an HTTP API (see conformanceLevel). */
function httpLevel(
  mutating: ReadonlyArray<{ name: string }>,
  ignored: ReadonlyArray<{ name: string }>,
  reasons: string[],
  { failed, held, names }: Lookups,
  scenario: ConformanceScenario,
): Conformance {
  if (ignored.length > 0) return { level: 0, reasons };
  const unshown = mutating.filter((operation) => !held(operation.name, 'replay-commits-nothing'));
  if (unshown.length > 0) {
    reasons.push(`no replay of ${names(unshown)} showed that a repeated key commits nothing (caller.replay off, or replay-commits-nothing not run)`);
    return { level: 0, reasons };
  }
  reasons.push(`a replay with the same key commits nothing (${names(mutating)})`);
  const DRAFT: readonly CheckName[] = ['replay-is-noop', 'key-mismatch-rejected', 'concurrent-same-key', 'exit-codes'];
  const off = mutating.flatMap((operation) => DRAFT.filter((check) => failed(operation.name, check)).map((check) => `${operation.name}: ${check} (${failed(operation.name, check)!.message})`));
  if (off.length > 0) {
    reasons.push(`not every answer follows the Idempotency-Key draft: ${off.join('; ')}`);
    return { level: 1, reasons };
  }
  reasons.push('every answer follows the Idempotency-Key draft (the replay returns the first response; 422 for another payload; 409 or the same response in flight)');
  const target = scenario.target as { requireKey?: boolean; replayedHeader?: boolean };
  const missing = [
    ...(target.requireKey ? [] : ['requireKey (400 for a request without a key)']),
    ...(target.replayedHeader ? [] : ['replayedHeader (Idempotent-Replayed: true on replays)']),
  ];
  if (missing.length > 0) {
    reasons.push(`level 3 needs the scenario to declare and the API to keep ${missing.join(' and ')}`);
    return { level: 2, reasons };
  }
  reasons.push('it requires a key (400 without one) and marks replays with Idempotent-Replayed: true');
  return { level: 3, reasons };
}

function usesKey(texts: readonly string[]): boolean {
  return texts.some((text) => templateReferences(text).includes('key'));
}
