import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/commands/report.js';
import { showCommand } from '../../src/cli/commands/show.js';
import { RetryproofError } from '../../src/errors.js';
import { readRunFolder, writeReports } from '../../src/report/write-reports.js';
import { TIMEOUT_CASE, writeSampleRun } from './fixtures/sample-run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function thrown(run: () => unknown): RetryproofError {
  try {
    run();
  } catch (error) {
    if (error instanceof RetryproofError) return error;
    throw error;
  }
  throw new Error('expected a RetryproofError');
}

async function rejected(run: () => Promise<unknown>): Promise<RetryproofError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof RetryproofError) return error;
    throw error;
  }
  throw new Error('expected a RetryproofError');
}

const run = writeSampleRun({ conformance: true });
afterAll(() => run.cleanup());

describe('writeReports and `retryproof report`', () => {
  it('re-renders report.html and junit.xml byte for byte from report.json and the ledger', async () => {
    const written = writeReports(run.result, run.runDir);
    const html = readFileSync(written.html);
    const junit = readFileSync(written.junit);
    rmSync(written.html);
    rmSync(written.junit);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const out = capture();
    expect(await reportCommand(run.runDir, out.stream)).toBe(0);
    expect(out.text()).toContain(`wrote ${written.html}`);
    expect(readFileSync(written.html).equals(html)).toBe(true);
    expect(readFileSync(written.junit).equals(junit)).toBe(true);
    // No temporary file is left behind.
    expect(readdirSync(run.runDir).sort()).toEqual(['junit.xml', 'ledger.sqlite', 'report.html', 'report.json']);
  });

  it('renders the same from a copy of the run folder, and accepts the report.json path', async () => {
    const copy = path.join(run.dir, 'copy');
    cpSync(run.runDir, copy, { recursive: true });
    expect(await reportCommand(path.join(copy, 'report.json'), capture().stream)).toBe(0);
    expect(readFileSync(path.join(copy, 'report.html')).equals(readFileSync(path.join(run.runDir, 'report.html')))).toBe(true);
    expect(readFileSync(path.join(copy, 'junit.xml')).equals(readFileSync(path.join(run.runDir, 'junit.xml')))).toBe(true);
  });

  it('refuses a missing or broken run folder with the file, what is wrong and the fix', () => {
    const missing = thrown(() => readRunFolder(path.join(run.dir, 'nope')));
    expect(missing.code).toBe('REPORT_UNREADABLE');
    expect(missing.describe()).toMatch(/nope: no such run folder\n {2}fix: give a run folder/);

    const broken = path.join(run.dir, 'broken');
    cpSync(run.runDir, broken, { recursive: true });
    writeFileSync(path.join(broken, 'report.json'), '{"schemaVersion": 1, "cases": [');
    const badJson = thrown(() => readRunFolder(broken));
    expect(badJson.where.file).toBe(path.join(broken, 'report.json'));
    expect(badJson.message).toMatch(/^report.json is not valid JSON/);

    writeFileSync(path.join(broken, 'report.json'), JSON.stringify({ schemaVersion: 1, scenario: { name: 'x', file: 'x.yaml' }, runDir: broken }));
    expect(thrown(() => readRunFolder(broken)).message).toContain('not a complete retryproof report: cases missing');

    writeFileSync(path.join(broken, 'report.json'), JSON.stringify({ schemaVersion: 99 }));
    expect(thrown(() => readRunFolder(broken)).describe()).toContain('schemaVersion: report.json has schemaVersion 99');

    cpSync(path.join(run.runDir, 'report.json'), path.join(broken, 'report.json'));
    rmSync(path.join(broken, 'ledger.sqlite'));
    const noLedger = thrown(() => readRunFolder(broken));
    expect(noLedger.where.file).toBe(path.join(broken, 'ledger.sqlite'));
    expect(noLedger.message).toContain('has no ledger.sqlite');

    writeFileSync(path.join(broken, 'ledger.sqlite'), 'not a database, just text '.repeat(100));
    expect(thrown(() => readRunFolder(broken)).message).toMatch(/ledger.sqlite cannot be read as a retryproof ledger/);
  });
});

describe('`retryproof show`', () => {
  it("prints a case's timeline from the ledger, the duplicates marked, the target's escapes neutralised", async () => {
    const out = capture();
    expect(await showCommand(run.runDir, { case: TIMEOUT_CASE }, out.stream)).toBe(0);
    const text = out.text();
    expect(text).toContain(`${TIMEOUT_CASE}: FAIL`);
    expect(text).toContain('lanes:    caller | inv 1 (attempt) | inv 2 (replay) | payments');
    expect(text).toMatch(/50 ms {2}inv 1 -> payments +POST \/charges · payments #1 · no key \[fault timeout-after-commit\]/);
    expect(text).toMatch(/50 ms {2}payments +◆ commit effect 1 · cha_1 {2}DUPLICATE/);
    expect(text).toMatch(/250 ms {2}payments -x inv 1 +no answer: held until the client gave up after 200 ms/);
    expect(text).toMatch(/455 ms {2}payments -> inv 2 +201 · replayed from its key, nothing committed/);
    expect(text).toContain('no-duplicate-effects: create-order: duplicate effects');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\x1b[31');
    expect(text).toContain('inv 1 stdout: "<script>window.__pwned = 1</script>');
  });

  it('refuses an unknown case id, naming some real ones', async () => {
    const error = await rejected(() => showCommand(run.runDir, { case: 'create-order/nope' }, capture().stream));
    expect(error.code).toBe('BAD_ARGUMENT');
    expect(error.where).toEqual({ file: path.join(run.runDir, 'report.json'), field: '--case' });
    expect(error.describe()).toContain(`no case "create-order/nope" in this run (3 cases)`);
    expect(error.describe()).toContain(`e.g. ${TIMEOUT_CASE}`);
  });
});

describe('the CLI', () => {
  beforeAll(() => {
    const newest = (folder: string): number =>
      Math.max(0, ...readdirSync(folder, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(path.join(folder, entry.name)) : statSync(path.join(folder, entry.name)).mtimeMs)));
    if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT });
    if (!existsSync(CLI)) throw new Error(`the build did not produce ${CLI}`);
  }, 120_000);

  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('`report` and `show` exit 0 on a good run folder', () => {
    const report = cli('report', run.runDir);
    expect(report.stderr).toBe('');
    expect(report.status).toBe(0);
    const show = cli('show', run.runDir, '--case', TIMEOUT_CASE);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('DUPLICATE');
  });

  it('exits 2 with a clear message for a missing run folder, an unknown case, or no --case', () => {
    const missing = cli('report', path.join(run.dir, 'nope'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^retryproof: .*nope: no such run folder\n {2}fix: /);
    const unknown = cli('show', run.runDir, '--case', 'nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--case: no case "nope" in this run');
    const noCase = cli('show', run.runDir);
    expect(noCase.status).toBe(2);
    expect(noCase.stderr).toContain("required option '--case <id>' not specified");
  });
});
