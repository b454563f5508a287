/**
 * Proxy mode end to end, with unmodified targets that hard-code
 * https://api.example-bank.test: curl, a Python requests script, a Node script
 * on global fetch and one on node:https (test/fixtures/proxy/), and the
 * official Stripe SDK on its default https://api.stripe.com. Each retries a
 * timed-out POST: without a key it is caught charging twice after a
 * timeout-after-commit; sending the caller's key to an upstream that
 * deduplicates (Stripe: its own retries with its automatic key), it passes. A target that calls a host no upstream declares is
 * refused, and the report (or the failed clean run) names that host.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { ScenarioResult } from '../../../src/core/result.js';
import { RetryproofError } from '../../../src/errors.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';
import { fixture, runScenarioFile } from '../../helpers/scenario.js';

const HOST = 'api.example-bank.test';
const CHARGES = `https://${HOST}/v1/charges`;

function works(argv: string[]): boolean {
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** A Python with requests: the real-world corpus's venv (node scripts/real.mjs --setup makes it), else python3. */
function pythonWithRequests(): string | undefined {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const venv = path.join(root, 'scenarios', 'real', '.venv', 'bin', 'python');
  return [venv, 'python3'].find((python) => (python === 'python3' || existsSync(python)) && works([python, '-c', 'import requests']));
}

const curl = works(['curl', '--version']);
const python = pythonWithRequests();

interface Target {
  argv: string[];
  /** The args that make the target send the caller's key as Idempotency-Key (or keep its own key across its retries). */
  keyArgs: string[];
  /** The operation's args without the key. */
  args: string[];
  /** The host it hard-codes, and the upstream's extra settings for it. */
  host?: string;
  upstream?: Record<string, unknown>;
}

const TARGETS: Record<string, Target | undefined> = {
  curl: curl
    ? {
        argv: ['curl', '-sS', '--fail-with-body', '--max-time', '3', '--retry', '4', '--retry-all-errors', '--retry-delay', '0', '-H', 'content-type: application/json'],
        args: ['-X', 'POST', '-d', '{"amount":100,"customer":"alice"}', CHARGES],
        keyArgs: ['-H', 'Idempotency-Key: {{key}}'],
      }
    : undefined,
  'python requests': python ? { argv: [python, fixture('proxy', 'charge_requests.py')], args: [], keyArgs: ['--key', '{{key}}'] } : undefined,
  'node global fetch': { argv: [process.execPath, fixture('proxy', 'charge-fetch.mjs')], args: [], keyArgs: ['--key', '{{key}}'] },
  'node:https': { argv: [process.execPath, fixture('proxy', 'charge-https.mjs')], args: [], keyArgs: ['--key', '{{key}}'] },
  // A real SDK that makes its own https.Agent: naive is an outer retry loop without a key, keyed its own retries with its automatic key.
  'stripe SDK': {
    argv: [process.execPath, fixture('proxy', 'stripe-charge.mjs'), '--mode'],
    args: [],
    keyArgs: [],
    host: 'api.stripe.com',
    upstream: { style: 'stripe' },
  },
};

/** The Stripe fixture takes its mode as its only argument. */
function argsOf(target: Target, keyed: boolean): string[] {
  if (target.host === 'api.stripe.com') return [keyed ? 'auto-keys' : 'outer-retry'];
  return [...(keyed ? target.keyArgs : []), ...target.args];
}

function scenario(name: string, target: Target, keyed: boolean): Record<string, unknown> {
  return {
    name: `proxy-${name.replace(/[^a-z]+/g, '-')}-${keyed ? 'keyed' : 'naive'}`,
    target: { kind: 'command', argv: target.argv, timeoutMs: 15_000, killGraceMs: 100 },
    upstreams: { bank: { model: 'resource', host: target.host ?? HOST, path: '/v1/charges', honoursIdempotencyKey: true, noun: 'charge', ...target.upstream } },
    operations: [{ name: 'charge', args: argsOf(target, keyed) }],
    caller: { retries: 0, key: 'same', replay: false },
    faults: ['timeout-after-commit'],
    depth: 1,
    holdLimitMs: 5_000,
    checks: ['no-duplicate-effects', 'no-lost-effects'],
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
  };
}

function faulted(result: ScenarioResult) {
  const found = result.cases.find((item) => item.id === 'charge/timeout-after-commit@bank#1');
  expect(found, `the faulted case among ${result.cases.map((item) => item.id).join(', ')}`).toBeDefined();
  return found!;
}

describeEndToEnd('proxy mode: unmodified targets that hard-code an https host', () => {
  for (const [name, target] of Object.entries(TARGETS)) {
    // A missing tool is said, not silently passed: the skip names it.
    it.skipIf(!target).concurrent(`${name}${target ? '' : ' (skipped: not installed here; for Python run node scripts/real.mjs --setup)'}: caught charging twice after a timeout after commit`, async () => {
      const { result } = await runScenarioFile(scenario(name, target!, false));
      expect(result.baselines[0]).toMatchObject({ effects: { 'bank POST /v1/charges': 1 }, upstreams: ['bank'] });
      const failedCase = faulted(result);
      expect(failedCase.verdict, JSON.stringify({ outcome: failedCase.outcomeText, notes: failedCase.notes, checks: failedCase.checks, requests: failedCase.requests })).toBe('fail');
      const duplicate = failedCase.checks.find((check) => check.check === 'no-duplicate-effects');
      expect(duplicate?.status).toBe('fail');
      // 2, or more when a loaded machine also makes a retry miss the target's 3 s timeout.
      expect(duplicate?.message).toMatch(/[2-5] charges on bank POST \/v1\/charges \(clean run: 1\)/);
    }, 90_000);

    it.skipIf(!target).concurrent(`${name}: sending the caller's key, it passes`, async () => {
      const { result } = await runScenarioFile(scenario(name, target!, true));
      const keyedCase = faulted(result);
      expect(keyedCase.checks.map((check) => `${check.check}: ${check.status}`)).toEqual(['no-duplicate-effects: pass', 'no-lost-effects: pass']);
      // The retry reached the upstream and was answered from the key: the fault did apply.
      expect(keyedCase.requests).toBeGreaterThanOrEqual(2);
      expect(keyedCase.effects).toBe(1);
    }, 90_000);
  }

  it.skipIf(!curl).concurrent('curl on plain http:// (HTTP_PROXY, absolute-form requests) is caught the same way', async () => {
    const plain = { ...TARGETS.curl!, args: TARGETS.curl!.args.map((arg) => arg.replace('https://', 'http://')) };
    const { result } = await runScenarioFile({ ...scenario('curl plain', plain, false), faults: ['timeout-after-commit', 'reset-after-commit'] });
    for (const fault of ['timeout-after-commit', 'reset-after-commit']) {
      const found = result.cases.find((item) => item.id === `charge/${fault}@bank#1`);
      expect(found?.checks.find((check) => check.check === 'no-duplicate-effects')?.status, `${fault}: ${found?.outcomeText}`).toBe('fail');
    }
  }, 90_000);

  it.concurrent('a host no upstream declares is refused, and the case notes name it', async () => {
    const { result } = await runScenarioFile({
      ...scenario('telemetry', { argv: [process.execPath, fixture('proxy', 'charge-with-telemetry.mjs')], args: [], keyArgs: [] }, false),
      faults: ['none'],
    });
    const refused = result.cases.flatMap((item) => item.notes).filter((note) => note.includes('undeclared host'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toContain('telemetry.vendor-analytics.test');
    expect(refused[0]).toContain('CONNECT telemetry.vendor-analytics.test:443');
    // The charge itself went through: only the stranger was stopped.
    expect(result.baselines[0]).toMatchObject({ effects: { 'bank POST /v1/charges': 1 } });
  }, 90_000);

  it.concurrent('a target whose only host is undeclared fails its clean run, and the message names the host', async () => {
    const run = runScenarioFile({
      ...scenario('stranger', { argv: [process.execPath, fixture('proxy', 'charge-fetch.mjs')], args: [], keyArgs: [] }, false),
      upstreams: { bank: { model: 'resource', host: 'api.other-bank.test', path: '/v1/charges', noun: 'charge' } },
    });
    await expect(run).rejects.toBeInstanceOf(RetryproofError);
    await expect(run).rejects.toThrow(/undeclared host refused: the target tried api\.example-bank\.test/);
  }, 90_000);
});
