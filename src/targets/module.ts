import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerPackageFallback } from '../upstream/package-fallback.js';
import { RetryproofError, type ErrorWhere } from '../errors.js';
import { effectOf } from './parse-output.js';
import type { Observation, RunningInvocation } from './target.js';

/**
 * Module targets: an exported async function of a JS module, called in-process
 * as `fn(input, context)`. A return is exit 0 and a throw exit 1; the returned
 * value (or the thrown error's JSON view) stands in for a command's stdout, and
 * its `effect` field is the invocation's effect.
 */
export interface ModuleCallContext {
  /** The caller's idempotency key for this invocation. */
  key: string;
  /** Upstream name → base URL (in-process msw URLs, or 127.0.0.1 with `interception: loopback`). */
  upstreams: Record<string, string>;
  /** Aborted when the harness stops waiting (the target's timeout or the caller giving up). */
  signal: AbortSignal;
  /** The caller asks for a dry run: report `would_*` and change nothing. */
  dryRun: boolean;
  /** The operation's name. */
  operation: string;
}

export type ModuleFunction = (input: Record<string, unknown>, context: ModuleCallContext) => unknown;

const TYPESCRIPT_FILE = /\.[cm]?tsx?$/i;

/**
 * Imports the target module (an absolute path). ESM and CommonJS both work;
 * TypeScript only where this Node strips types itself.
 */
export async function importTargetModule(file: string, where: ErrorWhere): Promise<Record<string, unknown>> {
  if (TYPESCRIPT_FILE.test(file) && !nodeStripsTypes()) {
    throw new RetryproofError(
      'SCENARIO_INVALID',
      `${path.basename(file)} is TypeScript, and Node ${process.version} cannot import TypeScript directly`,
      where,
      'build the module and point target.path at the built JavaScript (e.g. dist/orders.js), or run retryproof on a Node that strips types itself (22.18 or later)',
    );
  }
  registerPackageFallback();
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new RetryproofError(
      'TARGET_SPAWN_FAILED',
      `cannot import the module ${file} (${message.split('\n')[0]})`,
      where,
      error instanceof SyntaxError
        ? 'fix the syntax error, or point target.path at the built JavaScript'
        : 'check that the module and its imports load with `node --input-type=module -e "await import(\'<path>\')"`',
      { cause: error },
    );
  }
}

function nodeStripsTypes(): boolean {
  // `process.features.typescript` is 'strip' or 'transform' on Nodes that import .ts (22.10+ with the flag, 22.18+ by default).
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/** The function a scenario names, or a RetryproofError that names the field to fix. */
export function pickExport(moduleExports: Record<string, unknown>, name: string, where: ErrorWhere): ModuleFunction {
  let value = moduleExports[name];
  // A CommonJS module imported from ESM may keep its named exports on `default` only.
  const cjs = moduleExports.default;
  if (value === undefined && name !== 'default' && cjs !== null && (typeof cjs === 'object' || typeof cjs === 'function')) {
    value = (cjs as Record<string, unknown>)[name];
  }
  if (typeof value === 'function') return value as ModuleFunction;
  const available = Object.keys(moduleExports)
    .filter((key) => typeof moduleExports[key] === 'function')
    .sort();
  const exported = available.length > 0 ? `its exported functions: ${available.join(', ')}` : 'it exports no function';
  throw new RetryproofError(
    'SCENARIO_INVALID',
    value === undefined ? `the module has no export "${name}" (${exported})` : `export "${name}" is ${describeType(value)}, not a function (${exported})`,
    where,
    'name an exported async function of the module (`export async function name(input, context)`)',
  );
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export interface ModuleCallLimits {
  /** Stop waiting after this long: the signal is aborted and the call counted as killed ('timeout'). */
  timeoutMs: number;
  /** After aborting, how long to wait for the function to settle before recording it as still running. */
  graceMs: number;
  /** Characters of the result's JSON text kept; beyond that it is dropped and marked truncated. */
  maxOutputBytes: number;
}

export interface ModuleObservation extends Observation {
  /** The thrown error, or why the harness stopped waiting, in words; null after a return. */
  error: string | null;
}

export interface RunningModuleCall extends RunningInvocation {
  readonly done: Promise<ModuleObservation>;
  /** Resolves when the function itself has settled, which may be after `done` (or never). */
  readonly settled: Promise<void>;
}

type Settlement = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Calls the function now and watches it. At the timeout the signal is aborted
 * and the harness waits at most `graceMs` more. A function cannot be killed: if
 * it ignores its signal it keeps running in the background after `done`
 * resolves (its late requests are what `settled` lets the caller track).
 */
export function startModuleCall(call: (signal: AbortSignal) => unknown, limits: ModuleCallLimits): RunningModuleCall {
  const started = performance.now();
  const controller = new AbortController();
  let settle!: (settlement: Settlement) => void;
  const settlement = new Promise<Settlement>((resolve) => {
    settle = resolve;
  });
  try {
    Promise.resolve(call(controller.signal)).then(
      (value) => settle({ ok: true, value }),
      (error: unknown) => settle({ ok: false, error }),
    );
  } catch (error) {
    settle({ ok: false, error });
  }

  const done = new Promise<ModuleObservation>((resolve) => {
    const finish = (result: Settlement | undefined, killed: boolean): void =>
      resolve(observe(result, killed, limits, Math.round(performance.now() - started)));
    const timer = setTimeout(() => {
      controller.abort(
        new DOMException(`retryproof stopped waiting for the module function after ${limits.timeoutMs} ms`, 'TimeoutError'),
      );
      const grace = setTimeout(() => finish(undefined, true), limits.graceMs);
      void settlement.then((result) => {
        clearTimeout(grace);
        finish(result, true);
      });
    }, limits.timeoutMs);
    void settlement.then((result) => {
      if (controller.signal.aborted) return;
      clearTimeout(timer);
      finish(result, false);
    });
  });

  return {
    done,
    settled: settlement.then(() => undefined),
    // Crash faults are unsupported for module targets: there is no process to kill.
    crash: () => undefined,
  };
}

function observe(result: Settlement | undefined, killed: boolean, limits: ModuleCallLimits, durationMs: number): ModuleObservation {
  const base = {
    signal: null,
    killed,
    killReason: killed ? ('timeout' as const) : null,
    durationMs,
  };
  if (!result) {
    return {
      ...base,
      exitCode: null,
      effect: null,
      stdoutJson: null,
      stdout: '',
      stderr: '',
      outputTruncated: false,
      error: `the function did not settle within ${limits.timeoutMs} ms; the harness stopped waiting (it may still be running)`,
    };
  }
  if (result.ok) {
    const view = jsonView(result.value, limits.maxOutputBytes);
    return {
      ...base,
      exitCode: 0,
      effect: effectOf(result.value),
      stdoutJson: view.json,
      stdout: view.text,
      stderr: '',
      outputTruncated: view.truncated,
      error: null,
    };
  }
  const error = result.error;
  const view = jsonView(errorView(error), limits.maxOutputBytes);
  const stack = error instanceof Error && error.stack ? error.stack : String(error);
  return {
    ...base,
    exitCode: 1,
    effect: effectOf(error),
    stdoutJson: view.json,
    stdout: view.text,
    stderr: stack.length > limits.maxOutputBytes ? stack.slice(0, limits.maxOutputBytes) : stack,
    outputTruncated: view.truncated || stack.length > limits.maxOutputBytes,
    error: error instanceof Error ? error.message : describeThrown(error),
  };
}

/**
 * A thrown value as the JSON a command would print on failure: its own
 * enumerable fields (`effect`, `code`...) plus `error`, the message.
 */
function errorView(error: unknown): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  if (error !== null && typeof error === 'object') {
    for (const [field, value] of Object.entries(error)) own[field] = value;
  }
  if (error instanceof Error) return { name: error.name, ...own, error: error.message };
  return { ...own, error: describeThrown(error) };
}

function describeThrown(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    try {
      return JSON.stringify(error);
    } catch {
      return String(error);
    }
  }
  return String(error);
}

/** The value as JSON text and as a JSON-safe copy; values JSON cannot hold yield null and a note. */
function jsonView(value: unknown, maxChars: number): { json: unknown; text: string; truncated: boolean } {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return { json: null, text: `[not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}]`, truncated: false };
  }
  // undefined, a function or a symbol: nothing JSON can say.
  if (text === undefined) return { json: null, text: '', truncated: false };
  if (text.length > maxChars) return { json: null, text: text.slice(0, maxChars), truncated: true };
  return { json: JSON.parse(text) as unknown, text, truncated: false };
}
