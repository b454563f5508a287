import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { OperationSpec } from '../scenario/schema.js';
import type { Scenario } from '../scenario/load.js';
import { renderTemplate } from '../scenario/template.js';
import { startCommand } from '../targets/command.js';
import type { RunningInvocation } from '../targets/target.js';
import type { CaseRecorder } from './recorder.js';

export interface InvokeContext {
  scenario: Scenario;
  operation: OperationSpec;
  urls: ReadonlyMap<string, string>;
  caseDir: string;
  recorder: CaseRecorder;
  /** Invocations running now, so a crash fault can kill them. */
  live: Map<number, RunningInvocation>;
}

/** The values templates may name, for one invocation. */
export function templateValues(context: Omit<InvokeContext, 'recorder' | 'live'>, key: string): Map<string, string> {
  const values = new Map<string, string>([
    ['key', key],
    ['operation', context.operation.name],
    ['case.dir', context.caseDir],
  ]);
  for (const [name, url] of context.urls) values.set(`upstreams.${name}.url`, url);
  for (const [name, value] of Object.entries(context.operation.input)) values.set(`input.${name}`, String(value));
  return values;
}

/** Runs one invocation of a command target and records it. */
export async function invokeCommand(context: InvokeContext, role: InvocationRole, key: string, seq: number): Promise<InvocationRow> {
  const { scenario, operation, recorder } = context;
  if (scenario.target.kind !== 'command') throw new Error(`invokeCommand called for a ${scenario.target.kind} target`);
  const target = scenario.target;
  const values = templateValues(context, key);
  const render = (text: string): string => renderTemplate(text, values);
  const renderEnv = (env: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(env ?? {}).map(([name, value]) => [name, render(value)]));
  const argv = [...target.argv, ...operation.args].map(render);
  const env = { ...inheritedEnv(), ...renderEnv(target.env), ...renderEnv(operation.env) };

  recorder.keys.add(key);
  const id = recorder.nextInvocationId();
  const startedMs = recorder.now();
  const running = startCommand(
    { argv, env, cwd: scenario.cwd },
    { timeoutMs: target.timeoutMs, killGraceMs: target.killGraceMs, maxOutputBytes: target.maxOutputBytes },
  );
  context.live.set(id, running);
  recorder.live.add(id);
  try {
    const observed = await running.done;
    const row: InvocationRow = {
      caseId: recorder.caseId,
      id,
      seq,
      role,
      key,
      argv,
      exitCode: observed.exitCode,
      signal: observed.signal,
      killed: observed.killed,
      killReason: observed.killReason,
      effect: observed.effect,
      stdoutJson: observed.stdoutJson,
      stdout: observed.stdout,
      stderr: observed.stderr,
      outputTruncated: observed.outputTruncated,
      startedMs,
      durationMs: observed.durationMs,
    };
    recorder.addInvocation(row);
    return row;
  } finally {
    context.live.delete(id);
    recorder.live.delete(id);
  }
}

/**
 * The harness's own environment, minus what would make a target behave
 * differently under test than in real use (a Node test runner's markers).
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(VITEST|NODE_OPTIONS$|TEST$)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}
