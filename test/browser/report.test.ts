import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/commands/report.js';
import { writeReports } from '../../src/report/write-reports.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import { writeSampleRun, type SampleRun } from '../report/fixtures/sample-run.js';

/**
 * report.html as a person sees it: Debian's chromium, driven by
 * playwright-core (never a browser playwright downloads), opens the report of a
 * real run of scenarios/orders-naive.yaml from disk.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The README's screenshot is kept in git: a test run writes a fresh one only when asked
// (RETRYPROOF_SCREENSHOT=1), so running the tests leaves the working tree clean.
const SCREENSHOT = process.env.RETRYPROOF_SCREENSHOT === '1'
  ? path.join(ROOT, 'reports', 'report-screenshot.png')
  : path.join(os.tmpdir(), `retryproof-report-screenshot-${process.pid}.png`);
const CHROMIUM = (spawnSync('/bin/sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[0] || null;
const TITLE = CHROMIUM
  ? 'report.html in headless Chromium'
  : 'report.html in headless Chromium — SKIPPED: no chromium on PATH (install it: apt-get install -y chromium)';
if (!CHROMIUM) console.warn(`${TITLE}`);

const TIMEOUT_CASE = 'create-order/timeout-after-commit@payments#1';

describe.skipIf(!CHROMIUM)(TITLE, () => {
  let work: string;
  let context: BrowserContext;
  let result: ScenarioResult;
  let sample: SampleRun;
  const pageErrors: string[] = [];
  const offDisk: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'retryproof-browser-'));
    // A real run of the bundled naive tool, kept small: one operation, the fault
    // that makes the classic double charge (timeout after commit), no probes.
    const scenario = loadScenario(path.join(ROOT, 'scenarios/orders-naive.yaml'));
    const small = {
      ...scenario,
      operations: scenario.operations.filter((operation) => operation.name === 'create-order'),
      faults: ['timeout-after-commit'],
      probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
      depth: 1,
      // The tool's own request timeout (300 ms) is tight on a busy two-core machine; a clean run must not time out.
      target: scenario.target.kind === 'command' ? { ...scenario.target, env: { ...scenario.target.env, REQUEST_TIMEOUT_MS: '1000' } } : scenario.target,
      // What this smaller run can show: the probes' checks are not exercised here.
      expect: { fail: scenario.expect.fail.filter((check) => ['no-duplicate-effects', 'replay-is-noop', 'effect-field'].includes(check)) },
    };
    // One after the other: Chromium starting up must not slow the target's clean run.
    result = await runScenario(small, { reportsDir: path.join(work, 'reports'), concurrency: 2 });
    context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: CHROMIUM!,
      headless: true,
      viewport: { width: 1360, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // The wiring the runner does after writeJsonReport.
    writeReports(result, result.runDir);
    sample = writeSampleRun();
    writeReports(sample.result, sample.runDir);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    sample?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
    if (process.env.RETRYPROOF_SCREENSHOT !== '1') rmSync(SCREENSHOT, { force: true });
  });

  async function open(file: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) offDisk.push(request.url());
    });
    await page.goto(pathToFileURL(file).href);
    return page;
  }

  it("shows the failing case's timeline, one lane per actor, with the fault and the duplicate marked", async () => {
    const page = await open(path.join(result.runDir, 'report.html'));
    const opened = page.locator('details.case[open]');
    expect(await opened.count()).toBe(1);
    expect(await opened.getAttribute('data-case')).toBe(TIMEOUT_CASE);
    const timeline = opened.locator('[data-testid="timeline"]');
    expect(await timeline.isVisible()).toBe(true);
    expect(await timeline.locator('.lane-head .title').allTextContents()).toEqual(['caller', 'invocation 1', 'invocation 2', 'payments']);
    const fault = timeline.locator('[data-testid="fault"]').first();
    expect(await fault.isVisible()).toBe(true);
    expect(await fault.textContent()).toBe('timeout-after-commit');
    const marker = timeline.locator('[data-testid="duplicate-marker"]').first();
    expect(await marker.isVisible()).toBe(true);
    expect((await marker.innerText()).toLowerCase()).toBe('duplicate');
    const box = (await marker.boundingBox())!;
    expect(box.width).toBeGreaterThan(20);
    expect(box.height).toBeGreaterThan(8);
    expect(await page.locator('[data-testid="duplicates"] .value').textContent()).not.toBe('0');

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');

    // The page's one script runs under its Content-Security-Policy: "expand all" opens every failing case.
    await page.click('#expand-all');
    const cases = page.locator('details.case');
    expect(await cases.count()).toBe(result.cases.filter((item) => item.verdict === 'fail').length);
    expect(await cases.count(), 'failing cases whose timelines the next line checks').toBeGreaterThan(0);
    for (const item of await cases.all()) expect(await item.locator('[data-testid="timeline"]').isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
    expect(offDisk).toEqual([]);
  });

  it('runs no script the target printed', async () => {
    const page = await open(path.join(sample.runDir, 'report.html'));
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('[data-testid="stdout"]').first().textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(pageErrors).toEqual([]);
  });

  it('renders again, from report.json and the ledger, to the very bytes of the real run', async () => {
    const html = readFileSync(path.join(result.runDir, 'report.html'));
    const junit = readFileSync(path.join(result.runDir, 'junit.xml'));
    expect(await reportCommand(result.runDir, { write: () => true } as unknown as NodeJS.WritableStream)).toBe(0);
    expect(readFileSync(path.join(result.runDir, 'report.html')).equals(html)).toBe(true);
    expect(readFileSync(path.join(result.runDir, 'junit.xml')).equals(junit)).toBe(true);
  });
});
