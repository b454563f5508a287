import type { CheckResult } from './check-result.js';
import type { Conformance } from './conformance.js';
import type { CheckName } from './check-names.js';
import type { FaultBinding, Schedule } from './schedule.js';

export interface FaultApplication {
  binding: FaultBinding;
  /** The request the fault hit, or null when the case never made that request. */
  requestId: number | null;
}

export interface CaseResult {
  id: string;
  kind: 'systematic' | 'explore' | 'replay';
  operation: string;
  schedule: Schedule;
  /** The schedule in words. */
  scheduleText: string;
  /** What happened, in words: effects against the clean run, how the operation ended. */
  outcomeText: string;
  faults: FaultApplication[];
  checks: CheckResult[];
  verdict: 'pass' | 'fail';
  /** Observations that are not violations, e.g. "unsafe by construction of the upstream". */
  notes: string[];
  invocations: number;
  requests: number;
  /** Requests per upstream. */
  requestsTo: Record<string, number>;
  effects: number;
  durationMs: number;
}

export interface BaselineResult {
  operation: string;
  /** Effects per `upstream route` in the clean run. */
  effects: Record<string, number>;
  /** Upstreams contacted, in order of first contact. */
  upstreams: string[];
  requests: number;
  durationMs: number;
  /** The `effect` field the clean run reported (null: none): a target that prints one claims the contract. */
  reportedEffect: string | null;
  /** Clean runs thrown away because the target gave up on a healthy upstream (a loaded machine), and why. */
  discarded?: string[];
}

export type CheckTally = Record<'pass' | 'fail' | 'warn' | 'skip', number>;

export interface ScenarioResult {
  /** `file` as the user named it; `path` absolute, so the report can be replayed from anywhere. */
  scenario: { name: string; file: string; path: string };
  runId: string;
  runDir: string;
  startedAt: string;
  durationMs: number;
  complete: boolean;
  /** Systematic cases not run because the fault-free case never reaches the request they fault. */
  unreachableCases: number;
  baselines: BaselineResult[];
  cases: CaseResult[];
  /** Faults of the scenario's list this target cannot experience, and why. */
  skippedFaults: Array<{ fault: string; reason: string }>;
  checks: Partial<Record<CheckName, CheckTally>>;
  failedChecks: CheckName[];
  expectedFail: CheckName[];
  /** 'pass' when every check that gates the run held (safety's, and the contract's when it gates). */
  verdict: 'pass' | 'fail';
  /** True when the run ended as the scenario expects (exit status 0): no unexpected gating failure, every expected one failed. */
  asExpected: boolean;
  /** Gating checks that failed although the scenario did not expect them. */
  unexpectedFailures: CheckName[];
  /** Checks the scenario expected to fail that held. */
  heldExpected: CheckName[];
  /** Safe to retry: the effects and retry-behaviour checks. */
  safety: SafetyVerdict;
  /** What the target says: its conformance level (0-3), the contract checks that failed, and whether they gate. */
  contract: ContractVerdict;
  /**
   * An http API whose cases' settle windows overlapped the next case (runner/overlap.ts): its lanes, how many
   * cases handed over, and on how many lanes a conflict stopped it. Absent when no lane could overlap.
   */
  settleOverlap?: { lanes: number; handedOver: number; stopped: number };
}

export type ContractRule = 'auto' | 'required' | 'none';

export interface SafetyVerdict {
  safe: boolean;
  /** The effects and retry-behaviour checks that failed. */
  failedChecks: CheckName[];
}

export interface ContractVerdict extends Conformance {
  rule: ContractRule;
  /** Whether contract failures fail the run. */
  gated: boolean;
  /** Which rule applied, in words. */
  why: string;
  /** The contract checks that failed. */
  failedChecks: CheckName[];
}
