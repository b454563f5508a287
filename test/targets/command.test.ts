import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { startCommand, type CommandLimits } from '../../src/targets/command.js';
import { liveGroupCount } from '../../src/targets/process-group.js';
import type { Observation } from '../../src/targets/target.js';
import { isAlive, killPids, liveInGroup, liveWithEnv, readJsonIfPresent, waitFor } from './proc-table.js';

const NODE = process.execPath;
const HOSTILE = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));
const fixture = (name: string): string => path.join(HOSTILE, name);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'retryproof-command-test-'));

const LIMITS: CommandLimits = { timeoutMs: 10_000, killGraceMs: 500, maxOutputBytes: 1024 * 1024 };

/** Every process a test starts carries a token in its environment, so leftovers can be found (and cleaned up). */
const tokens: string[] = [];

function start(argv: string[], limits: Partial<CommandLimits> = {}, extraEnv: Record<string, string> = {}) {
  const token = randomUUID();
  tokens.push(token);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', RETRYPROOF_TEST_TOKEN: token, ...extraEnv };
  return { running: startCommand({ argv, env, cwd: tmp }, { ...LIMITS, ...limits }), token };
}

function run(argv: string[], limits: Partial<CommandLimits> = {}, extraEnv: Record<string, string> = {}) {
  return start(argv, limits, extraEnv).running;
}

interface PidFile {
  pid: number;
  children: number[];
}

afterAll(() => {
  // A failed test must not leak its processes into the rest of the suite.
  for (const token of tokens) killPids(liveWithEnv('RETRYPROOF_TEST_TOKEN', token).map((proc) => proc.pid));
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * How long a process that was already sent SIGKILL may take to leave the process table. `done`
 * should resolve only once every process of the group is gone (target.ts says so), but command.ts
 * resolves right after sending SIGKILL, so on a loaded machine a child that does not hold the
 * output pipes can still be exiting for a few milliseconds. A process that was never killed
 * (a `sleep 300`) is still caught.
 */
const SIGKILL_SETTLE_MS = 500;

/** Checked in the process table: nothing of the target's group, nor anything carrying its token, is alive. */
async function expectAllGone(pids: PidFile, token: string): Promise<void> {
  const gone = (): true | undefined =>
    liveInGroup(pids.pid).length === 0 && !pids.children.some(isAlive) && liveWithEnv('RETRYPROOF_TEST_TOKEN', token).length === 0 ? true : undefined;
  await waitFor(gone, SIGKILL_SETTLE_MS, 'the target group to leave the process table').catch(() => undefined);
  expect(liveInGroup(pids.pid), 'live processes left in the target process group').toEqual([]);
  // Every fixture here starts children: an empty list would make the next line check nothing.
  expect(pids.children.length, 'children the target reported').toBeGreaterThan(0);
  for (const child of pids.children) expect(isAlive(child), `child ${child} is still alive`).toBe(false);
  expect(liveWithEnv('RETRYPROOF_TEST_TOKEN', token), 'live processes carrying the test token').toEqual([]);
}

describe('startCommand: argv, never a shell', () => {
  it('passes every argument to the target verbatim', async () => {
    const marker = path.join(tmp, 'injected');
    const args = [
      ';',
      `; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      '$(echo hi)',
      '&& echo hi',
      '| cat',
      '> out.txt',
      "'single quoted'",
      '"double quoted"',
      'it\'s "mixed"',
      '*',
      '*.mjs',
      '~',
      '$HOME',
      '${PATH}',
      'line one\nline two\n',
      '',
      '  spaced  ',
      'tab\there',
      '\\backslash\\',
      'ünïcødé ✓',
    ];
    const observed = await run([NODE, fixture('echo-argv.mjs'), ...args], {}, { PROBE: `$(touch ${marker}); echo "x"` }).done;
    expect(observed.exitCode).toBe(0);
    expect(observed.stdoutJson).toEqual({ argv: args, env: { PROBE: `$(touch ${marker}); echo "x"` }, cwd: tmp });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(tmp, 'out.txt'))).toBe(false);
  });

  it('reports a clean exit plainly', async () => {
    const observed = await run([NODE, fixture('echo-argv.mjs')]).done;
    expect(observed).toMatchObject({
      exitCode: 0,
      signal: null,
      killed: false,
      killReason: null,
      stderr: '',
      effect: null,
      outputTruncated: false,
    });
    // Starting node takes tens of milliseconds at least; a hang would take seconds.
    expect(observed.durationMs).toBeGreaterThan(0);
    expect(observed.durationMs).toBeLessThan(30_000);
  });
});

describe('startCommand: output', () => {
  it('parses stdout that is JSON and reads its effect', async () => {
    const observed = await run([NODE, fixture('print.mjs'), '{\n  "effect": "created",\n  "id": "ch_1"\n}\n']).done;
    expect(observed.stdoutJson).toEqual({ effect: 'created', id: 'ch_1' });
    expect(observed.effect).toBe('created');
  });

  it('parses the last line when the target logs first', async () => {
    const observed = await run([NODE, fixture('print.mjs'), 'calling payments\nretrying\n{"effect":"noop"}\n', 'some warning\n', '0']).done;
    expect(observed.stdoutJson).toEqual({ effect: 'noop' });
    expect(observed.effect).toBe('noop');
    expect(observed.stdout).toBe('calling payments\nretrying\n{"effect":"noop"}\n');
    expect(observed.stderr).toBe('some warning\n');
  });

  it('keeps non-JSON output raw, with no JSON and no effect, and reports the exit code', async () => {
    const observed = await run([NODE, fixture('print.mjs'), 'order created: ch_1\n{"effect": broken\n', 'boom\n', '3']).done;
    expect(observed.exitCode).toBe(3);
    expect(observed.signal).toBeNull();
    expect(observed.stdout).toBe('order created: ch_1\n{"effect": broken\n');
    expect(observed.stdoutJson).toBeNull();
    expect(observed.effect).toBeNull();
    expect(observed.stderr).toBe('boom\n');
  });

  it('bounds a 20 MB stdout flood to maxOutputBytes and still finishes promptly', async () => {
    const maxOutputBytes = 64 * 1024;
    const started = Date.now();
    const observed = await run([NODE, fixture('flood.mjs'), String(20 * 1024 * 1024), 'stdout'], { maxOutputBytes }).done;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(observed.exitCode).toBe(0);
    expect(observed.killed).toBe(false);
    expect(observed.outputTruncated).toBe(true);
    expect(Buffer.byteLength(observed.stdout)).toBe(maxOutputBytes);
    expect(observed.stdout).toBe('x'.repeat(maxOutputBytes));
    expect(observed.stdoutJson).toBeNull();
  });

  it('bounds stdout and stderr separately when both flood', async () => {
    const maxOutputBytes = 10_000;
    const observed = await run([NODE, fixture('flood.mjs'), String(4 * 1024 * 1024), 'both'], { maxOutputBytes }).done;
    expect(observed.exitCode).toBe(0);
    expect(observed.outputTruncated).toBe(true);
    expect(Buffer.byteLength(observed.stdout)).toBe(maxOutputBytes);
    expect(Buffer.byteLength(observed.stderr)).toBe(maxOutputBytes);
  });

  it('says nothing was truncated when the output fits exactly', async () => {
    const observed = await run([NODE, fixture('flood.mjs'), '1000', 'stdout'], { maxOutputBytes: 1000 }).done;
    expect(observed.stdout).toHaveLength(1000);
    expect(observed.outputTruncated).toBe(false);
  });

  it('kills a target that floods without end at its timeout, with bounded output', async () => {
    const maxOutputBytes = 32 * 1024;
    const started = Date.now();
    const observed = await run([NODE, fixture('flood.mjs'), '0', 'stdout', 'forever'], { timeoutMs: 1_000, killGraceMs: 300, maxOutputBytes }).done;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(observed.killed).toBe(true);
    expect(observed.killReason).toBe('timeout');
    expect(observed.outputTruncated).toBe(true);
    expect(Buffer.byteLength(observed.stdout)).toBe(maxOutputBytes);
  });
});

// These tests mostly wait for timeouts, so they run side by side.
describe.concurrent('startCommand: signals and kills', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('reports an exit by %s (not as a harness kill)', async (signal) => {
    const observed = await run([NODE, fixture('signal-self.mjs'), signal]).done;
    expect(observed.exitCode).toBeNull();
    expect(observed.signal).toBe(signal);
    expect(observed.killed).toBe(false);
    expect(observed.killReason).toBeNull();
    expect(observed.stdout).toBe('about to die\n');
  });

  it('kills a hanging target at its timeout together with its children (checked in the process table)', async () => {
    const pidfile = path.join(tmp, `hang-${randomUUID()}.json`);
    const timeoutMs = 3_000;
    const { running, token } = start([NODE, fixture('hang-with-children.mjs'), pidfile], { timeoutMs, killGraceMs: 500 });
    const pids = await waitFor(() => readJsonIfPresent<PidFile>(pidfile), timeoutMs, 'the target to start its children');
    // The target leads its own group, and its children are in it, alive.
    const group = liveInGroup(pids.pid).map((proc) => proc.pid);
    expect(group).toContain(pids.pid);
    expect(pids.children.length).toBeGreaterThan(0);
    for (const child of pids.children) expect(group).toContain(child);

    const observed = await running.done;
    expect(observed.killed).toBe(true);
    expect(observed.killReason).toBe('timeout');
    expect(observed.signal).toBe('SIGTERM');
    expect(observed.exitCode).toBeNull();
    expect(observed.durationMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(observed.durationMs).toBeLessThan(timeoutMs + 5_000);
    expect(observed.stdout).toContain(`started ${pids.pid}`);
    await expectAllGone(pids, token);
  });

  it('SIGKILLs a target that ignores SIGTERM after killGraceMs, children included', async () => {
    const pidfile = path.join(tmp, `ignore-${randomUUID()}.json`);
    const timeoutMs = 2_500;
    const killGraceMs = 700;
    const { running, token } = start([NODE, fixture('hang-with-children.mjs'), pidfile, 'ignore-term'], { timeoutMs, killGraceMs });
    const pids = await waitFor(() => readJsonIfPresent<PidFile>(pidfile), timeoutMs, 'the target to start its children');
    const observed = await running.done;
    expect(observed.killed).toBe(true);
    expect(observed.killReason).toBe('timeout');
    expect(observed.signal).toBe('SIGKILL');
    // It got SIGTERM first, ignored it, and lived through the grace period.
    expect(observed.stderr).toContain('ignoring SIGTERM');
    expect(observed.durationMs).toBeGreaterThanOrEqual(timeoutMs + killGraceMs - 50);
    expect(observed.durationMs).toBeLessThan(timeoutMs + killGraceMs + 5_000);
    await expectAllGone(pids, token);
  });

  it('resolves promptly when the target exits but a background grandchild holds stdout, and kills the grandchild', async () => {
    const pidfile = path.join(tmp, `holder-${randomUUID()}.json`);
    const started = Date.now();
    const { running, token } = start([NODE, fixture('exit-leaving-holder.mjs'), pidfile]);
    const observed = await running.done;
    // The grandchild sleeps 300 s: "promptly" means the harness did not wait for it.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(observed.exitCode).toBe(0);
    expect(observed.killed).toBe(false);
    expect(observed.effect).toBe('created');
    const pids = readJsonIfPresent<PidFile>(pidfile)!;
    expect(pids.children).toHaveLength(1);
    expect((observed.stdoutJson as { holder: number }).holder).toBe(pids.children[0]);
    await expectAllGone(pids, token);
  });

  it('crash() SIGKILLs the target and its group at once', async () => {
    const pidfile = path.join(tmp, `crash-${randomUUID()}.json`);
    const { running, token } = start([NODE, fixture('hang-with-children.mjs'), pidfile, 'ignore-term'], { timeoutMs: 30_000, killGraceMs: 5_000 });
    const pids = await waitFor(() => readJsonIfPresent<PidFile>(pidfile), 10_000, 'the target to start its children');
    const crashedAt = Date.now();
    running.crash();
    const observed = await running.done;
    // At once: well before the 5 s grace a SIGTERM would have had to wait out.
    expect(Date.now() - crashedAt).toBeLessThan(3_000);
    expect(observed.killed).toBe(true);
    expect(observed.killReason).toBe('crash');
    expect(observed.signal).toBe('SIGKILL');
    expect(observed.exitCode).toBeNull();
    await expectAllGone(pids, token);
  });
});

describe('startCommand: a target that cannot start', () => {
  async function spawnError(promise: Promise<Observation>): Promise<RetryproofError> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }

  it('rejects a missing program with TARGET_SPAWN_FAILED naming it', async () => {
    const error = await spawnError(run(['retryproof-no-such-program-42', 'arg']).done);
    expect(error.code).toBe('TARGET_SPAWN_FAILED');
    expect(error.message).toContain('retryproof-no-such-program-42');
    expect(error.message).toContain('ENOENT');
    expect(error.where.field).toBe('target.argv[0]');
    expect(error.fix).toBeTruthy();
    expect(liveGroupCount()).toBe(0);
  });

  it('rejects a missing program given by path', async () => {
    const error = await spawnError(run([path.join(tmp, 'nowhere', 'tool')]).done);
    expect(error.code).toBe('TARGET_SPAWN_FAILED');
  });

  it('rejects a file that is not executable', async () => {
    const file = path.join(tmp, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const error = await spawnError(run([file]).done);
    expect(error.code).toBe('TARGET_SPAWN_FAILED');
    expect(error.message).toContain('EACCES');
  });

  it('refuses an empty argv', () => {
    expect(() => startCommand({ argv: [], env: {}, cwd: tmp }, LIMITS)).toThrow(RetryproofError);
    try {
      startCommand({ argv: [], env: {}, cwd: tmp }, LIMITS);
    } catch (error) {
      expect((error as RetryproofError).code).toBe('TARGET_SPAWN_FAILED');
    }
  });
});
