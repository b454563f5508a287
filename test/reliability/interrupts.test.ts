/**
 * DESIGN.md, "Promises of the harness itself": also when the harness is
 * interrupted it leaves no child process and no listening socket behind, and
 * an interrupted run keeps a report of what finished.
 *
 * `retryproof run` and `retryproof explore` run as child processes over a
 * slow target (test/fixtures/hostile/slow-target.mjs: each invocation sleeps,
 * forks a helper, records its start). Once the first case has finished and
 * the next is mid-invocation, the test sends SIGINT or SIGTERM, and checks:
 * exit 130/143 soon; report.json parses, is marked `complete: false` and
 * holds the cases that finished; no target invocation started after the
 * signal; nothing carrying the run's env token is alive; the upstream's port
 * is closed. A second SIGINT right after the first exits at once, and also
 * leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import {
  assertBuilt,
  isAlive,
  isListening,
  killToken,
  poll,
  records,
  runFolders,
  sleep,
  slowScenario,
  startCli,
  survivors,
  type SlowRecord,
} from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-interrupts-'));
const tmp = path.join(dir, 'tmp');
const tokens: string[] = [];
beforeAll(assertBuilt);
afterAll(() => {
  for (const token of tokens) killToken(token);
  rmSync(dir, { recursive: true, force: true });
});

const EXIT_OF = { SIGINT: 130, SIGTERM: 143 } as const;
/** Each invocation sleeps this long before it talks to the upstream: long enough to be interrupted mid-way. */
const SLEEP_MS = 400;
/** Baseline (1) + the `none` case (attempt, replay): the 4th invocation belongs to the second case. */
const STARTS_BEFORE_SIGNAL = 4;

interface Interrupted {
  token: string;
  logDir: string;
  reports: string;
  name: string;
  /** Target pids that had started when the signal was sent. */
  startedBeforeSignal: Set<number>;
  signalledAt: number;
  exit: { status: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  output: string;
}

/**
 * Starts `retryproof COMMAND` over the slow scenario, waits until the first case
 * has finished and an invocation of the next one is sleeping, then sends the
 * signals (`gapMs` apart), and waits for the exit.
 */
async function interrupt(command: 'run' | 'explore', signals: NodeJS.Signals[], gapMs = 0): Promise<Interrupted> {
  const token = randomUUID();
  tokens.push(token);
  const name = `interrupt-${command}-${signals.join('-').toLowerCase()}`;
  const logDir = path.join(dir, `${name}-log`);
  const reports = path.join(dir, `${name}-reports`);
  mkdirSync(logDir, { recursive: true });
  const file = path.join(dir, `${name}.yaml`);
  const faults = command === 'run' ? ['none', '503-before-commit', '503-after-commit', '500-after-commit'] : ['503-before-commit', '503-after-commit', '500-after-commit'];
  writeFileSync(file, YAML.stringify(slowScenario({ name, logDir, token, sleepMs: SLEEP_MS, faults })));
  // One lane: the signal is sent while its one invocation sleeps, so no other lane is spawning one at that moment.
  const args = command === 'run' ? ['run', file, '--reports', reports, '--concurrency', '1'] : ['explore', file, '--runs', '40', '--seed', '7', '--reports', reports, '--concurrency', '1'];
  const cli = startCli(args, { cwd: dir, tmp });
  let exit: Interrupted['exit'];
  void cli.exited.then((value) => (exit = value));
  const starts = (): SlowRecord[] => records<SlowRecord>(logDir, '.start.json');
  const ready = await poll(() => (starts().length >= STARTS_BEFORE_SIGNAL || exit ? true : undefined), 45_000);
  if (!ready || exit) {
    cli.child.kill('SIGKILL');
    throw new Error(`the run did not reach its ${STARTS_BEFORE_SIGNAL}th invocation (exit ${JSON.stringify(exit)}):\n${cli.output()}`);
  }
  // Now an invocation of the second case is starting; let it get into its sleep.
  await sleep(100);
  const before = starts();
  const startedBeforeSignal = new Set(before.map((record) => record.pid));
  const signalledAt = Date.now();
  for (const [i, signal] of signals.entries()) {
    if (i > 0) await sleep(gapMs);
    cli.child.kill(signal);
  }
  await Promise.race([cli.exited, sleep(30_000)]);
  if (!exit) cli.child.kill('SIGKILL');
  return { token, logDir, reports, name, startedBeforeSignal, signalledAt, exit, output: cli.output() };
}

/** Nothing of the run survived: its processes (env token, recorded pids and helpers) and the upstream's port. */
async function expectNothingLeft(expect: ExpectStatic, run: Interrupted): Promise<void> {
  const starts = records<SlowRecord>(run.logDir, '.start.json');
  expect.soft(await survivors(run.token), `processes left after ${run.name}`).toEqual([]);
  const pids = starts.flatMap((record) => [record.pid, ...(record.helper ? [record.helper] : [])]);
  expect.soft(pids.filter((pid) => isAlive(pid)), 'recorded target and helper pids still alive').toEqual([]);
  const ports = [...new Set(starts.map((record) => record.upstreamPort).filter((port): port is number => port !== null))];
  expect(ports.length).toBeGreaterThan(0);
  expect.soft(ports.filter((port) => isListening(port)), 'upstream ports still listening (/proc/net/tcp)').toEqual([]);
}

interface ReportJson {
  complete: boolean;
  cases: Array<{ id: string; verdict: string; checks: unknown[] }>;
  verdicts: { complete: boolean; cases: Array<{ id: string }> };
}

function readReport(expect: ExpectStatic, run: Interrupted): { folder: string; report: ReportJson } {
  const folders = runFolders(run.reports, run.name);
  expect(folders, `one run folder\n${run.output}`).toHaveLength(1);
  const file = path.join(folders[0]!, 'report.json');
  expect(existsSync(file), `report.json written after the interrupt\n${run.output}`).toBe(true);
  return { folder: folders[0]!, report: JSON.parse(readFileSync(file, 'utf8')) as ReportJson };
}

describe.concurrent('an interrupted run or explore', { timeout: 90_000 }, () => {
  it.for([
    ['run', 'SIGINT'],
    ['run', 'SIGTERM'],
    ['explore', 'SIGINT'],
    ['explore', 'SIGTERM'],
  ] as const)('%s + %s: stops the targets, writes an incomplete report of what finished, exits 128+n, leaves nothing', async ([command, signal], { expect }) => {
    const run = await interrupt(command, [signal]);
    expect(run.exit, `the CLI exits after ${signal}\n${run.output}`).toBeDefined();
    expect(run.exit!.status, run.output).toBe(EXIT_OF[signal]);
    // "Soon": the targets are killed and nothing new starts; a generous bound against a loaded machine.
    expect(run.exit!.at - run.signalledAt, 'time from the signal to the exit').toBeLessThan(10_000);
    expect(run.output).not.toContain('    at ');

    const { report } = readReport(expect, run);
    expect(report.complete).toBe(false);
    expect(report.verdicts.complete).toBe(false);
    expect(report.cases.length, 'the cases that finished before the signal').toBeGreaterThanOrEqual(1);
    for (const item of report.cases) {
      expect(item.verdict).toMatch(/^(pass|fail)$/);
      expect(item.checks.length).toBeGreaterThan(0);
    }
    if (command === 'run') expect(report.cases.map((item) => item.id)).toContain('charge/none');
    expect(report.verdicts.cases.map((item) => item.id)).toEqual(report.cases.map((item) => item.id));

    // Stopping the targets means no new one starts: the caller must not retry an invocation the interrupt killed.
    const late = records<SlowRecord>(run.logDir, '.start.json').filter((record) => !run.startedBeforeSignal.has(record.pid) && record.at >= run.signalledAt);
    expect.soft(late, 'target invocations started after the signal').toEqual([]);
    await expectNothingLeft(expect, run);
  });

  it.for(['run', 'explore'] as const)('%s + SIGINT twice: the second exits at once, and nothing is left either', async (command, { expect }) => {
    const run = await interrupt(command, ['SIGINT', 'SIGINT'], 50);
    expect(run.exit, run.output).toBeDefined();
    expect(run.exit!.status, run.output).toBe(130);
    expect(run.exit!.at - run.signalledAt, 'the second SIGINT exits at once').toBeLessThan(5_000);
    expect(run.output).toMatch(/again/i);
    expect(run.output).not.toContain('    at ');
    // The run had begun (its folder holds at least the ledger being written), and a report in it, if any, is whole.
    const folders = runFolders(run.reports, run.name);
    expect(folders, 'the run folder').toHaveLength(1);
    const files = readdirSync(folders[0]!);
    expect(files, 'what the run folder holds').not.toEqual([]);
    expect(files.filter((name) => !/^(report\.json|junit\.xml|report\.html|ledger\.sqlite|\.ledger\.sqlite\.partial(-journal|-wal|-shm)?)$/.test(name) && !name.endsWith('.tmp')), 'unexpected files').toEqual([]);
    const reports = files.filter((name) => name === 'report.json');
    for (const name of reports) expect(() => JSON.parse(readFileSync(path.join(folders[0]!, name), 'utf8')), name).not.toThrow();
    await expectNothingLeft(expect, run);
  });
});
