/**
 * DESIGN.md, "Promises of the harness itself": reports are written atomically
 * (temporary file, then rename), so an interrupted run leaves either the old
 * report or the new one, never half of one; and no child process is left
 * behind.
 *
 * The harshest interruption is SIGKILL: no handler runs. `retryproof run` is
 * spawned over a small scenario and SIGKILLed after a delay drawn from a
 * seeded sequence (see KillAt), 15 times (three at a time). Then every report file in the run
 * folder — report.json, junit.xml and report.html where present, and
 * ledger.sqlite — is either absent or whole and parseable; and (a separate
 * test, so one promise does not hide the other) no process the run started is
 * still alive: SIGKILL cannot run the harness's cleanup, so only a mechanism
 * that does not depend on it (targets watching a pipe from the harness, or a
 * reaper process) keeps this promise.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, killToken, poll, records, runFolders, seededRandom, sleep, slowScenario, startCli, survivors, type SlowRecord } from './helpers.js';

const SEED = 20_251_125;
const ITERATIONS = 15;
const PARALLEL = 3;
/**
 * When to kill, drawn from the seeded sequence: a fifth of the kills land in the
 * CLI's start-up (up to EARLY_MS after the spawn: loading, validating, opening
 * the run); half land up to LATE_MS after the first target invocation started
 * (mid-run); the rest land up to WRITE_MS after ledger.sqlite appears in the run
 * folder, which is the moment the run finishes and writes report.json. Counting
 * from what the run has done, not from the spawn, keeps the mix the same on a
 * loaded machine.
 */
const EARLY_SHARE = 0.2;
const MID_SHARE = 0.5;
const EARLY_MS = 700;
const LATE_MS = 4_000;
const WRITE_MS = 40;
interface KillAt {
  /** 'exit': not killed (the run ends on its own), so every report file is there to be checked at least once. */
  from: 'spawn' | 'first-invocation' | 'ledger-renamed' | 'exit';
  delayMs: number;
}
/** The files of a finished run folder, each checked by checkFile. */
const REPORT_FILES = ['junit.xml', 'ledger.sqlite', 'report.html', 'report.json'];

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-sigkill-'));
const tmp = path.join(dir, 'tmp');
const tokens: string[] = [];

interface Iteration {
  index: number;
  killAt: KillAt;
  delayMs: number;
  /** Target invocations that had started when the harness was killed. */
  started: number;
  /** What the run folder held, by file name. */
  files: string[];
  /** Problems with report files that were present (a half-written file). */
  broken: string[];
  /** Temporary files left by an interrupted atomic write (litter, not a broken report). */
  temporaries: string[];
  survivors: Array<{ pid: number; cmdline: string }>;
}

const iterations: Iteration[] = [];

/** A report file is whole: report.json parses into a report; XML and HTML are closed; the ledger passes integrity_check. */
function checkFile(file: string): string | undefined {
  const name = path.basename(file);
  try {
    if (name === 'report.json') {
      const report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (typeof report.schemaVersion !== 'number' || !Array.isArray(report.cases) || typeof report.verdicts !== 'object') return `${name}: parses but is not a report`;
      return undefined;
    }
    if (name === 'junit.xml') {
      const text = readFileSync(file, 'utf8').trim();
      const root = /<(testsuites|testsuite)\b/.exec(text)?.[1];
      return root && text.endsWith(`</${root}>`) ? undefined : `${name}: not a closed <testsuites> document`;
    }
    if (name === 'report.html') {
      return /<\/html>$/i.test(readFileSync(file, 'utf8').trim()) ? undefined : `${name}: does not end with </html>`;
    }
    if (name === 'ledger.sqlite') {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        const check = db.pragma('integrity_check', { simple: true });
        if (check !== 'ok') return `${name}: integrity_check says ${String(check)}`;
        db.prepare('SELECT count(*) FROM cases').get();
        return undefined;
      } finally {
        db.close();
      }
    }
  } catch (error) {
    return `${name}: ${(error as Error).message}`;
  }
  return undefined;
}

async function iteration(index: number, killAt: KillAt): Promise<Iteration> {
  const token = randomUUID();
  tokens.push(token);
  const name = `sigkill-${index}`;
  const logDir = path.join(dir, `${name}-log`);
  const reports = path.join(dir, `${name}-reports`);
  mkdirSync(logDir, { recursive: true });
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, YAML.stringify(slowScenario({ name, logDir, token, sleepMs: 50, faults: ['none', '503-after-commit'] })));
  const spawnedAt = Date.now();
  const cli = startCli(['run', file, '--reports', reports, '--quiet'], { cwd: dir, tmp });
  let exited = false;
  void cli.exited.then(() => (exited = true));
  if (killAt.from === 'first-invocation') {
    await poll(() => (exited || records<SlowRecord>(logDir, '.start.json').length > 0 ? true : undefined), 30_000, 10);
  }
  if (killAt.from === 'ledger-renamed') {
    await poll(() => (exited || runFolders(reports, name).some((folder) => existsSync(path.join(folder, 'ledger.sqlite'))) ? true : undefined), 60_000, 2);
  }
  if (killAt.from === 'exit') await cli.exited;
  await Promise.race([sleep(killAt.delayMs), cli.exited]);
  cli.child.kill('SIGKILL');
  await cli.exited;
  const delayMs = Date.now() - spawnedAt;
  const started = records<SlowRecord>(logDir, '.start.json').length;
  const files: string[] = [];
  const broken: string[] = [];
  const temporaries: string[] = [];
  for (const folder of runFolders(reports, name)) {
    for (const entry of readdirSync(folder)) {
      files.push(entry);
      if (entry.endsWith('.tmp')) temporaries.push(entry);
      const problem = REPORT_FILES.includes(entry) ? checkFile(path.join(folder, entry)) : undefined;
      if (problem) broken.push(problem);
    }
  }
  // Targets that are merely finishing (they die when they write to the dead harness) get a moment.
  const left = await survivors(token, 1_500);
  killToken(token);
  return { index, killAt, delayMs, started, files: files.sort(), broken, temporaries, survivors: left };
}

beforeAll(async () => {
  assertBuilt();
  const random = seededRandom(SEED);
  const kills = Array.from({ length: ITERATIONS }, (): KillAt => {
    const u = random();
    if (u < EARLY_SHARE) return { from: 'spawn', delayMs: Math.round((u / EARLY_SHARE) * EARLY_MS) };
    if (u < EARLY_SHARE + MID_SHARE) return { from: 'first-invocation', delayMs: Math.round(((u - EARLY_SHARE) / MID_SHARE) * LATE_MS) };
    return { from: 'ledger-renamed', delayMs: Math.round(((u - EARLY_SHARE - MID_SHARE) / (1 - EARLY_SHARE - MID_SHARE)) * WRITE_MS) };
  });
  // One run left to finish: the checks of report.json, junit.xml and report.html must not depend on a kill
  // happening to land after their rename.
  kills.push({ from: 'exit', delayMs: 0 });
  for (let i = 0; i < kills.length; i += PARALLEL) {
    const batch = kills.slice(i, i + PARALLEL).map((killAt, j) => iteration(i + j, killAt));
    iterations.push(...(await Promise.all(batch)));
  }
}, 150_000);

afterAll(() => {
  for (const token of tokens) killToken(token);
  rmSync(dir, { recursive: true, force: true });
});

describe(`retryproof run SIGKILLed at ${ITERATIONS} seeded moments (seed ${SEED})`, () => {
  it('killed it at different stages: in its start-up, mid-run, and around the writing of report.json', () => {
    const summary = iterations.map((item) => `#${item.index} ${item.killAt.delayMs} ms after the ${item.killAt.from} (${item.delayMs} ms after the spawn): ${item.started} invocations; ${item.files.join(', ') || 'no run folder'}`);
    if (process.env.RETRYPROOF_TEST_VERBOSE) process.stderr.write(`${summary.join('\n')}\n`);
    expect(iterations, summary.join('\n')).toHaveLength(ITERATIONS + 1);
    // Mid-run kills and kills at the end of the run are what this test is about; they must have happened.
    expect(iterations.filter((item) => item.started > 0 && !item.files.includes('ledger.sqlite')).length, summary.join('\n')).toBeGreaterThanOrEqual(3);
    expect(iterations.filter((item) => item.files.includes('ledger.sqlite')).length, summary.join('\n')).toBeGreaterThanOrEqual(2);
    // Every kind of report file was there, and so checked, at least once (the run left to finish has them all).
    for (const name of REPORT_FILES) expect(iterations.some((item) => item.files.includes(name)), `${name} in some run folder\n${summary.join('\n')}`).toBe(true);
    expect(iterations.at(-1)!.files.filter((name) => REPORT_FILES.includes(name))).toEqual(REPORT_FILES);
  });

  it('tells a half-written report file from a whole one (so "whole" above means something)', () => {
    const finished = iterations.at(-1)!;
    const folder = runFolders(path.join(dir, `sigkill-${finished.index}-reports`), `sigkill-${finished.index}`)[0]!;
    const halves = path.join(dir, 'halves');
    mkdirSync(halves, { recursive: true });
    for (const name of ['report.json', 'junit.xml', 'report.html', 'ledger.sqlite']) {
      const whole = readFileSync(path.join(folder, name));
      expect(checkFile(path.join(folder, name)), name).toBeUndefined();
      writeFileSync(path.join(halves, name), whole.subarray(0, Math.floor(whole.length / 2)));
      expect(checkFile(path.join(halves, name)), `half of ${name}`).toBeDefined();
    }
  });

  it('each report file in the run folder is absent or whole and parseable', () => {
    const broken = iterations.flatMap((item) => item.broken.map((problem) => `#${item.index} (killed after ${item.delayMs} ms): ${problem}`));
    expect(broken).toEqual([]);
    // A report.json, once there, is the final one: the ledger it describes is there too.
    for (const item of iterations) if (item.files.includes('report.json')) expect(item.files, `#${item.index}`).toContain('ledger.sqlite');
  });

  it('no target process survives the SIGKILLed harness', () => {
    const left = iterations
      .filter((item) => item.survivors.length > 0)
      .map((item) => `#${item.index} (killed after ${item.delayMs} ms, ${item.started} invocations started): ${item.survivors.map((proc) => `${proc.pid} ${proc.cmdline}`).join('; ')}`);
    expect(left, 'processes of a SIGKILLed run still alive 1.5 s later').toEqual([]);
  });
});

// Leftover temporary files of interrupted atomic writes are litter, not broken reports; listed for the record.
afterAll(() => {
  const litter = iterations.flatMap((item) => item.temporaries.map((name) => `#${item.index}: ${name}`));
  if (litter.length && existsSync(dir)) process.stderr.write(`temporary files left by SIGKILLed runs: ${litter.join(', ')}\n`);
});
