import type { CaseRows, EffectRow, InvocationRow } from '../ledger/rows.js';
import type { Schedule } from '../explore/schedule.js';
import type { UpstreamTraits } from '../upstream/model.js';
import type { CheckName } from './names.js';

/** What the clean run of an operation committed: the reference for every faulted case. */
export interface Baseline {
  operation: string;
  effects: EffectRow[];
  /** Effects per `upstream route`. */
  routeCounts: ReadonlyMap<string, number>;
}

export interface ExitCodeContract {
  success: readonly number[];
  failure: readonly number[];
}

export interface CheckInput {
  operation: string;
  schedule: Schedule;
  /** The case as the ledger holds it. */
  rows: CaseRows;
  baseline: Baseline;
  exitCodes: ExitCodeContract;
  traits: ReadonlyMap<string, UpstreamTraits>;
}

export interface Evidence {
  invocations?: number[];
  requests?: number[];
  effects?: number[];
}

export interface CheckResult {
  check: CheckName;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  message: string;
  evidence?: Evidence;
}

/** An invariant over one case. It returns a verdict as data; only harness bugs throw. */
export interface Check {
  readonly name: CheckName;
  /** When it holds, in one sentence (the README's table). */
  readonly holdsWhen: string;
  evaluate(input: CheckInput): CheckResult;
}

export function pass(check: CheckName, message: string): CheckResult {
  return { check, status: 'pass', message };
}

export function fail(check: CheckName, message: string, evidence: Evidence): CheckResult {
  return { check, status: 'fail', message, evidence };
}

export function skip(check: CheckName, message: string): CheckResult {
  return { check, status: 'skip', message };
}

/** `upstream route` → count. */
export function countByRoute(effects: readonly EffectRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const effect of effects) {
    const key = `${effect.upstream} ${effect.route}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** "effect 2 (cha_2, by request 3, key rp-…-1)" */
export function describeEffect(effect: EffectRow): string {
  const parts = [effect.resourceId, `request ${effect.requestId}`, effect.key ? `key ${effect.key}` : 'no key'].filter(Boolean);
  return `effect ${effect.id} (${parts.join(', ')})`;
}

export function describeInvocation(invocation: InvocationRow): string {
  const how = invocation.killed
    ? `killed (${invocation.killReason})`
    : invocation.signal
      ? `ended by ${invocation.signal}`
      : `exit ${invocation.exitCode}`;
  return `invocation ${invocation.id} (${invocation.role}, ${how})`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The effects that belong to the operation itself: not those committed by a
 * probe's extra invocation (a mismatch, a dry run, a request without key),
 * which the probe's own check judges.
 */
export function operationEffects(rows: CaseRows): EffectRow[] {
  const probeInvocations = new Set(
    rows.invocations.filter((invocation) => PROBE_ROLES.includes(invocation.role)).map((invocation) => invocation.id),
  );
  const probeRequests = new Set(
    rows.requests.filter((request) => request.invocationId !== null && probeInvocations.has(request.invocationId)).map((request) => request.id),
  );
  return rows.effects.filter((effect) => !probeRequests.has(effect.requestId));
}

const PROBE_ROLES: readonly InvocationRow['role'][] = ['mismatch', 'dry-run', 'missing-key'];
