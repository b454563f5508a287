import { RESTART_FAULTS } from '../faults/registry.js';
import { inheritedEnv } from './inherited-env.js';
import { proxyEnvironment, withProxyPreload } from './proxy-env.js';
import type { InvocationVariant } from '../caller/caller.js';
import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { OperationSpec } from '../scenario/schema.js';
import { renderTemplate } from '../scenario/template.js';
import { startCommand } from '../targets/command.js';
import { mismatchInput } from './inputs.js';
import type { CaseInvokeContext, TargetSession } from './target-session.js';
import { recordObservation } from './invocation-row.js';
import { templateValues } from './template-values.js';

/** Why restart faults are left out for command targets (the report lists them as skipped). */
export const COMMAND_RESTART_REASON = 'a command target is a fresh process on every invocation: nothing outlives it to restart';

/** Command targets keep nothing between invocations: each one is a fresh process. */
export function commandSession(): TargetSession {
  return {
    invoke: invokeCommand,
    close: async () => undefined,
    unsupportedFaults: new Map(RESTART_FAULTS.map((fault) => [fault, COMMAND_RESTART_REASON])),
  };
}

/** Runs one invocation of a command target and records it. */
async function invokeCommand(
  context: CaseInvokeContext,
  role: InvocationRole,
  key: string,
  seq: number,
  variant: InvocationVariant,
): Promise<InvocationRow> {
  const { operation, recorder } = context;
  const input = variant.mismatch ? (mismatchInput(operation) ?? operation.input) : operation.input;
  const id = recorder.nextInvocationId();
  // Racers get upstream URLs of their own, so each request is attributed to the racer that sent it.
  const doors = role === 'concurrent' && context.doors ? await context.doors(id) : undefined;
  try {
    return await runCommand(context, { role, key, seq, variant, input, id, urls: doors?.urls ?? context.urls, proxyUrl: doors?.proxyUrl ?? context.proxy?.url });
  } finally {
    doors?.release();
  }
}

/** Renders the argv and env of one invocation, runs it, and records it. */
async function runCommand(
  context: CaseInvokeContext,
  call: { role: InvocationRole; key: string; seq: number; variant: InvocationVariant; input: OperationSpec['input']; id: number; urls: ReadonlyMap<string, string>; proxyUrl: string | undefined },
): Promise<InvocationRow> {
  const { scenario, operation, recorder } = context;
  if (scenario.target.kind !== 'command') throw new Error(`invokeCommand called for a ${scenario.target.kind} target`);
  const target = scenario.target;
  const { role, key, seq, variant, input, id } = call;
  const values = templateValues({ ...context, urls: call.urls }, key, input);
  const render = (text: string): string => renderTemplate(text, values);
  const renderEnv = (env: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(env ?? {}).map(([name, value]) => [name, render(value)]));
  const args = [...operation.args, ...(variant.dryRun ? (operation.dryRun?.args ?? []) : [])];
  const argv = [...target.argv, ...args].map(render);
  // Proxy mode: the proxy variables and the CA over the harness's own (a developer's proxy must not take the target outside).
  const proxied = context.proxy && call.proxyUrl ? proxyEnvironment(call.proxyUrl, context.proxy.caFile) : {};
  const env: Record<string, string> = { ...inheritedEnv(), ...proxied, ...renderEnv(target.env), ...renderEnv(operation.env) };
  if (context.proxy) env.NODE_OPTIONS = withProxyPreload(env.NODE_OPTIONS);

  recorder.keys.add(key);
  const startedMs = recorder.now();
  const running = startCommand(
    { argv, env, cwd: scenario.cwd },
    {
      timeoutMs: variant.abandonAfterMs ?? target.timeoutMs,
      killGraceMs: target.killGraceMs,
      maxOutputBytes: target.maxOutputBytes,
    },
  );
  context.live.set(id, running);
  recorder.live.add(id);
  try {
    const observed = await running.done;
    return recordObservation(recorder, { id, seq, role, key, argv, startedMs, targetKind: 'command', request: { argv, input } }, observed);
  } finally {
    context.live.delete(id);
    recorder.live.delete(id);
  }
}

