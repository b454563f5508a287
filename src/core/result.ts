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
  verdict: 'pass' | 'fail';
  /** True when exactly the expected checks failed. */
  asExpected: boolean;
  /** The conformance level of a command-line tool (0-3) with its reasons; level null for other targets. */
  conformance?: Conformance;
}
