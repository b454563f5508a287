import path from 'node:path';
import type { InvocationVariant } from '../caller/caller.js';
import { CRASH_FAULTS, RESTART_FAULTS } from '../faults/registry.js';
import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import { importTargetModule, pickExport, startModuleCall, type ModuleFunction } from '../targets/module.js';
import { runAsInProcessCaller, type InProcessCaller } from '../upstream/in-process.js';
import { mismatchInput } from './inputs.js';
import { recordObservation } from './invocation-row.js';
import type { CaseInvokeContext, TargetSession } from './target-session.js';

/** Why crash faults are left out for module targets (the report lists them as skipped). */
export const MODULE_CRASH_REASON = 'module targets run in-process: there is no process to kill';
/** Why restart faults are left out for them. */
export const MODULE_RESTART_REASON = 'module targets run in-process: there is no process to restart';

/** After the timeout aborts the signal, how long a well-behaved function gets to settle. */
const ABORT_GRACE_MS = 100;
/** Characters of a result's JSON text kept per invocation (as a command's stdout is bounded). */
const MAX_OUTPUT_CHARS = 1_048_576;

type ModuleTarget = Extract<Scenario['target'], { kind: 'module' }>;

interface Call {
  caller: InProcessCaller;
}

/**
 * A module target for the length of a run: the module is imported once, and
 * every operation's export is looked up before the first case, so a missing
 * export is bad input (exit 2), not a failed check.
 */
export async function moduleSession(scenario: Scenario): Promise<TargetSession> {
  if (scenario.target.kind !== 'module') throw new Error(`moduleSession called for a ${scenario.target.kind} target`);
  const target = scenario.target;
  const file = path.resolve(scenario.dir, target.path);
  const moduleExports = await importTargetModule(file, { file: scenario.file, field: 'target.path' });
  const functions = new Map<string, { exportName: string; fn: ModuleFunction }>();
  scenario.operations.forEach((operation, index) => {
    const exportName = operation.export ?? target.export;
    const field = operation.export !== undefined ? `operations[${index}].export` : 'target.export';
    functions.set(operation.name, { exportName, fn: pickExport(moduleExports, exportName, { file: scenario.file, field }) });
  });

  // Calls that have not settled yet, including those the harness stopped waiting for.
  const running = new Set<Call>();
  const retire = (): void => {
    for (const call of running) call.caller.stale = true;
  };
  return {
    // A call abandoned in an earlier case may still be running: from now on its
    // requests are refused, so they never land in this case's ledger.
    beginCase: async () => retire(),
    invoke: (context, role, key, seq, variant) => {
      const selected = functions.get(context.operation.name);
      if (!selected) throw new Error(`operation "${context.operation.name}" was not in the scenario when the module session started`);
      return invokeModule(target, selected, running, context, role, key, seq, variant);
    },
    // Nothing to release: an imported module stays in Node's module cache, and a
    // function cannot be killed. Calls still running are cut off from the upstreams.
    close: async () => retire(),
    unsupportedFaults: new Map([
      ...CRASH_FAULTS.map((fault): [string, string] => [fault, MODULE_CRASH_REASON]),
      ...RESTART_FAULTS.map((fault): [string, string] => [fault, MODULE_RESTART_REASON]),
    ]),
  };
}

/** Runs one invocation of a module target and records it. */
async function invokeModule(
  target: ModuleTarget,
  selected: { exportName: string; fn: ModuleFunction },
  running: Set<Call>,
  context: CaseInvokeContext,
  role: InvocationRole,
  key: string,
  seq: number,
  variant: InvocationVariant,
): Promise<InvocationRow> {
  const { operation, recorder } = context;
  const input = variant.mismatch ? (mismatchInput(operation) ?? operation.input) : operation.input;
  const dryRun = Boolean(variant.dryRun);
  recorder.keys.add(key);
  const id = recorder.nextInvocationId();
  // Over loopback, racers get upstream URLs of their own, so each request is attributed to the racer that sent it.
  const doors = role === 'concurrent' && context.doors ? await context.doors(id) : undefined;
  const upstreams = Object.fromEntries(doors?.urls ?? context.urls);
  const startedMs = recorder.now();
  const call: Call = { caller: { stale: false } };
  running.add(call);
  const invocation = startModuleCall(
    (signal) =>
      runAsInProcessCaller(call.caller, () =>
        // A copy: the function may change its input without changing the scenario's.
        selected.fn(structuredClone(input), { key, upstreams, signal, dryRun, operation: operation.name }),
      ),
    { timeoutMs: variant.abandonAfterMs ?? target.timeoutMs, graceMs: ABORT_GRACE_MS, maxOutputBytes: MAX_OUTPUT_CHARS },
  );
  context.live.set(id, invocation);
  recorder.live.add(id);
  // Live until the function itself settles, not just until the harness stops
  // waiting: a timed-out function may keep running (and sending) in the
  // background, and the recorder must not credit its requests to the next invocation.
  void invocation.settled.then(() => {
    context.live.delete(id);
    recorder.live.delete(id);
    running.delete(call);
    doors?.release();
  });
  const observed = await invocation.done;
  return recordObservation(
    recorder,
    {
      id,
      seq,
      role,
      key,
      argv: [`${target.path}#${selected.exportName}`],
      startedMs,
      targetKind: 'module',
      request: { export: selected.exportName, input, ...(dryRun ? { dryRun } : {}) },
    },
    observed,
    { error: observed.error },
  );
}
