/**
 * The real stripe SDK (stripe-node 23.2.0, a pinned devDependency) against a
 * built-in upstream with `style: stripe`: no handwritten msw handlers (issue 14,
 * item 1). What the SDK does, read from node_modules/stripe/esm/RequestSender.js:
 * it keys every v1 POST itself (`stripe-node-retry-<uuid>`, made once per call and
 * kept across its retries); it retries connection errors, 409 and every 5xx (and
 * whatever `Stripe-Should-Retry: true` asks), never a 429 or another 4xx; it
 * waits 0.5 s, then doubling up to 5 s, with jitter, and never reads Retry-After;
 * it retries a closed connection (ECONNRESET, EPIPE) once even with
 * maxNetworkRetries 0, with the same key. It picks its error class from the
 * status and keeps the body's `type` and `message` (Error.js generateV1Error).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';

const reports = mkdtempSync(path.join(os.tmpdir(), 'retryproof-stripe-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

interface Report {
  safety: { safe: boolean; failedChecks: string[] };
  cases: Array<{ id: string; checks: Array<{ check: string; status: string; message: string }> }>;
}
interface Ran {
  status: number | null;
  stdout: string;
  report: Report;
  readCase(caseId: string): CaseRows;
}

/** Runs the CLI (`run` or `explore`) on a fixture scenario; its report and ledger. */
function cli(command: 'run' | 'explore', scenario: string, args: string[] = []): Ran {
  const file = path.join('test/fixtures/stripe-sdk', `${scenario}.yaml`);
  const into = path.join(reports, `${command}-${scenario}`);
  const result = spawnSync(process.execPath, ['dist/cli/main.js', command, file, '--reports', into, '-q', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const named = path.join(into, `stripe-${scenario}`);
  const runDir = path.join(named, readdirSync(named)[0]!);
  const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) as Report;
  return {
    status: result.status,
    stdout: result.stdout + result.stderr,
    report,
    readCase(caseId) {
      const ledger = new Ledger(path.join(runDir, 'ledger.sqlite'), { readonly: true });
      try {
        return ledger.readCase(caseId);
      } finally {
        ledger.close();
      }
    },
  };
}

const statusOf = (ran: Ran, caseId: string, check: string) => ran.report.cases.find((c) => c.id === caseId)?.checks.find((c) => c.check === check)?.status;
const stderrLines = (rows: CaseRows) => rows.invocations.flatMap((invocation) => (invocation.stderr ?? '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));

describeEndToEnd('the stripe SDK against a built-in Stripe-style upstream (issue 14)', () => {
  it('run: its own retries with its automatic key commit once under every fault, and an injected 503 reaches it as a StripeAPIError', () => {
    const ran = cli('run', 'sdk-retries');
    expect(ran.report.cases.length, ran.stdout).toBeGreaterThanOrEqual(7);
    for (const { id } of ran.report.cases) expect(statusOf(ran, id, 'no-duplicate-effects'), id).toBe('pass');
    expect(ran.report.safety.failedChecks).not.toContain('no-duplicate-effects');

    // After a timeout after commit, the SDK's retry carries the first key and is answered as a replay.
    const timeout = ran.readCase('create/timeout-after-commit@stripe#1');
    const keys = new Set(timeout.requests.map((request) => request.idempotencyKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^stripe-node-retry-[0-9a-f-]{36}$/);
    expect(timeout.requests.map((request) => request.outcome)).toEqual(['committed', 'replayed']);
    expect(timeout.effects).toHaveLength(1);
    expect(JSON.parse(timeout.invocations[0]!.stdout)).toMatchObject({ effect: 'noop', id: 'pi_1', object: 'payment_intent', metadata: { order: '7' } });

    // A 503 says Retry-After: 1 by default; the SDK waits its own 0.5 s instead (it never reads the header), and is told so,
    // as a warning: the scenario does not say its upstream sends the header, so safety does not hang on it.
    expect(statusOf(ran, 'create/503-before-commit@stripe#1', 'retry-policy')).toBe('warn');
    expect(ran.report.safety.safe).toBe(true);
    expect(ran.report.cases.find((c) => c.id === 'create/503-before-commit@stripe#1')!.checks.find((c) => c.check === 'retry-policy')!.message).toMatch(
      /ignored Retry-After: request 1 \(POST \/v1\/payment_intents to stripe, fault 503-before-commit, got 503\) said Retry-After 1, but request 2 .* came \d+ ms later/,
    );

    // 503 on every request: three attempts (maxNetworkRetries 2), then the SDK gives up with Stripe's own error class.
    const outage = ran.readCase('create/503-before-commit@stripe#1+');
    expect(outage.requests).toHaveLength(3);
    expect(JSON.parse(outage.invocations[0]!.stdout)).toEqual({
      effect: 'unknown',
      error: { class: 'StripeAPIError', type: 'api_error', status: 503, message: 'service unavailable' },
    });
  }, 180_000);

  it('run: maxNetworkRetries 0 and a script-level retry without a key is caught duplicating after a timeout after commit', () => {
    const ran = cli('run', 'naive-retry');
    expect(ran.status, ran.stdout).toBe(1);
    expect(ran.report.safety.failedChecks).toContain('no-duplicate-effects');
    const timeout = ran.readCase('create/timeout-after-commit@stripe#1');
    expect(statusOf(ran, 'create/timeout-after-commit@stripe#1', 'no-duplicate-effects')).toBe('fail');
    expect(timeout.effects.map((effect) => effect.resourceId)).toEqual(['pi_1', 'pi_2']);
    expect(new Set(timeout.effects.map((effect) => effect.key)).size).toBe(2);
    // A dropped answer is retried by the SDK itself, once, with the same key, even with maxNetworkRetries 0.
    expect(statusOf(ran, 'create/reset-after-commit@stripe#1', 'no-duplicate-effects')).toBe('pass');
    // Each failed attempt as the script's catch saw it: Stripe's error class, type and message.
    expect(stderrLines(ran.readCase('create/503-before-commit@stripe#1'))).toEqual([{ attempt: 1, class: 'StripeAPIError', type: 'api_error', status: 503, message: 'service unavailable' }]);
  }, 180_000);

  it('explore: random schedules never make the SDK\'s own retries commit twice', () => {
    const ran = cli('explore', 'sdk-retries', ['--runs', '8', '--check', 'no-duplicate-effects']);
    expect(ran.report.cases.length, ran.stdout).toBeGreaterThanOrEqual(8);
    for (const { id } of ran.report.cases) expect(statusOf(ran, id, 'no-duplicate-effects'), id).toBe('pass');
    expect(ran.status, ran.stdout).toBe(0);
  }, 180_000);

  it('explore: finds the naive retry\'s duplicate and shrinks it to one fault after commit', () => {
    const ran = cli('explore', 'naive-retry', ['--runs', '8', '--check', 'no-duplicate-effects', '--max-failures', '1']);
    expect(ran.status, ran.stdout).toBe(1);
    expect(ran.stdout).toMatch(/failure 1: no-duplicate-effects — first broken by random case \d+/);
    expect(ran.stdout).toMatch(/shrunk in \d+ steps? to 1 fault: request 1 to stripe: (timeout|503|500) after commit/);
  }, 180_000);
});
