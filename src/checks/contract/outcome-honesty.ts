import type { EffectRow, InvocationRow } from '../../ledger/rows.js';
import {
  candidateInvocations,
  describeEffect,
  describeInvocation,
  fail,
  pass,
  plural,
  scenarioFacts,
  skip,
  warn,
  type Check,
  type ExitCodeContract,
} from '../check.js';

/**
 * An invocation that reports failure did not in fact commit: no effect is
 * attributed to its requests. Reporting failure means effect `none`, or a
 * failure exit code (command, module) or a non-2xx status (http) without
 * effect `unknown`. `unknown` is honest whatever happened, and so is an
 * invocation that was killed or got no answer: it reported nothing.
 *
 * An effect committed by a request sent while several invocations ran (the
 * recorder could not attribute it) counts against them only when every one
 * that was running then reported failure.
 *
 * A 'warn' unless the scenario sets `strictOutcomeHonesty`, then a 'fail':
 * a lying failure makes the caller retry something that is done, which is
 * harmless with a deduplicating upstream and a duplicate without one (the
 * other checks judge that).
 */
export const outcomeHonesty: Check = {
  name: 'outcome-honesty',
  holdsWhen: 'a target that reports failure did not in fact commit (a warning unless the scenario makes it a violation)',
  evaluate(input) {
    const { operation, rows, exitCodes } = input;
    const failed = rows.invocations.filter((invocation) => reportsFailure(invocation, exitCodes));
    if (failed.length === 0) return skip(this.name, `${operation}: no invocation reported failure, so there is no failure to believe or doubt`);
    const failedIds = new Set(failed.map((invocation) => invocation.id));
    const lies = new Map<number, EffectRow[]>();
    const shared: EffectRow[] = [];
    for (const effect of rows.effects) {
      const request = rows.requests.find((row) => row.id === effect.requestId);
      if (!request) continue;
      const candidates = candidateInvocations(rows, request);
      if (candidates.length === 0 || !candidates.every((invocation) => failedIds.has(invocation.id))) continue;
      if (candidates.length === 1) lies.set(candidates[0]!.id, [...(lies.get(candidates[0]!.id) ?? []), effect]);
      else shared.push(effect);
    }
    if (lies.size === 0 && shared.length === 0) {
      return pass(this.name, `${operation}: ${plural(failed.length, 'invocation')} reported failure (${failed.map((invocation) => invocation.id).join(', ')}) and none of them committed`);
    }
    const problems = [...lies].map(([id, effects]) => {
      const invocation = failed.find((row) => row.id === id)!;
      return `${describeInvocation(invocation)} reported failure (${how(invocation)}) but committed ${effects.map(describeEffect).join('; ')}`;
    });
    if (shared.length > 0) {
      problems.push(`invocations running together all reported failure, but one of them committed ${shared.map(describeEffect).join('; ')}`);
    }
    const effects = [...[...lies.values()].flat(), ...shared];
    const evidence = {
      invocations: [...new Set([...lies.keys(), ...shared.flatMap((effect) => candidateInvocations(rows, rows.requests.find((row) => row.id === effect.requestId)!).map((row) => row.id))])].sort((a, b) => a - b),
      requests: [...new Set(effects.map((effect) => effect.requestId))],
      effects: effects.map((effect) => effect.id),
    };
    const message = `${operation}: ${problems.join('; ')} (report "unknown" when the outcome cannot be known)`;
    return scenarioFacts(input).strictOutcomeHonesty ? fail(this.name, message, evidence) : warn(this.name, message, evidence);
  },
};

/** Did the invocation tell its caller that nothing happened? */
export function reportsFailure(invocation: InvocationRow, exitCodes: ExitCodeContract): boolean {
  if (invocation.killed || invocation.signal !== null || invocation.effect === 'unknown') return false;
  if (invocation.effect === 'none') return true;
  if (invocation.targetKind === 'http') {
    const status = invocation.httpStatus;
    return status !== null && status !== undefined && (status < 200 || status >= 300);
  }
  return invocation.exitCode !== null && !exitCodes.success.includes(invocation.exitCode);
}

function how(invocation: InvocationRow): string {
  const parts: string[] = [];
  if (invocation.effect !== null) parts.push(`effect "${invocation.effect}"`);
  if (invocation.targetKind === 'http') parts.push(`HTTP ${invocation.httpStatus}`);
  else parts.push(`exit ${invocation.exitCode}`);
  return parts.join(', ');
}
