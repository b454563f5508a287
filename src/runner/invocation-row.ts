import type { InvocationRole, InvocationRow, TargetKind } from '../ledger/rows.js';
import type { Observation } from '../targets/target.js';
import type { CaseRecorder } from './recorder.js';

/** Who an invocation was: the parts every target kind records the same way. */
export interface InvocationIdentity {
  id: number;
  seq: number;
  role: InvocationRole;
  key: string;
  argv: string[];
  startedMs: number;
  targetKind: TargetKind;
  request: unknown;
}

/** The ledger row of a finished invocation that ran as a process or an in-process call, added to the case. */
export function recordObservation(
  recorder: CaseRecorder,
  who: InvocationIdentity,
  observed: Observation,
  extra: Pick<InvocationRow, 'error'> = {},
): InvocationRow {
  const row: InvocationRow = {
    caseId: recorder.caseId,
    id: who.id,
    seq: who.seq,
    role: who.role,
    key: who.key,
    argv: who.argv,
    exitCode: observed.exitCode,
    signal: observed.signal,
    killed: observed.killed,
    killReason: observed.killReason,
    effect: observed.effect,
    stdoutJson: observed.stdoutJson,
    stdout: observed.stdout,
    stderr: observed.stderr,
    outputTruncated: observed.outputTruncated,
    startedMs: who.startedMs,
    durationMs: observed.durationMs,
    targetKind: who.targetKind,
    request: who.request,
    ...extra,
  };
  recorder.addInvocation(row);
  return row;
}
