import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { killPids, liveDescendants, liveWithEnv, listeningSocketsOf, waitFor, type ListeningSocket } from './proc-table.js';

/**
 * DESIGN.md, "Promises of the harness itself": a whole run never leaves a child
 * process or a listening socket behind, also when the target hangs, is crashed,
 * or leaves a background grandchild. Checked in /proc, not in the harness's books.
 */
const TINY_TARGET = fileURLToPath(new URL('../fixtures/hostile/tiny-target.mjs', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-cleanup-test-'));
const reportsDir = path.join(dir, 'reports');
const TOKEN_VAR = 'RETRYPROOF_TEST_TOKEN';
const tokens: string[] = [];

afterEach(() => {
  for (const token of tokens.splice(0)) killPids(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeScenario(name: string, token: string, mode: 'safe' | 'refuse'): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    YAML.stringify({
      name,
      target: {
        kind: 'command',
        argv: [process.execPath, TINY_TARGET],
        env: {
          UPSTREAM_URL: '{{upstreams.payments.url}}',
          STATE_DIR: '{{case.dir}}/state',
          // No client timeout of its own: a held request hangs the target until the harness kills it.
          REQUEST_TIMEOUT_MS: '60000',
          // Every invocation leaves a background node child holding stdout.
          SPAWN_SLEEPER: '1',
          [TOKEN_VAR]: token,
        },
        // Enough for a normal invocation on a loaded machine; the held request is killed at this point.
        timeoutMs: 4_000,
        killGraceMs: 200,
      },
      upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true, noun: 'charge' } },
      operations: [{ name: 'charge', args: [mode, '--key', '{{key}}', '--amount', '{{input.amount}}'], input: { amount: 5 } }],
      caller: { retries: 1, key: 'same', replay: true },
      faults: ['none', 'timeout-after-commit', 'crash-after-commit'],
      depth: 1,
      holdLimitMs: 8_000,
    }),
  );
  return file;
}

/** Samples the process and socket tables while a run is going on. */
function sampler(token: string) {
  const seen = { targets: 0, sockets: [] as ListeningSocket[] };
  const timer = setInterval(() => {
    seen.targets = Math.max(seen.targets, liveWithEnv(TOKEN_VAR, token).length);
    for (const socket of listeningSocketsOf()) if (!seen.sockets.some((s) => s.inode === socket.inode)) seen.sockets.push(socket);
  }, 25);
  return { seen, stop: () => clearInterval(timer) };
}

describe('after a whole runScenario', () => {
  it('no process it started is alive and no port it opened is listening, after hangs, crashes and leaked grandchildren', async () => {
    const token = randomUUID();
    tokens.push(token);
    const scenario = loadScenario(writeScenario('cleanup', token, 'safe'));
    const socketsBefore = new Set(listeningSocketsOf().map((socket) => socket.inode));
    const childrenBefore = new Set(liveDescendants(process.pid).map((proc) => proc.pid));

    const watch = sampler(token);
    const started = Date.now();
    let result;
    try {
      result = await runScenario(scenario, { reportsDir, depth: 1 });
    } finally {
      watch.stop();
    }
    // About 4 s on an idle machine, 26 s at load 14; the bound only catches a run stuck on a target it should have killed.
    expect(Date.now() - started).toBeLessThan(55_000);

    // The test did observe what it checks for: targets (with grandchildren) and a listening upstream.
    expect(watch.seen.targets).toBeGreaterThanOrEqual(2);
    const opened = watch.seen.sockets.filter((socket) => !socketsBefore.has(socket.inode));
    expect(opened.length).toBeGreaterThanOrEqual(1);
    // It listens on 127.0.0.1 only.
    for (const socket of opened) expect(socket, 'a listening socket not on 127.0.0.1').toMatchObject({ family: 'tcp', address: '127.0.0.1' });

    // The run exercised the hostile paths: a timeout kill and a crash.
    const ids = result.cases.map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining(['charge/timeout-after-commit@payments#1', 'charge/crash-after-commit@payments#1']));

    // Nothing is left (a process already sent SIGKILL gets a moment to leave the table: see command.test.ts).
    await waitFor(() => (liveWithEnv(TOKEN_VAR, token).length === 0 ? true : undefined), 500, 'the run\'s processes to go').catch(() => undefined);
    expect(liveWithEnv(TOKEN_VAR, token), 'processes of the run still alive').toEqual([]);
    expect(liveDescendants(process.pid).filter((proc) => !childrenBefore.has(proc.pid)), 'new children of the test process').toEqual([]);
    const stillListening = listeningSocketsOf().filter((socket) => !socketsBefore.has(socket.inode));
    expect(stillListening, 'sockets still listening').toEqual([]);
    expect(existsSync(path.join(result.runDir, 'ledger.sqlite'))).toBe(true);
  }, 90_000);

  it('leaves nothing behind either when the run fails (the clean run does not succeed)', async () => {
    const token = randomUUID();
    tokens.push(token);
    const scenario = loadScenario(writeScenario('refused', token, 'refuse'));
    const socketsBefore = new Set(listeningSocketsOf().map((socket) => socket.inode));
    const watch = sampler(token);
    let caught: unknown;
    try {
      await runScenario(scenario, { reportsDir, depth: 1 });
    } catch (error) {
      caught = error;
    } finally {
      watch.stop();
    }
    expect(caught).toBeInstanceOf(RetryproofError);
    expect((caught as RetryproofError).code).toBe('BASELINE_FAILED');
    await waitFor(() => (liveWithEnv(TOKEN_VAR, token).length === 0 ? true : undefined), 500, 'the run\'s processes to go').catch(() => undefined);
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
    expect(listeningSocketsOf().filter((socket) => !socketsBefore.has(socket.inode))).toEqual([]);
    // No half-written run folder stays behind.
    const scenarioReports = path.join(reportsDir, 'refused');
    expect(existsSync(scenarioReports) ? readdirSync(scenarioReports) : []).toEqual([]);
  });
});
