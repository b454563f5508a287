import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { cliInvocation } from '../../src/report/command-line.js';
import { runNumbers } from '../../src/report/html/numbers.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { CRASH_CASE, PASSING_CASE, TIMEOUT_CASE, writeSampleRun } from './fixtures/sample-run.js';

const run = writeSampleRun({ conformance: true });
afterAll(() => run.cleanup());

function render(result: ScenarioResult = run.result): string {
  const ledger = new Ledger(path.join(run.runDir, 'ledger.sqlite'), { readonly: true });
  try {
    return renderHtmlReport(result, (id) => ledger.readCase(id));
  } finally {
    ledger.close();
  }
}

/** The markup of one failing case's <details>. */
function caseMarkup(page: string, id: string): string {
  const start = page.indexOf(`data-case="${id}"`);
  expect(start).toBeGreaterThan(0);
  const next = page.indexOf('data-testid="failing-case"', start);
  return page.slice(start, next > 0 ? next : page.indexOf('</section>', start));
}

describe('renderHtmlReport', () => {
  const page = render();

  it('is one self-contained page: no external resource, one inline script allowed by its hash', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toMatch(/<link\b|<[a-z][^>]*\ssrc=|@import|url\(/i);
    // Links only point inside the page.
    expect([...page.matchAll(/<a [^>]*href="([^"]*)"/g)].every((match) => match[1]!.startsWith('#'))).toBe(true);
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0]![1]!).digest('base64');
    expect(page).toContain(`script-src 'sha256-${hash}'`);
    expect(page).toContain("default-src 'none'");
  });

  it('escapes what the target printed: its <script> is text, not script', () => {
    expect(page).not.toContain('<script>window.__pwned');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;');
    // Terminal escapes are shown, not passed on.
    expect(page).not.toContain('\u001b');
    expect(page).toContain('\\x1b[31mred');
    // A check message with markup in it is text too.
    expect(page).toContain('&lt;b&gt;bold?&lt;/b&gt;');
  });

  it('draws a timeline for each failing case, with the duplicate effects marked', () => {
    const timeout = caseMarkup(page, TIMEOUT_CASE);
    expect(timeout).toContain('data-testid="timeline"');
    for (const lane of ['caller', 'invocation:1', 'invocation:2', 'upstream:payments']) expect(timeout).toContain(`data-lane="${lane}"`);
    expect(timeout).toContain('<span class="fault" data-testid="fault">timeout-after-commit</span>');
    expect(timeout.match(/data-testid="duplicate-marker"/g)).toHaveLength(2);
    expect(timeout).toMatch(/data-effect="1" data-duplicate="true">◆ commit effect 1 · cha_1<span class="dup-marker" data-testid="duplicate-marker"[^>]*>duplicate<\/span>/);
    expect(timeout).toContain(`${cliInvocation()} replay ${run.runDir}/report.json --case ${TIMEOUT_CASE}`);
    // The crash case left two charges too, but the check named none: no marker.
    const crash = caseMarkup(page, CRASH_CASE);
    expect(crash).toContain('data-testid="timeline"');
    expect(crash).not.toContain('duplicate-marker');
    expect(crash).toContain('data-duplicate="false"');
  });

  it('opens the failing case whose faulted request committed a duplicate', () => {
    expect(page).toMatch(new RegExp(`data-case="${TIMEOUT_CASE.replace(/[+#]/g, '\\$&')}" open>`));
    expect(page).not.toMatch(new RegExp(`data-case="${CRASH_CASE}" open>`));
  });

  it('collapses passing cases to a count', () => {
    expect(page).toContain('<h2 data-testid="passing-count">1 passing case</h2>');
    expect(page).not.toContain(`data-case="${PASSING_CASE}"`);
    expect(page.match(/data-testid="failing-case"/g)).toHaveLength(2);
  });

  it('shows the checks table with expected and unexpected failures', () => {
    expect(page).toMatch(/<tr class="check-fail" data-check="no-duplicate-effects">[\s\S]*?<td class="status fail">failed<\/td>/);
    expect(page).toMatch(/<tr class="check-expected" data-check="effect-field">[\s\S]*?failed, as expected/);
    expect(page).toMatch(/<tr class="check-pass" data-check="no-lost-effects">[\s\S]*?held/);
  });

  it('renders the conformance level and its reasons when the result has them, and nothing otherwise', () => {
    expect(page).toContain('<h2>Conformance level: 1</h2>');
    expect(page).toContain('<span class="level on">level 1</span>');
    expect(page).toContain('not every response reports &quot;effect&quot;: &lt;create-order&gt;');
    const { contract: _contract, ...without } = run.result;
    expect(render(without as ScenarioResult)).not.toContain('Conformance level');
  });

  it('counts the run: first-attempt success, retries, failures after retries, replays by key, duplicates', () => {
    const ledger = new Ledger(path.join(run.runDir, 'ledger.sqlite'), { readonly: true });
    const numbers = runNumbers(run.result, (id): CaseRows => ledger.readCase(id));
    ledger.close();
    expect(numbers).toEqual({
      cases: 3,
      failedCases: 2,
      // The timeout case's first invocation exited 0, the passing one too; the crash case's was killed.
      firstAttemptSuccess: { count: 2, of: 3 },
      retried: { count: 1, of: 3 },
      failedAfterRetries: { count: 0, of: 3 },
      unknownOutcome: { count: 0, of: 3 },
      replayedByKey: 2,
      duplicateEffects: 1,
      casesWithDuplicates: 1,
    });
    expect(page).toMatch(/data-testid="first-attempt-success"><div class="label">First-attempt success<\/div><div class="value">67%<\/div>/);
    expect(page).toMatch(/data-testid="replayed-by-key">[\s\S]*?<div class="value">2<\/div>/);
    expect(page).toMatch(/data-testid="duplicates">[\s\S]*?<div class="value">1<\/div>/);
  });

  it('depends only on the result and the ledger: rendering twice gives the same bytes', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(render(JSON.parse(JSON.stringify(run.result)) as ScenarioResult)).toBe(page);
  });

  it("shows explore's smallest failing schedule and replay's comparison when the result has them", () => {
    const explore = {
      seed: 7,
      runs: 20,
      executed: 3,
      planned: 20,
      minimal: { caseId: TIMEOUT_CASE, scheduleText: 'request 1 to payments: timeout after commit', failedChecks: ['no-duplicate-effects'], shrinks: 4 },
      reproduce: `${cliInvocation()} replay ${run.runDir}/report.json --case ${TIMEOUT_CASE}`,
    };
    const explored = render({ ...run.result, explore } as ScenarioResult);
    expect(explored).toContain('<h2>Exploration</h2>');
    expect(explored).toContain('Smallest failing schedule (after 4 shrinks)');
    const replayed = render({ ...run.result, replay: { of: { caseId: TIMEOUT_CASE }, recorded: true, sameChecks: false, sameLedger: true, differences: ['checks failed: recorded none, now <x>'] } } as ScenarioResult);
    expect(replayed).toContain('Differs from the recording');
    expect(replayed).toContain('now &lt;x&gt;');
  });

  it('still renders, saying so, when the ledger has no rows for a case', () => {
    const empty = renderHtmlReport(run.result, () => ({ invocations: [], requests: [], effects: [] }));
    expect(empty).toContain('The ledger holds no rows for this case.');
  });
});

describe('renderHtmlReport: the two verdicts', () => {
  it('leads with safe to retry and the contract level, before the numbers and the checks table', () => {
    const page = render();
    const safety = page.indexOf('data-testid="safety"');
    const contract = page.indexOf('data-testid="contract"');
    expect(safety).toBeGreaterThan(0);
    expect(contract).toBeGreaterThan(safety);
    expect(contract).toBeLessThan(page.indexOf('aria-label="the run in numbers"'));
    expect(page).toContain(`safe to retry: ${run.result.safety.safe ? 'yes' : 'no'}`);
    expect(page).toContain(run.result.contract.gated ? 'gates the exit status' : 'graded, not gated');
  });
});
