/**
 * DESIGN.md, "Promises of the harness itself": the harness never leaves a
 * child process or a listening socket behind, also when a target hangs,
 * floods its output, or prints non-JSON; such a target is a recorded
 * observation (or, if even its clean run fails, exit-2 configuration), never
 * a hung run.
 *
 * Each hostile target (test/fixtures/hostile/misbehave-later.mjs MODE)
 * behaves on the first invocation of a case and misbehaves afterwards, so the
 * clean run (the baseline) succeeds and the caller's replay in the `none`
 * case meets the hostility. A whole runScenario runs over it, and then:
 * the run ended within its timeouts; the ledger (ledger.sqlite, read with
 * better-sqlite3) holds the observation; nothing the run started is alive
 * (the process table, by an env token every descendant inherits, and by the
 * pids the target recorded) and no port it opened is listening (/proc/net/tcp).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import { HOSTILE, isAlive, isListening, killToken, records, survivors, TOKEN_VAR } from './helpers.js';

const MISBEHAVE = path.join(HOSTILE, 'misbehave-later.mjs');
const HANGS = ['hang', 'ignore-term'];
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-hostile-'));
const reportsDir = path.join(dir, 'reports');
const tokens: string[] = [];
afterAll(() => {
  for (const token of tokens) killToken(token);
  rmSync(dir, { recursive: true, force: true });
});

interface TargetRecord {
  pid: number;
  mode: string;
  invocation: number;
  misbehaves: boolean;
  upstreamPort: number | null;
  children: number[];
  ports: number[];
}

interface InvocationRecord {
  case_id: string;
  seq: number;
  role: string;
  killed: number;
  kill_reason: string | null;
  exit_code: number | null;
  signal: string | null;
  output_truncated: number;
  stdout_len: number;
  stdout_head: string;
  stdout_json: string | null;
  effect: string | null;
  duration_ms: number;
}

interface Limits {
  timeoutMs?: number;
  killGraceMs?: number;
  maxOutputBytes?: number;
  /** 1: misbehave from the clean run on (a target that never succeeds). */
  misbehaveFrom?: number;
}

/** A scenario of one operation, faults [none], depth 1, probes off: a baseline and one `none` case (attempt + replay). */
function hostileRun(mode: string, limits: Limits = {}) {
  const token = randomUUID();
  tokens.push(token);
  const name = `hostile-${mode}${limits.misbehaveFrom === 1 ? '-always' : ''}`;
  const pidDir = path.join(dir, `${name}-pids`);
  mkdirSync(pidDir, { recursive: true });
  const file = path.join(dir, `${name}.yaml`);
  // Hanging modes wait out this timeout; the others get room for a slow start on a loaded machine.
  const timeoutMs = limits.timeoutMs ?? (HANGS.includes(mode) ? 3_000 : 8_000);
  const killGraceMs = limits.killGraceMs ?? 300;
  writeFileSync(
    file,
    YAML.stringify({
      name,
      target: {
        kind: 'command',
        argv: [process.execPath, MISBEHAVE, mode],
        env: {
          COUNTER_DIR: '{{case.dir}}',
          PID_DIR: pidDir,
          UPSTREAM_URL: '{{upstreams.payments.url}}',
          MISBEHAVE_FROM: String(limits.misbehaveFrom ?? 2),
          [TOKEN_VAR]: token,
        },
        timeoutMs,
        killGraceMs,
        ...(limits.maxOutputBytes ? { maxOutputBytes: limits.maxOutputBytes } : {}),
      },
      upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true } },
      operations: [{ name: 'op' }],
      caller: { retries: 0, replay: true },
      faults: ['none'],
      depth: 1,
      probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
      checks: ['no-duplicate-effects', 'exit-codes'],
      holdLimitMs: 2_000,
    }),
  );
  return { token, name, pidDir, timeoutMs, killGraceMs, scenario: loadScenario(file) };
}

function invocations(runDir: string, caseId: string): InvocationRecord[] {
  const db = new Database(path.join(runDir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT case_id, seq, role, killed, kill_reason, exit_code, signal, output_truncated, length(stdout) AS stdout_len,
                substr(stdout, 1, 200) AS stdout_head, stdout_json, effect, duration_ms
         FROM invocations WHERE case_id = ? ORDER BY id`,
      )
      .all(caseId) as InvocationRecord[];
  } finally {
    db.close();
  }
}

/** Nothing of the run is alive, and no port it or its targets opened is listening: from /proc only. */
async function expectNothingLeft(expect: ExpectStatic, token: string, pidDir: string): Promise<void> {
  const targets = records<TargetRecord>(pidDir);
  expect(targets.length, 'the target recorded its invocations').toBeGreaterThan(0);
  expect.soft(await survivors(token), 'processes of the run still alive (env token)').toEqual([]);
  const pids = targets.flatMap((record) => [record.pid, ...record.children]);
  expect.soft(pids.filter((pid) => isAlive(pid)), 'recorded target pids still alive').toEqual([]);
  const ports = [...new Set(targets.flatMap((record) => [...(record.upstreamPort ? [record.upstreamPort] : []), ...record.ports]))];
  expect(ports.length, 'the upstream port is known').toBeGreaterThan(0);
  expect.soft(ports.filter((port) => isListening(port)), 'ports still listening (/proc/net/tcp)').toEqual([]);
}

/** Runs the scenario, and returns the `none` case's invocations from the ledger, the replay last. */
async function runHostile(expect: ExpectStatic, mode: string, limits: Limits = {}) {
  const run = hostileRun(mode, limits);
  const started = Date.now();
  const result = await runScenario(run.scenario, { reportsDir });
  const elapsedMs = Date.now() - started;
  expect(result.complete).toBe(true);
  expect(existsSync(path.join(result.runDir, 'report.json'))).toBe(true);
  const rows = invocations(result.runDir, 'op/none');
  expect(rows.map((row) => row.role), 'the none case: an attempt that behaves, then the replay that misbehaves').toEqual(['attempt', 'replay']);
  expect(rows[0]).toMatchObject({ exit_code: 0, killed: 0 });
  return { ...run, result, elapsedMs, replay: rows[1]! };
}

describe.concurrent('hostile targets through a whole runScenario', { timeout: 60_000 }, () => {
  it('one that hangs (with a child holding its stdout): killed at its timeout, recorded, nothing left', async ({ expect }) => {
    const run = await runHostile(expect, 'hang');
    expect(run.replay).toMatchObject({ killed: 1, kill_reason: 'timeout', exit_code: null, signal: 'SIGTERM' });
    expect(run.replay.duration_ms).toBeGreaterThanOrEqual(run.timeoutMs - 50);
    // Three invocations, one of which waits out its timeout: far below "forever".
    expect(run.elapsedMs).toBeLessThan(3 * (run.timeoutMs + run.killGraceMs) + 20_000);
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that ignores SIGTERM (it and its child): SIGKILLed after the grace period, recorded, nothing left', async ({ expect }) => {
    const run = await runHostile(expect, 'ignore-term');
    expect(run.replay).toMatchObject({ killed: 1, kill_reason: 'timeout', exit_code: null, signal: 'SIGKILL' });
    expect(run.replay.duration_ms).toBeGreaterThanOrEqual(run.timeoutMs + run.killGraceMs - 50);
    expect(run.elapsedMs).toBeLessThan(3 * (run.timeoutMs + run.killGraceMs) + 20_000);
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that forks grandchildren (holding its pipes) and exits: its exit is recorded at once, the grandchildren die', async ({ expect }) => {
    const run = await runHostile(expect, 'grandchildren-exit');
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, signal: null, effect: 'created' });
    // Not held up by the grandchildren that keep stdout open (they would live 1e6 s), and not killed.
    expect(run.replay.duration_ms).toBeLessThan(run.timeoutMs);
    expect(run.replay.stdout_head).toContain('leftBehind');
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that starts a daemon in its own session (detached) listening on 127.0.0.1, and exits: the daemon is gone too', async ({ expect }) => {
    const run = await runHostile(expect, 'detached-grandchild');
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, effect: 'created' });
    const daemon = records<TargetRecord>(run.pidDir).find((record) => record.misbehaves);
    expect(daemon?.ports.length, 'the daemon reported its port').toBe(1);
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that prints 100 MB to stdout: drained, bounded, marked truncated, nothing left', async ({ expect }) => {
    const maxOutputBytes = 64 * 1024;
    const run = await runHostile(expect, 'flood', { maxOutputBytes, timeoutMs: 20_000 });
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, output_truncated: 1 });
    expect(run.replay.stdout_len).toBeGreaterThan(0);
    expect(run.replay.stdout_len).toBeLessThanOrEqual(maxOutputBytes);
    expect(run.replay.stdout_head).toMatch(/^x+$/);
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that prints invalid JSON: kept raw, no JSON, no effect', async ({ expect }) => {
    const run = await runHostile(expect, 'invalid-json');
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, stdout_json: null, effect: null });
    expect(run.replay.stdout_head).toBe('{"effect": "created", "id": \n  oops, this is not JSON }\n');
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that exits by a signal (SIGHUP): recorded as a signal, not as a kill or an exit code', async ({ expect }) => {
    const run = await runHostile(expect, 'signal');
    expect(run.replay).toMatchObject({ killed: 0, kill_reason: null, exit_code: null, signal: 'SIGHUP' });
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that reads stdin to its end: stdin is closed, so it does not hang', async ({ expect }) => {
    const run = await runHostile(expect, 'stdin-eof');
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, effect: 'created' });
    expect(JSON.parse(run.replay.stdout_json!)).toMatchObject({ stdinBytes: 0 });
    await expectNothingLeft(expect, run.token, run.pidDir);
  });

  it('one that never reads stdin and writes more than a pipe holds: completes, output kept', async ({ expect }) => {
    const run = await runHostile(expect, 'ignore-stdin');
    expect(run.replay).toMatchObject({ killed: 0, exit_code: 0, effect: 'created', output_truncated: 0 });
    expect(run.replay.stdout_len).toBeGreaterThan(256 * 1024);
    await expectNothingLeft(expect, run.token, run.pidDir);
  });
});

describe.concurrent('targets that never succeed: exit-2 configuration (BASELINE_FAILED), and still nothing left', { timeout: 60_000 }, () => {
  async function expectBaselineFailed(expect: ExpectStatic, mode: string, how: RegExp): Promise<void> {
    const run = hostileRun(mode, { misbehaveFrom: 1 });
    const started = Date.now();
    let caught: unknown;
    try {
      await runScenario(run.scenario, { reportsDir });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RetryproofError);
    const error = caught as RetryproofError;
    expect(error.code).toBe('BASELINE_FAILED');
    expect(error.where).toMatchObject({ field: 'operations[0]' });
    expect(error.message).toMatch(how);
    expect(Date.now() - started).toBeLessThan(run.timeoutMs + run.killGraceMs + 20_000);
    // No half-written run folder stays behind.
    const folder = path.join(reportsDir, run.name);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    await expectNothingLeft(expect, run.token, run.pidDir);
  }

  it('always hangs', ({ expect }) => expectBaselineFailed(expect, 'hang', /killed \(timeout\)/));
  it('always ignores SIGTERM', ({ expect }) => expectBaselineFailed(expect, 'ignore-term', /killed \(timeout\)/));
  it('always dies by a signal', ({ expect }) => expectBaselineFailed(expect, 'signal', /SIGHUP/));
});
