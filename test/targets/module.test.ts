/**
 * Module targets, below the runner: importing the module (and refusing
 * TypeScript where Node cannot import it), picking the export, and one call of
 * the function observed as an invocation (return, throw, timeout).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { importTargetModule, pickExport, startModuleCall, type ModuleCallLimits } from '../../src/targets/module.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-module-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

const where = { file: 'scenario.yaml', field: 'target.path' };
const limits: ModuleCallLimits = { timeoutMs: 2_000, graceMs: 100, maxOutputBytes: 1_000 };

function rejection(promise: Promise<unknown>): Promise<RetryproofError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(RetryproofError);
      return error as RetryproofError;
    },
  );
}

function thrown(fn: () => unknown): RetryproofError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }
  throw new Error('expected a throw');
}

describe('importTargetModule', () => {
  it('imports an ES module and a CommonJS one', async () => {
    const esm = await importTargetModule(moduleFile('esm.mjs', 'export async function go() { return 1; }\nexport default () => 2;\n'), where);
    expect(typeof esm.go).toBe('function');
    const cjs = await importTargetModule(moduleFile('cjs.cjs', 'exports.go = async () => 3;\n'), where);
    expect(typeof pickExport(cjs, 'go', where)).toBe('function');
  });

  it.runIf(!(process.features as { typescript?: unknown }).typescript)(
    'refuses a .ts file on a Node that cannot import TypeScript, and says what to do',
    async () => {
      const error = await rejection(importTargetModule(moduleFile('orders.ts', 'export const go = async (): Promise<number> => 1;\n'), where));
      expect(error.code).toBe('SCENARIO_INVALID');
      expect(error.where).toEqual(where);
      expect(error.message).toMatch(/orders\.ts is TypeScript, and Node v\d+.* cannot import TypeScript directly/);
      expect(error.fix).toMatch(/built JavaScript/);
    },
  );

  it('turns a module that fails to load into a clear error naming target.path', async () => {
    const broken = await rejection(importTargetModule(moduleFile('broken.mjs', 'export async function go( {\n'), where));
    expect(broken.code).toBe('TARGET_SPAWN_FAILED');
    expect(broken.where.field).toBe('target.path');
    // Node says SyntaxError; under vitest, vite's transform says "invalid JS syntax".
    expect(broken.message).toMatch(/cannot import the module .*broken\.mjs \(.*syntax/i);
    const throwing = await rejection(importTargetModule(moduleFile('throws.mjs', 'throw new Error("no config");\n'), where));
    expect(throwing.message).toMatch(/no config/);
  });
});

describe('pickExport', () => {
  const exports = { createOrder: async () => 1, VERSION: '1.0', default: { legacy: async () => 2 } };

  it('returns the named function, or one CommonJS keeps on default', () => {
    expect(pickExport(exports, 'createOrder', where)).toBe(exports.createOrder);
    expect(pickExport(exports, 'legacy', where)).toBe(exports.default.legacy);
  });

  it('names the field and the available functions when the export is missing or not a function', () => {
    const missing = thrown(() => pickExport(exports, 'createOrdr', { file: 's.yaml', field: 'operations[1].export' }));
    expect(missing.code).toBe('SCENARIO_INVALID');
    expect(missing.where).toEqual({ file: 's.yaml', field: 'operations[1].export' });
    expect(missing.message).toBe('the module has no export "createOrdr" (its exported functions: createOrder)');
    const notFunction = thrown(() => pickExport(exports, 'VERSION', { file: 's.yaml', field: 'target.export' }));
    expect(notFunction.message).toMatch(/export "VERSION" is a string, not a function/);
  });
});

describe('startModuleCall', () => {
  it('a return is exit 0, its value the JSON output and its effect field the effect', async () => {
    const call = startModuleCall(async () => ({ effect: 'created', id: 'ord_1', at: new Date(0) }), limits);
    const observed = await call.done;
    expect(observed).toMatchObject({ exitCode: 0, signal: null, killed: false, killReason: null, effect: 'created', error: null, stderr: '' });
    expect(observed.stdoutJson).toEqual({ effect: 'created', id: 'ord_1', at: '1970-01-01T00:00:00.000Z' });
    expect(JSON.parse(observed.stdout)).toEqual(observed.stdoutJson);
    await call.settled;
  });

  it('a throw (async or sync) is exit 1, with the message as error and the effect property as effect', async () => {
    const asyncThrow = await startModuleCall(async () => {
      throw Object.assign(new Error('payments unreachable'), { effect: 'unknown', code: 'E_NET' });
    }, limits).done;
    expect(asyncThrow).toMatchObject({ exitCode: 1, killed: false, effect: 'unknown', error: 'payments unreachable' });
    expect(asyncThrow.stdoutJson).toEqual({ name: 'Error', effect: 'unknown', code: 'E_NET', error: 'payments unreachable' });
    expect(asyncThrow.stderr).toMatch(/^Error: payments unreachable\n\s+at /);

    const syncThrow = await startModuleCall(() => {
      throw new TypeError('input.amount is not a number');
    }, limits).done;
    expect(syncThrow).toMatchObject({ exitCode: 1, effect: null, error: 'input.amount is not a number' });

    const notAnError = await startModuleCall(() => Promise.reject({ effect: 'none', reason: 'refused' }), limits).done;
    expect(notAnError).toMatchObject({ exitCode: 1, effect: 'none', error: '{"effect":"none","reason":"refused"}' });
  });

  it('values JSON cannot hold leave no JSON, but still count as a return', async () => {
    const nothing = await startModuleCall(async () => undefined, limits).done;
    expect(nothing).toMatchObject({ exitCode: 0, stdoutJson: null, stdout: '', effect: null });
    const circular: Record<string, unknown> = { effect: 'created' };
    circular.self = circular;
    const loop = await startModuleCall(async () => circular, limits).done;
    expect(loop).toMatchObject({ exitCode: 0, stdoutJson: null, effect: 'created' });
    expect(loop.stdout).toMatch(/^\[not JSON-serialisable: /);
    const big = await startModuleCall(async () => ({ effect: 'created', blob: 'x'.repeat(5_000) }), limits).done;
    expect(big).toMatchObject({ exitCode: 0, stdoutJson: null, effect: 'created', outputTruncated: true });
    expect(big.stdout).toHaveLength(limits.maxOutputBytes);
  });

  it('at the timeout the signal aborts and a function that honours it is recorded as killed, with what it said', async () => {
    let reason: unknown;
    const started = performance.now();
    const observed = await startModuleCall(
      (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(Object.assign(new Error('aborted'), { effect: 'unknown' }));
          });
        }),
      { ...limits, timeoutMs: 150 },
    ).done;
    const elapsed = performance.now() - started;
    expect(observed).toMatchObject({ killed: true, killReason: 'timeout', exitCode: 1, effect: 'unknown' });
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('a function that ignores its signal is abandoned after the grace period and keeps running in the background', async () => {
    let finish!: () => void;
    const call = startModuleCall(() => new Promise<void>((resolve) => (finish = resolve)), { ...limits, timeoutMs: 100, graceMs: 50 });
    let settled = false;
    void call.settled.then(() => (settled = true));
    const observed = await call.done;
    expect(observed).toMatchObject({ killed: true, killReason: 'timeout', exitCode: null, effect: null, stdoutJson: null });
    expect(observed.error).toMatch(/did not settle within 100 ms/);
    expect(observed.durationMs).toBeGreaterThanOrEqual(145);
    expect(settled).toBe(false);
    finish();
    await call.settled;
    expect(settled).toBe(true);
  });
});
