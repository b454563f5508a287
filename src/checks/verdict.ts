import { checkAndHalves, CHECK_NAMES, familyOf, isSafetyCheck, type CheckName } from '../core/check-names.js';
import type { Conformance } from '../core/conformance.js';
import type { ContractRule, ContractVerdict, SafetyVerdict } from '../core/result.js';

export interface VerdictInput {
  /** Every check that failed in some case of the run. */
  failedChecks: readonly CheckName[];
  /** The scenario's `expect.fail`, as written (a split check's old name covers its effects half). */
  expectFail: readonly CheckName[];
  rule: ContractRule;
  /** Why the target claims the contract (from its clean run), or null when it does not. */
  claim: string | null;
  conformance: Conformance;
}

export interface Verdicts {
  safety: SafetyVerdict;
  contract: ContractVerdict;
  /** 'pass' when every check that gates the run held: safety's, and the contract's when it gates. */
  verdict: 'pass' | 'fail';
  /** Gating checks that failed and the scenario did not expect. */
  unexpected: CheckName[];
  /** Checks the scenario expected to fail that held. */
  heldExpected: CheckName[];
  /** True when the run ended as the scenario expects: exit status 0. */
  asExpected: boolean;
}

/**
 * The run's two verdicts: safe to retry (the effects and retry-behaviour
 * families) and the contract (its level, and whether its checks gate the
 * exit status: `contract: required` always, `none` never, `auto` when the
 * clean run claims it). The exit status follows what gates, compared with
 * `expect.fail`: an expected check may fail, and must.
 */
export function judgeRun(input: VerdictInput): Verdicts {
  const failed = CHECK_NAMES.filter((name) => input.failedChecks.includes(name));
  const safetyFailed = failed.filter(isSafetyCheck);
  const contractFailed = failed.filter((name) => familyOf(name) === 'contract');
  const gated = input.rule === 'required' || (input.rule === 'auto' && input.claim !== null);
  const why =
    input.rule === 'required'
      ? 'contract: required in the scenario'
      : input.rule === 'none'
        ? 'contract: none in the scenario'
        : input.claim !== null
          ? `auto: ${input.claim}`
          : 'auto: the clean run claims no contract (no "effect" field), so the contract is graded, not gated';
  const gating = gated ? failed : safetyFailed;
  const covered = new Set(input.expectFail.flatMap(checkAndHalves));
  const unexpected = gating.filter((name) => !covered.has(name));
  const heldExpected = input.expectFail.filter((name) => !checkAndHalves(name).some((half) => failed.includes(half)));
  return {
    safety: { safe: safetyFailed.length === 0, failedChecks: safetyFailed },
    contract: { ...input.conformance, rule: input.rule, gated, why, failedChecks: contractFailed },
    verdict: gating.length > 0 ? 'fail' : 'pass',
    unexpected,
    heldExpected,
    asExpected: unexpected.length === 0 && heldExpected.length === 0,
  };
}
