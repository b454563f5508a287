/**
 * `model: openapi` end to end, on GitHub's published REST API document
 * (@octokit/openapi, 13 MB): a ky client opens an issue through the real
 * `issues/create` operation. The naive client (no key, ky's own retries after
 * a timeout) is caught opening two issues after timeout-after-commit; the
 * keyed one (the document's operation declared to honour Idempotency-Key) is
 * replayed and passes. Command and http targets over loopback, module target
 * in-process (msw) and over loopback.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import type { ScenarioResult } from '../../src/core/result.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';
import { fixture, runScenarioFile } from '../helpers/scenario.js';

const GITHUB_DOCUMENT = path.resolve(import.meta.dirname, '../../node_modules/@octokit/openapi/generated/api.github.com.json');
const CLIENT = fixture('openapi', 'create-issue.mjs');
const ISSUES = 'POST /repos/octo-org/hello-world/issues';

type Variant = 'naive' | 'keyed';
type Kind = 'command' | 'http' | 'module-msw' | 'module-loopback';

function target(kind: Kind, variant: Variant): Record<string, unknown> {
  if (kind === 'http') {
    return {
      kind: 'http',
      start: { argv: [process.execPath, fixture('openapi', 'issue-api.mjs')], env: { GITHUB_URL: '{{upstreams.github.url}}', VARIANT: variant } },
      timeoutMs: 15_000,
    };
  }
  if (kind === 'command') {
    return { kind: 'command', argv: [process.execPath, CLIENT], env: { GITHUB_URL: '{{upstreams.github.url}}' }, timeoutMs: 20_000, killGraceMs: 100 };
  }
  return { kind: 'module', path: CLIENT, export: 'createIssue', timeoutMs: 20_000, interception: kind === 'module-msw' ? 'msw' : 'loopback' };
}

function scenario(variant: Variant, kind: Kind): Record<string, unknown> {
  const command = kind === 'command';
  return {
    name: `github-issue-${variant}-${kind}`,
    target: target(kind, variant),
    upstreams: {
      github: {
        model: 'openapi',
        document: GITHUB_DOCUMENT,
        // GitHub itself keys nothing: the scenario declares what the fixed upstream does.
        operations: variant === 'keyed' ? { 'issues/create': { honoursIdempotencyKey: true } } : {},
        noun: 'issue',
      },
    },
    operations: [
      {
        name: 'open-issue',
        // The client's own timeout (1.5 s) ends a held request; a margin keeps a loaded machine from timing out healthy answers.
        ...(command ? { args: ['--variant', variant, '--title', '{{input.title}}', '--key', '{{key}}'] } : {}),
        ...(kind === 'http' ? { request: { method: 'POST', path: '/issues', body: { title: '{{input.title}}' } } } : {}),
        input: command || kind === 'http' ? { title: 'Charged twice' } : { variant, title: 'Charged twice' },
      },
    ],
    caller: { retries: 0, replay: false },
    faults: ['none', 'timeout-after-commit'],
    depth: 1,
    holdLimitMs: 5_000,
    checks: ['no-duplicate-effects', 'no-lost-effects'],
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
  };
}

function faultedCase(result: ScenarioResult) {
  const found = result.cases.find((item) => item.id === `open-issue/timeout-after-commit@github#1`);
  expect(found, `cases: ${result.cases.map((item) => item.id).join(', ')}`).toBeDefined();
  return found!;
}

describeEndToEnd('model: openapi on GitHub\'s REST API document', () => {
  for (const kind of ['command', 'http', 'module-msw', 'module-loopback'] as const) {
    it(`${kind}: the naive client opens two issues after timeout-after-commit`, async () => {
      const { result } = await runScenarioFile(scenario('naive', kind));
      expect(result.baselines).toEqual([expect.objectContaining({ operation: 'open-issue', effects: { [`github ${ISSUES}`]: 1 } })]);
      expect(result.failedChecks).toEqual(['no-duplicate-effects']);
      const message = faultedCase(result).checks.find((entry) => entry.check === 'no-duplicate-effects')?.message ?? '';
      expect(message).toMatch(/2 issues on github POST \/repos\/octo-org\/hello-world\/issues \(clean run: 1\)/);
    }, 60_000);

    it(`${kind}: the keyed client is replayed and passes`, async () => {
      const { result } = await runScenarioFile(scenario('keyed', kind));
      expect(result.failedChecks).toEqual([]);
      expect(faultedCase(result).outcomeText).toMatch(/^1 issue committed on github POST \/repos\/octo-org\/hello-world\/issues \(clean run: 1\); ended in success/);
    }, 60_000);
  }
});
